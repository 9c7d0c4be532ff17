fcfit_add_unit_test(test_sim SOURCES test_sim.c)
