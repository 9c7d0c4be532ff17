# Unit tests of the model plugins: one oracle test per model (docs/models/) and the conformance
# test that walks the registry, so that every registered model is checked without new code.
fcfit_add_unit_test(test_model_rww SOURCES test_model_rww.c)
fcfit_add_unit_test(test_model_mpr SOURCES test_model_mpr.c)
fcfit_add_unit_test(test_model_conformance SOURCES test_model_conformance.c)
# The conformance test checks that each model's documentation page (descriptor field `doc`,
# relative to the project root) exists.
target_compile_definitions(test_model_conformance PRIVATE FCFIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
