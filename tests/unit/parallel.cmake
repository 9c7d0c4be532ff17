# The pure parts of the parallel layer and of the search stages (no MPI, no HDF5):
# message round trips and malformed input (fcfit_protocol.h), sweep enumeration and point
# parameters (fcfit_stage.h).
fcfit_add_unit_test(test_protocol SOURCES test_protocol.c)
fcfit_add_unit_test(test_stage SOURCES test_stage.c)
