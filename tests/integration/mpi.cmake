# Distributed sweep: `mpiexec -n P fcfit run`, `fcfit report`, `fcfit simulate --point`
# (labels "mpi" and "integration"). One CTest test per scenario of run_mpi.py (its docstrings
# say what each checks); each runs in a fresh directory under tmp_mpi/ of the build tree, kept
# on failure. Whole label: about 75 s on 2 cores. Running as root on a small machine needs
# Open MPI's root and oversubscription switches, set here; MPIEXEC_EXECUTABLE comes from the
# top-level find_package(MPI).
if(MPIEXEC_EXECUTABLE)
  set(_fcfit_mpi_env "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
                     "OMPI_MCA_rmaps_base_oversubscribe=1")
  # fcfit_mpi_scenario(name timeout_s)
  function(fcfit_mpi_scenario name timeout)
    add_test(NAME mpi.${name}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/run_mpi.py
                     --mpiexec ${MPIEXEC_EXECUTABLE} --fcfit $<TARGET_FILE:fcfit>
                     --tmp ${CMAKE_CURRENT_BINARY_DIR}/tmp_mpi ${name})
    set_tests_properties(mpi.${name} PROPERTIES LABELS "mpi;integration" TIMEOUT ${timeout}
                         SKIP_RETURN_CODE 77 PROCESSORS 2 ENVIRONMENT "${_fcfit_mpi_env}")
  endfunction()
  fcfit_mpi_scenario(rank_invariance 240)  # 1-4 ranks, batch_lanes 3, sim.chunk_ms: identical
  fcfit_mpi_scenario(kill_resume 240)      # kill -9 x4 (one in file creation), resume once
  fcfit_mpi_scenario(sigusr1 180)          # exit 3, clean partial file, resume = reference
  fcfit_mpi_scenario(sigusr1_quiet 120)    # mpiexec -q: exit 3, SIGUSR1 named, no abort banner
  fcfit_mpi_scenario(diverged 120)         # diverged points are rows with a reason
  fcfit_mpi_scenario(mismatch 120)         # another job's file: exit 2, untouched; --force
  fcfit_mpi_scenario(report 120)           # fcfit report: text, --csv, partial, not results
  fcfit_mpi_scenario(resume_finished 120)  # nothing recomputed
  fcfit_mpi_scenario(bad_sweep 180)        # bad sweep.* specifications: exit 2, nothing written
  fcfit_mpi_scenario(simulate_point 120)   # simulate --point K = stored row K
  # The fitting stages (run_stages.py): the analytic test objective makes whole chains fast.
  function(fcfit_stage_scenario name timeout)
    add_test(NAME mpi.${name}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/run_stages.py
                     --mpiexec ${MPIEXEC_EXECUTABLE} --fcfit $<TARGET_FILE:fcfit>
                     --tmp ${CMAKE_CURRENT_BINARY_DIR}/tmp_mpi ${name})
    set_tests_properties(mpi.${name} PROPERTIES LABELS "mpi;integration" TIMEOUT ${timeout}
                         SKIP_RETURN_CODE 77 PROCESSORS 2 ENVIRONMENT "${_fcfit_mpi_env}")
  endfunction()
  fcfit_stage_scenario(stages_invariance 240)  # 1-4 ranks, lanes; blocks, map, CRS, MLSL, BOBYQA
  fcfit_stage_scenario(stages_kill_resume 300) # kill -9 in every stage and at every boundary
  fcfit_stage_scenario(stages_sigusr1 180)     # mid-optimize: exit 3, resume by replay
  fcfit_stage_scenario(stages_bad 120)         # bad stage configurations: exit 2, line and key
  fcfit_stage_scenario(stages_report 120)      # report of every stage, --stage, --csv
  fcfit_stage_scenario(quickstart 600)         # jobs/quickstart.yaml on 1 and 3 ranks
  # Operations (run_ops.py; label "ops" too): about 2 minutes for the whole label on 2 cores.
  function(fcfit_ops_scenario name timeout)
    add_test(NAME mpi.ops.${name}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/run_ops.py
                     --mpiexec ${MPIEXEC_EXECUTABLE} --fcfit $<TARGET_FILE:fcfit>
                     --tmp ${CMAKE_CURRENT_BINARY_DIR}/tmp_mpi ${name})
    set_tests_properties(mpi.ops.${name} PROPERTIES LABELS "mpi;integration;ops"
                         TIMEOUT ${timeout} SKIP_RETURN_CODE 77 PROCESSORS 2
                         ENVIRONMENT "${_fcfit_mpi_env}")
  endfunction()
  fcfit_ops_scenario(lock 120)           # second run refused naming the holder; stale lock
  fcfit_ops_scenario(no_space 120)       # full tmpfs: exit 1, nothing left; filled mid-run
  fcfit_ops_scenario(output_dir 120)     # missing / read-only directory: exit 2, OS reason
  fcfit_ops_scenario(signal_moments 180) # a signal at random moments: exit 3, resume identical
  fcfit_ops_scenario(checkpoint 300)     # one point stopped 3 times mid-simulation, identical
  fcfit_ops_scenario(sbatch_signals 120) # the batch script: USR1 during check, at the launch
  # slurm/fcfit_run.sbatch on a local one-node SLURM (run_slurm.py): 3 requeues of a point longer
  # than a segment, a segment without progress, the array and chain templates, srun --mpi=pmix.
  # About 2 minutes on 2 idle cores; skipped with a message where SLURM/munge are not installed
  # or cannot start.
  add_test(NAME slurm.requeue
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/run_slurm.py
                   --mpiexec ${MPIEXEC_EXECUTABLE} --fcfit $<TARGET_FILE:fcfit>
                   --tmp ${CMAKE_CURRENT_BINARY_DIR}/tmp_mpi)
  set_tests_properties(slurm.requeue PROPERTIES LABELS "slurm;slow;integration" TIMEOUT 420
                       SKIP_RETURN_CODE 77 PROCESSORS 2 RUN_SERIAL ON
                       ENVIRONMENT "${_fcfit_mpi_env}")
else()
  message(STATUS "fcfit: no mpiexec found; the mpi tests are not registered")
endif()
