# The pure parts of the parallel layer and of the search stages (no MPI, no HDF5):
# message round trips and malformed input (fcfit_protocol.h), sweep enumeration and point
# parameters (fcfit_stage.h).
fcfit_add_unit_test(test_protocol SOURCES test_protocol.c)
fcfit_add_unit_test(test_stage SOURCES test_stage.c)
# The fitting stages driven without MPI (fcfit_search.h, fcfit_cmaes.h, fcfit_objective.h).
fcfit_add_unit_test(test_search SOURCES test_search.c LIBS fcfit_optim)
