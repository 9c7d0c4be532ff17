fcfit_add_unit_test(test_core SOURCES test_core.c)
fcfit_add_unit_test(test_connectome SOURCES test_connectome.c)
fcfit_add_unit_test(test_score SOURCES test_score.c)
fcfit_add_unit_test(test_vmath SOURCES test_vmath.c)
