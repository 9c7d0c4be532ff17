# Jobs from YAML files (include/fcfit/fcfit_job.h): the plan round trip (pack/unpack, one task
# evaluated from both), corrupted plans, and what the job hash does and does not cover.
fcfit_add_io_test(test_job SOURCES test_job.c LIBS fcfit_job)
