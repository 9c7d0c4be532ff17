#!/usr/bin/python3
"""Integration scenarios of the fitting stages (sweep -> optimize -> refine -> validate) in one
`mpiexec -n P fcfit run` (CTest labels "mpi" and "integration"; registered by mpi.cmake).

usage: run_stages.py --mpiexec MPIEXEC --fcfit FCFIT [--tmp DIR] [--keep] SCENARIO

Most scenarios use the analytic test objective (test.function: sphere), which replaces the
simulation by a known noisy function of the parameters, so that a whole chain runs in about a
second and can be interrupted anywhere (test.delay_s gives each evaluation a wall time). The
process handling, kill -9 of every rank by pid, and the file comparison are run_mpi.py's.
"""
import csv
import io
import os
import random
import re
import signal
import sys

import h5py
import numpy as np

import run_mpi as rm
from run_mpi import Failure, note, require

CHAIN = """\
model: {name: rww}
connectome: {synthetic: {n_regions: 6, seed: 1}}
target: {synthetic: true}
sim: {duration_s: 20, transient_s: 0, seed: 7, replicates: 2}
bold: {tr_s: 2}
fc: {bandpass: false}
test: {function: sphere, noise: 0.002}
fit: {objective: fc_rmse}
stages: [sweep, optimize, refine, validate]
sweep:
  params:
    model.rww.G: {linspace: [10, 90, 5]}
    model.rww.w: {values: [0.5, 2.5, 4.5]}
optimize:
  params:
    model.rww.G: {range: [0, 100]}
    model.rww.w: {range: [0, 5]}
  n_starts: 3
  maxeval: 25
refine:
  params:
    model.rww.w: {}
  popsize: 8
  maxeval: 72
validate: {candidates: 3, replicates: 4}
output: {save_fc: true}
log: {progress_s: 0}
%s"""


def chain_job(name, extra=""):
    return rm.write(name, CHAIN % extra)


def rows_done(name):
    """Per stage: the number of rows done."""
    with h5py.File(rm.path(name), "r") as f:
        return {str(s): int((f[s]["status"][()] != 0).sum()) for s in f.attrs["stages"]}


def stage_state(name, stage):
    with h5py.File(rm.path(name), "r") as f:
        return int(f[stage]["state"][0])


def s_stages_invariance():
    """The whole chain on 1, 2, 3 and 4 ranks and with 3 lanes gives identical files; so do
    block-coordinate and map refinement, a global optimizer (GN_CRS2_LM), G_MLSL_LDS and fresh
    seeds on 1 and 3 ranks. The file holds what the stages promise: rows within each budget,
    every instance's rows at its place, validation with fresh seeds, and the fit's answer."""
    chain_job("job.yaml")
    rm.run_sweep(1, "job.yaml", "n1.h5")
    for ranks, out, sets in [(2, "n2.h5", ()), (3, "n3.h5", ()), (4, "n4.h5", ()),
                             (3, "lanes.h5", ("run.batch_lanes=3",))]:
        rm.run_sweep(ranks, "job.yaml", out, sets=sets)
        rm.require_identical("n1.h5", out, "-n %d %s" % (ranks, " ".join(sets)))
    with h5py.File(rm.path("n1.h5"), "r") as f:
        stages = [str(s) for s in f.attrs["stages"]]
        require(stages == ["sweep", "optimize", "refine", "validate"], "stages %s" % stages)
        for s in stages:
            require(int(f[s]["state"][0]) == 2, "%s not marked done" % s)
        opt = f["optimize"]
        st, inst, ev = opt["status"][()], opt["instance"][()], opt["eval_index"][()]
        for r in np.flatnonzero(st != 0):
            require(inst[r] == r // 25 and ev[r] == r % 25,
                    "optimize row %d: instance %d eval %d" % (r, inst[r], ev[r]))
        # Each instance's rows are a prefix of its block: no gaps.
        for k in range(3):
            used = st[k * 25:(k + 1) * 25] != 0
            n = int(used.sum())
            require(used[:n].all() and n > 0, "instance %d rows are not a prefix: %s" % (k, used))
        # Common random numbers: every evaluation of an instance has its instance's seeds.
        seeds = opt["seeds"][()]
        for k in range(3):
            rows = [r for r in range(k * 25, (k + 1) * 25) if st[r] != 0]
            require(all((seeds[r] == seeds[rows[0]]).all() for r in rows),
                    "instance %d: seeds differ between evaluations" % k)
        ref = f["refine"]
        require(int((ref["status"][()] != 0).sum()) <= 72, "refine exceeded its budget")
        # The refine base is the best earlier point: G and w of the best optimize/sweep row.
        val = f["validate"]
        vs = val["seeds"][()]
        fitting = np.concatenate([f[s]["seeds"][()].ravel() for s in stages[:3]])
        require(not np.isin(vs.ravel(), fitting).any(), "validation reused a fitting seed")
        cands = list(zip(val["candidate_stage"][()].tolist(), val["candidate_row"][()].tolist()))
        require(len(set(cands)) == 3, "validation candidates not distinct: %s" % cands)
        se = val["objective_se"][()]
        require(np.all(np.isfinite(se)) and np.all(se > 0), "validation standard errors %s" % se)
        fit = f["fit"]
        require(int(fit["state"][0]) == 1 and int(fit["stage"][0]) == 3,
                "fit answer from stage %d, state %d" % (fit["stage"][0], fit["state"][0]))
        best = int(np.argmin(val["objective"][()]))
        require(int(fit["row"][0]) == best, "fit row %d, best validated row %d"
                % (fit["row"][0], best))
        require(np.array_equal(fit["params"][()], val["region_params"][best]),
                "fit params differ from the best validated candidate")
        # The regional stage found heterogeneous w and beat the best homogeneous point.
        w = fit["params"][()][1]
        require(np.ptp(w) > 0, "fitted w is homogeneous: %s" % w)
        best_global = min(float(np.nanmin(np.where(f[s]["status"][()] == 1,
                                                    f[s]["objective"][()], np.inf)))
                          for s in ("sweep", "optimize"))
        require(float(f["refine/best_objective"][0]) < best_global,
                "refine did not improve on the homogeneous fit")
    variants = [
        ("blocks", "refine: {method: blocks, blocks: 3, rounds: 2, maxeval: 12}\n"),
        ("map", "refine: {method: map, n_starts: 2, maxeval: 15}\n"),
        ("crs", "optimize: {algorithm: GN_CRS2_LM, seeds: fresh}\n"),
        ("mlsl", "optimize: {algorithm: G_MLSL_LDS, local_algorithm: LN_NELDERMEAD}\n"),
        ("bobyqa", "optimize: {algorithm: LN_BOBYQA, starts: sobol}\n"),
    ]
    rm.write("map6.csv", "0.1\n0.9\n0.4\n-0.2\n1.3\n0.6\n")
    for name, override in variants:
        text = CHAIN % ""
        if name == "map":
            text = text.replace("refine:\n  params:\n    model.rww.w: {}\n  popsize: 8\n"
                                "  maxeval: 72\n",
                                "refine:\n  method: map\n  n_starts: 2\n  maxeval: 15\n"
                                "  params:\n    model.rww.w: {map: map6.csv, offset: {range: "
                                "[1.5, 3.5]}, slope: {range: [-0.3, 0.3]}, normalize: zscore}\n")
        elif name == "blocks":
            text = text.replace("  popsize: 8\n  maxeval: 72\n",
                                "  method: blocks\n  blocks: 3\n  rounds: 2\n  maxeval: 12\n")
        else:
            section = override.split(":")[0]
            settings = override[override.index("{") + 1:override.rindex("}")]
            lines = "".join("  %s\n" % kv.strip() for kv in settings.split(","))
            text = text.replace("%s:\n" % section, "%s:\n%s" % (section, lines), 1)
        rm.write("v_%s.yaml" % name, text)
        rm.run_sweep(1, "v_%s.yaml" % name, "v_%s_1.h5" % name)
        rm.run_sweep(3, "v_%s.yaml" % name, "v_%s_3.h5" % name, sets=("run.batch_lanes=2",))
        rm.require_identical("v_%s_1.h5" % name, "v_%s_3.h5" % name, "variant %s" % name)
        done = rows_done("v_%s_1.h5" % name)
        require(all(v > 0 for v in done.values()), "variant %s: a stage did nothing: %s"
                % (name, done))


def s_stages_kill_resume():
    """kill -9 of every rank at random moments across all four stages (and at stage
    boundaries), on 1-4 ranks: after each kill the file is absent or readable and every row
    it marks done equals the uninterrupted run's; the last resume gives the identical file and
    computes only rows that were pending, each once."""
    rng = random.Random(20261202)
    chain_job("job.yaml")
    rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    with h5py.File(rm.path("ref.h5"), "r") as f:
        per_stage = [int((f[s]["status"][()] != 0).sum()) * int(f[s].attrs["n_replicates"])
                     for s in f.attrs["stages"]]
    note("  items per stage %s" % per_stage)
    out = "res.h5"
    # Kill points: inside each stage after a random number of its items, and at each stage
    # boundary (as soon as the next stage's first item is done).
    plan = [(0, rng.randint(1, 20)), (1, 1), (1, rng.randint(5, 40)), (1, rng.randint(5, 40)),
            (2, 1), (2, rng.randint(5, 60)), (3, 1), (3, rng.randint(2, 6))]
    for k, (stage, need) in enumerate(plan):
        ranks = rng.randint(1, 4)
        tlog = "kill%d.tasks" % k

        def count():
            return sum(1 for (st, _), _, _ in rm.read_task_log(tlog) if st == stage)

        r = rm.start_run(ranks, "job.yaml", out, sets=("test.delay_s=0.01",),
                         env={"FCFIT_TASK_LOG": rm.path(tlog)}, label="kill%d" % k)
        finished = not rm.wait_for(lambda: count() >= need, 120,
                                   "%d items of stage %d" % (need, stage), r)
        if finished:
            r.wait()
            note("  kill%d: the run finished before the kill" % k)
            continue
        r.kill9()
        if os.path.exists(rm.path(out)):
            rm.check_readable(out)
            rm.require_done_rows_match(out, "ref.h5", "after kill %d" % k)
            note("  kill%d: -n %d after %d items of stage %d: rows done %s"
                 % (k, ranks, count(), stage, rows_done(out)))
        else:
            note("  kill%d: -n %d before the file existed" % (k, ranks))
    # The last resume, uninterrupted.
    before = {}
    if os.path.exists(rm.path(out)):
        with h5py.File(rm.path(out), "r") as f:
            before = {s: f[s]["status"][()].copy() for s in f.attrs["stages"]}
    r = rm.run_sweep(rng.randint(1, 4), "job.yaml", out, label="final",
                     env={"FCFIT_TASK_LOG": rm.path("final.tasks")})
    entries = rm.read_task_log("final.tasks")
    require(not rm.duplicates(entries), "final resume computed items twice: %s"
            % rm.duplicates(entries)[:10])
    names = ["sweep", "optimize", "refine", "validate"]
    for (stage, row), _, _ in entries:
        st = before.get(names[stage])
        require(st is None or st[row] == 0, "final resume recomputed %s row %d, which was done"
                % (names[stage], row))
    rm.require_identical("ref.h5", out, "killed %d times and resumed" % len(plan))


def s_stages_sigusr1():
    """SIGUSR1 to mpiexec mid-optimize: exit 3, a clean file with the optimize stage marked
    running; the same command resumes (replaying the optimizers) to the identical file."""
    chain_job("job.yaml")
    rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    r = rm.start_run(3, "job.yaml", "res.h5", sets=("test.delay_s=0.02",), label="signalled",
                     env={"FCFIT_TASK_LOG": rm.path("sig.tasks")})
    rm.wait_for(lambda: sum(1 for (s, _), _, _ in rm.read_task_log("sig.tasks") if s == 1) >= 20,
                120, "20 optimize items", r)
    require(r.alive(), "the run ended before the signal:\n" + r.describe())
    r.signal(signal.SIGUSR1)
    code = r.wait()
    require(code == 3, "exit code %d after SIGUSR1, expected 3\n%s" % (code, r.describe()))
    require("SIGUSR1" in r.stderr, "fcfit does not name the signal:\n" + r.stderr)
    rm.check_readable("res.h5")
    require(stage_state("res.h5", "sweep") == 2 and stage_state("res.h5", "optimize") == 1,
            "after SIGUSR1 mid-optimize: states sweep %d optimize %d"
            % (stage_state("res.h5", "sweep"), stage_state("res.h5", "optimize")))
    rm.require_done_rows_match("res.h5", "ref.h5", "after SIGUSR1")
    rm.run_sweep(2, "job.yaml", "res.h5", label="resume")
    rm.require_identical("ref.h5", "res.h5", "stopped by SIGUSR1 mid-optimize and resumed")


def s_stages_bad():
    """Bad stage configurations: exit 2 with one message naming the job file line and the key,
    from `fcfit check` and from `mpiexec fcfit run` (which writes nothing)."""
    def body(text, old, new):
        require(old in text, "fixture lacks %r" % old)
        return text.replace(old, new, 1)
    base = CHAIN % ""
    cases = [
        ("unknown_algorithm", body(base, "  n_starts: 3\n", "  n_starts: 3\n  algorithm: "
                                   "LN_PRAXIS\n"), "optimize.algorithm", "LN_SBPLX"),
        ("empty_bounds", body(base, "model.rww.G: {range: [0, 100]}",
                              "model.rww.G: {range: [1, 1]}"), "optimize.params.model.rww.G",
         "expected lo < hi"),
        ("maxeval_zero", body(base, "  maxeval: 25\n", "  maxeval: 0\n"), "optimize.maxeval",
         "[1, "),
        ("refine_global_param", body(base, "    model.rww.w: {}\n", "    model.rww.G: {}\n"),
         "refine.params.model.rww.G", "not a regional parameter"),
        ("validate_alone", body(base, "stages: [sweep, optimize, refine, validate]",
                                "stages: [validate]").replace("sweep:\n  params:\n    model.rww"
                                                              ".G: {linspace: [10, 90, 5]}\n"
                                                              "    model.rww.w: {values: [0.5, "
                                                              "2.5, 4.5]}\n", "").split(
                                    "optimize:\n")[0] + "validate: {candidates: 3}\n",
         "stages", "no sweep, optimize or refine stage"),
        ("wrong_order", body(base, "stages: [sweep, optimize, refine, validate]",
                             "stages: [sweep, refine, optimize, validate]"), "stages",
         "always run in the order"),
        ("unknown_stage", body(base, "stages: [sweep, optimize, refine, validate]",
                               "stages: [sweep, polish]"), "stages", "'polish' is not a stage"),
        ("stage_keys_not_listed", body(base, "stages: [sweep, optimize, refine, validate]",
                                       "stages: [sweep, optimize, validate]"), "refine.params",
         "not in stages"),
        ("bobyqa_one_dim", body(body(base, "    model.rww.w: {range: [0, 5]}\n", ""),
                                "  n_starts: 3\n", "  n_starts: 3\n  algorithm: LN_BOBYQA\n"),
         "optimize.algorithm", "at least 2 free dimensions"),
        ("objective_unknown", body(base, "fit: {objective: fc_rmse}",
                                   "fit: {objective: 1 - fc_cor}"), "fit.objective",
         "unknown score 'fc_cor'"),
        ("fcd_without_bold", body(base, "fit: {objective: fc_rmse}",
                                  "fit: {objective: 1 - fc_corr + fcd_ks}"), "fit.objective",
         "needs empirical BOLD"),
        ("refine_budget_below_generation", body(base, "  maxeval: 72\n", "  maxeval: 5\n"),
         "refine.maxeval", "less than one CMA-ES generation"),
    ]
    failures = []
    for name, text, key, fragment in cases:
        job = "bad_%s.yaml" % name
        rm.write(job, text)
        line = None
        for i, l in enumerate(text.splitlines(), 1):
            leaf = key.split(".")[-1]
            if re.search(r"\b%s\b" % re.escape(leaf), l) and line is None:
                line = i
        r = rm.fcfit("check", job, rc=None, label="check_" + name)
        err = r.stderr
        problems = []
        if r.rc != 2:
            problems.append("check exit %d, expected 2" % r.rc)
        if fragment not in err:
            problems.append("message lacks %r" % fragment)
        if key.split(".")[-1] not in err and key not in err:
            problems.append("message does not name %s" % key)
        if not re.search(r"%s:\d+" % re.escape(job), err):
            problems.append("message does not name the job line (%s:N)" % job)
        if problems:
            failures.append("%s: %s\n%s" % (name, "; ".join(problems), err))
    # {} in optimize.params means the parameter's own bounds (rww G: [0, 100]).
    rm.write("own_bounds.yaml", base.replace("model.rww.G: {range: [0, 100]}", "model.rww.G: {}"))
    r = rm.fcfit("check", "own_bounds.yaml", label="check_own_bounds")
    require(re.search(r"model\.rww\.G\s+\[0, 100\]", r.stdout),
            "optimize.params {} does not give the parameter's bounds:\n" + r.stdout)
    # One through mpiexec: exit 2 and no results file.
    rm.write("bad_run.yaml", cases[0][1])
    r = rm.run_sweep(3, "bad_run.yaml", "bad.h5", rc=2, err=("optimize.algorithm",))
    require(not os.path.exists(rm.path("bad.h5")) and not os.path.exists(
        rm.path("bad.h5.creating")), "a results file was written for a bad job")
    require(not failures, "\n".join(failures))


def s_stages_report():
    """fcfit report of a fitted file shows every stage, the optimizer traces, the validation
    table and the fit; --stage NAME limits it; --stage NAME --csv exports one stage; --csv
    alone on several stages and an unknown --stage are usage errors (exit 2)."""
    chain_job("job.yaml")
    rm.run_sweep(2, "job.yaml", "res.h5")
    rep = rm.fcfit("report", "res.h5").stdout
    for s in ("sweep", "optimize", "refine", "validate"):
        require(re.search(r"^%s: done" % s, rep, re.M), "report lacks stage %s:\n%s" % (s, rep))
    require("best-so-far per instance" in rep, "no optimizer traces:\n" + rep)
    require(re.search(r"^fit:\s+fc_rmse = \S+ \+- \S+ \(validated", rep, re.M),
            "no validated fit line:\n" + rep)
    require(re.search(r"^\s+w\s+regional, mean", rep, re.M), "fit lacks the regional w:\n" + rep)
    one = rm.fcfit("report", "res.h5", "--stage", "optimize").stdout
    require("optimize: done" in one and "sweep: done" not in one, "--stage optimize:\n" + one)
    text = rm.fcfit("report", "res.h5", "--stage", "optimize", "--csv").stdout
    table = list(csv.reader(io.StringIO(text)))
    with h5py.File(rm.path("res.h5"), "r") as f:
        cap = f["optimize/status"].shape[0]
        objective = f["optimize/objective"][()]
        status = f["optimize/status"][()]
    require(len(table) == cap + 1, "CSV rows %d, capacity %d" % (len(table) - 1, cap))
    hdr = table[0]
    require(hdr[:3] == ["row", "model.rww.G", "model.rww.w"] and "instance" in hdr
            and "eval_index" in hdr, "CSV header %s" % hdr)
    for row in table[1:]:
        p = int(row[0])
        cell = row[hdr.index("objective")]
        if status[p] != 0:
            require(float(cell) == objective[p], "CSV objective of row %d: %s vs %r"
                    % (p, cell, objective[p]))
        else:
            require(cell == "" and row[hdr.index("status")] == "pending", "pending row %d: %s"
                    % (p, row))
    # Any row, and the fit's answer, re-simulated from the file: its stored scores, bitwise.
    with h5py.File(rm.path("res.h5"), "r") as f:
        rows = np.flatnonzero(f["optimize/status"][()] != 0)
        orow = int(rows[len(rows) // 2])
        want_opt = f["optimize/scores_replicate"][orow][1]
        frow = int(f["fit/row"][0])
        want_fit = f["validate/scores_replicate"][frow][0]
    rm.fcfit("simulate", "job.yaml", "--from", "res.h5", "--stage", "optimize", "--row", str(orow),
             "--replicate", "1", "-o", "row.h5")
    rm.fcfit("simulate", "job.yaml", "--from", "res.h5", "-o", "fit.h5")
    for out, want in (("row.h5", want_opt), ("fit.h5", want_fit)):
        with h5py.File(rm.path(out), "r") as f:
            names = [str(n) for n in f["scores"].keys()]
            with h5py.File(rm.path("res.h5"), "r") as g:
                order = [str(n) for n in g["optimize/scores"].attrs["names"]]
            got = np.array([f["scores"][n][()] for n in order])
            require(sorted(names) == sorted(order), "simulate scores %s" % names)
        require(np.array_equal(got.view(np.uint8), np.asarray(want).view(np.uint8)),
                "simulate %s: scores %s, stored %s" % (out, got, want))
    r = rm.fcfit("simulate", "job.yaml", "--from", "res.h5", "--set", "sim.seed=8", "-o", "x.h5",
                 rc=2)
    require("another job" in r.stderr, "simulate --from another job's file: %s" % r.stderr)
    r = rm.fcfit("simulate", "job.yaml", "--from", "res.h5", "--stage", "optimize", "--row",
                 "100000", "-o", "x.h5", rc=2)
    require("rows 0 to" in r.stderr, "simulate --row out of range: %s" % r.stderr)
    # The figures.
    plot = os.path.join(rm.HERE, "..", "..", "scripts", "fcfit_plot.py")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        note("  matplotlib absent: fcfit_plot.py not tried")
    else:
        p = rm.Run(["/usr/bin/python3", plot, "res.h5", "-o", "plots"], label="plot")
        require(p.wait() == 0, "fcfit_plot.py failed:\n" + p.describe())
        for name in ("fc", "sweep", "traces", "regional", "validation"):
            png = rm.path(os.path.join("plots", name + ".png"))
            require(os.path.exists(png) and os.path.getsize(png) > 1000, "no %s.png" % name)
    r = rm.fcfit("report", "res.h5", "--csv", rc=2)
    require("--stage" in r.stderr, "--csv on 4 stages: %s" % r.stderr)
    r = rm.fcfit("report", "res.h5", "--stage", "polish", rc=2)
    require("no stage 'polish'" in r.stderr, "unknown --stage: %s" % r.stderr)


def s_quickstart():
    """jobs/quickstart.yaml (sweep -> optimize -> refine -> validate on the built-in synthetic
    connectome and target) on 1 and 3 ranks: identical files; the report shows every stage and
    the regional fit improves on the best homogeneous point."""
    job = os.path.join(rm.HERE, "..", "..", "jobs", "quickstart.yaml")
    rm.run_sweep(3, job, "q3.h5", sets=("log.progress_s=0",))
    rm.run_sweep(1, job, "q1.h5", sets=("log.progress_s=0",))
    rm.require_identical("q3.h5", "q1.h5", "quickstart on 3 ranks vs 1 rank")
    rep = rm.fcfit("report", "q3.h5").stdout
    for s in ("sweep", "optimize", "refine", "validate"):
        require(re.search(r"^%s: done" % s, rep, re.M), "report lacks stage %s:\n%s" % (s, rep))
    require(re.search(r"^fit:", rep, re.M), "report lacks the fit:\n" + rep)


SCENARIOS = {
    "stages_invariance": s_stages_invariance,
    "stages_kill_resume": s_stages_kill_resume,
    "stages_sigusr1": s_stages_sigusr1,
    "stages_bad": s_stages_bad,
    "stages_report": s_stages_report,
    "quickstart": s_quickstart,
}

if __name__ == "__main__":
    sys.exit(rm.main(SCENARIOS, __doc__))
