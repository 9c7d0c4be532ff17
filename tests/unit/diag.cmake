# Diagnostics behind a score and the warnings on suspect fits (fcfit_diag.h, fcfit_stage_edge).
fcfit_add_unit_test(test_diag SOURCES test_diag.c)
