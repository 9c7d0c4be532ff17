# Unit tests of the fc module: FC, FCD, KS and fit metrics (MODELS.md §10.8), and the Butterworth
# band-pass with filtfilt (MODELS.md Appendix B).
fcfit_add_unit_test(test_fc SOURCES test_fc.c)
fcfit_add_unit_test(test_filter SOURCES test_filter.c)
