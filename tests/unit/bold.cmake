fcfit_add_unit_test(test_bold SOURCES test_bold.c)
