# Oracle tests of the Hopf, Jansen-Rit and Wilson-Cowan models (P1, P2, J1, W1 of docs/models/) and
# of the spectrum helper (peak frequency). test_model_hopf checks P2 at +-0.01 on 10^5 time units
# (about 1 s); with --slow it runs 10^6 time units at +-0.006 instead, registered under the label
# "slow" only (about 8 s in a release build, 2 minutes under the sanitizers), so that
# `ctest -L unit` leaves it out.
fcfit_add_unit_test(test_model_hopf SOURCES test_model_hopf.c)
fcfit_add_unit_test(test_model_jr SOURCES test_model_jr.c)
fcfit_add_unit_test(test_model_wc SOURCES test_model_wc.c)
add_test(NAME test_model_hopf_slow COMMAND test_model_hopf --slow)
set_tests_properties(test_model_hopf_slow PROPERTIES LABELS "slow" SKIP_RETURN_CODE 77)
