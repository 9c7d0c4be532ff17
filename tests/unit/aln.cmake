# ALN model and its transfer-function tables: table entries, the generator, bilinear look-ups,
# the compact form, single-node oracles and bind refusals (about 2 s in a release build).
fcfit_add_unit_test(test_model_aln SOURCES test_model_aln.c)
