# Unit tests of the fc module: FC, FCD, KS and fit metrics, and the Butterworth band-pass with
# filtfilt, against the oracles of docs/fc-metrics.md.
fcfit_add_unit_test(test_fc SOURCES test_fc.c)
fcfit_add_unit_test(test_filter SOURCES test_filter.c)
