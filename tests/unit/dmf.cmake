# Tests of the Dynamic Mean Field model (src/models/dmf.c): oracles D1/D2, FIC variants and
# neuromodulation (unit), and the FastDMF parity run, which reads the shared data through the
# matrix loaders (io; skipped with exit code 77 when the data are absent).
fcfit_add_unit_test(test_model_dmf SOURCES test_model_dmf.c)
fcfit_add_io_test(test_model_dmf_fastdmf SOURCES test_model_dmf_fastdmf.c)
