#!/usr/bin/python3
"""Integration scenarios of the distributed sweep: `mpiexec -n P fcfit run`, `fcfit report`,
`fcfit simulate --point` (CTest labels "mpi" and "integration"; registered by mpi.cmake).

usage: run_mpi.py --mpiexec MPIEXEC --fcfit FCFIT [--tmp DIR] [--keep] SCENARIO

Every scenario writes its small jobs into a fresh directory under DIR (default: the system
temporary directory), runs fcfit there and checks exit codes, messages and the results files
(h5py, scripts/fcfit_results.py). Exit code 0: pass, 1: fail, 77: skipped. On failure the
directory is kept and its path printed.

mpiexec is started in a new session (start_new_session=True). "kill -9 of every rank" is
SIGKILL to every process of that session, by pid: Open MPI 4 puts each rank in a process group
of its own (setpgid in the launched child), so os.killpg(mpiexec's pgid) alone kills mpiexec
and leaves the ranks running, orphaned, still writing the results file. Only processes this
driver started (members of the sessions it created) are ever signalled.

Running as root on a 2-core machine needs OMPI_ALLOW_RUN_AS_ROOT=1,
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 and OMPI_MCA_rmaps_base_oversubscribe=1 (set by mpi.cmake;
the driver sets them too when they are missing).

Test hooks of fcfit used here: FCFIT_TASK_LOG=path (every rank appends "stage row replicate
rank" when it finishes a work item) and FCFIT_TEST_PAUSE_CREATE=seconds (every rank sleeps inside the
results-file creation window).
"""
import argparse
import csv
import hashlib
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import fcfit_results as fr  # noqa: E402

SKIP = 77
MPIEXEC = None
FCFIT = None
ROOT = None          # the scenario's directory
RUN_TIMEOUT = 240    # seconds; a run that takes longer is a hang


class Failure(Exception):
    pass


def require(cond, msg):
    if not cond:
        raise Failure(msg)


def note(msg):
    print(msg, flush=True)


# ---- processes ---------------------------------------------------------------------------------

def base_env(extra=None):
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    # The hooks are set per run, never inherited from the caller.
    for k in ("FCFIT_TASK_LOG", "FCFIT_TEST_PAUSE_CREATE"):
        env.pop(k, None)
    env.update(extra or {})
    return env


def session_members(sid):
    """Live (non-zombie) processes of session sid: list of (pid, comm)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            out.append((int(d), comm))
    return out


_run_counter = [0]


class Run:
    """One command started in its own session; stdout/stderr go to files in ROOT."""

    def __init__(self, argv, env=None, label=None):
        _run_counter[0] += 1
        self.label = label or "run%02d" % _run_counter[0]
        self.argv = argv
        self.out_path = os.path.join(ROOT, self.label + ".stdout")
        self.err_path = os.path.join(ROOT, self.label + ".stderr")
        self.t0 = time.monotonic()
        with open(self.out_path, "w") as so, open(self.err_path, "w") as se:
            self.p = subprocess.Popen(argv, cwd=ROOT, env=base_env(env), stdout=so, stderr=se,
                                      start_new_session=True)
        self.sid = self.p.pid  # session leader: its pid is the session id
        self.rc = None

    def elapsed(self):
        return time.monotonic() - self.t0

    def alive(self):
        return self.p.poll() is None

    def wait(self, timeout=RUN_TIMEOUT):
        try:
            self.rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise Failure("HANG: %s did not finish within %d s\n%s"
                          % (" ".join(self.argv), timeout, self.describe()))
        left = self._wait_session_empty(20.0)
        if left:
            self.kill9()
            raise Failure("processes of %s still running 20 s after mpiexec ended: %s"
                          % (self.label, left))
        return self.rc

    def _wait_session_empty(self, timeout):
        end = time.monotonic() + timeout
        while True:
            left = session_members(self.sid)
            if not left or time.monotonic() > end:
                return left
            time.sleep(0.02)

    def kill9(self):
        """SIGKILL to every process of the run (mpiexec and every rank), by pid."""
        end = time.monotonic() + 30.0
        while True:
            members = session_members(self.sid)
            if not members:
                break
            for pid, _ in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > end:
                raise Failure("%s: processes survive SIGKILL: %s" % (self.label, members))
            time.sleep(0.01)
        self.rc = self.p.wait()

    def signal(self, sig):
        self.p.send_signal(sig)

    @property
    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    @property
    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def describe(self):
        return "$ %s\nexit code %s (%.1f s)\n--- stdout ---\n%s--- stderr ---\n%s" % (
            " ".join(self.argv), self.rc, self.elapsed(), self.stdout[-4000:],
            self.stderr[-4000:])


def mpi_argv(ranks, args):
    return [MPIEXEC, "-n", str(ranks), FCFIT] + list(args)


def start_run(ranks, job, out, sets=(), env=None, label=None, force=False):
    args = ["run", job, "-o", out]
    for s in sets:
        args += ["--set", s]
    if force:
        args.append("--force")
    return Run(mpi_argv(ranks, args), env=env, label=label)


def run_sweep(ranks, job, out, sets=(), env=None, rc=0, label=None, force=False, err=()):
    """Run `fcfit run` under mpiexec to completion and require its exit code."""
    r = start_run(ranks, job, out, sets, env, label, force)
    code = r.wait()
    problems = []
    if code != rc:
        problems.append("exit code %d, expected %d" % (code, rc))
    problems += ["stderr lacks %r" % s for s in err if s not in r.stderr]
    if problems:
        raise Failure(r.describe() + "\n" + "\n".join(problems))
    note("  %s: -n %d run %s -o %s %s -> %d in %.1f s"
         % (r.label, ranks, job, out, " ".join("--set " + s for s in sets), code, r.elapsed()))
    return r


def fcfit(*args, rc=0, env=None, label=None):
    """Run fcfit without mpiexec (report, simulate, check)."""
    r = Run([FCFIT] + list(args), env=env, label=label)
    code = r.wait()
    if rc is not None and code != rc:
        raise Failure(r.describe() + "\nexit code %d, expected %d" % (code, rc))
    return r


# ---- files -------------------------------------------------------------------------------------

def path(name):
    return os.path.join(ROOT, name)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return name


def sha256(name):
    with open(path(name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_task_log(name):
    """Lines "stage row replicate rank" of a task log, as a list of ((stage, row), replicate,
    rank)."""
    p = path(name)
    if not os.path.exists(p):
        return []
    out = []
    with open(p) as f:
        for line in f:
            parts = line.split()
            require(len(parts) == 4 and all(x.lstrip("-").isdigit() for x in parts),
                    "%s: malformed task log line %r" % (name, line))
            v = [int(x) for x in parts]
            out.append(((v[0], v[1]), v[2], v[3]))
    return out


def duplicates(entries):
    seen, dup = set(), []
    for p, r, _ in entries:
        if (p, r) in seen:
            dup.append((p, r))
        seen.add((p, r))
    return dup


def check_readable(name):
    """The file must open with h5py and every dataset and attribute must read back."""
    try:
        return fr.load(path(name))
    except Exception as e:  # noqa: BLE001 -- any failure to read is the finding
        raise Failure("%s exists but h5py cannot read it: %s: %s" % (name, type(e).__name__, e))


def statuses(name):
    with h5py.File(path(name), "r") as f:
        return f["sweep/status"][()].astype(int)


def stage_summary(name, stage="sweep"):
    """A stage's summary datasets (state, rows_used, n_failed, best_row, best_objective)."""
    with h5py.File(path(name), "r") as f:
        g = f[stage]
        return {k: g[k][()][0] for k in ("state", "rows_used", "n_failed", "best_row",
                                          "best_objective")}


def require_identical(a, b, what):
    problems = fr.compare(path(a), path(b))
    require(not problems, "%s: %s and %s differ:\n  %s" % (what, a, b, "\n  ".join(problems)))


def require_done_rows_match(partial, reference, what):
    """Rows marked done in `partial` equal the reference rows (nothing done is damaged)."""
    problems = fr.compare(path(partial), path(reference), done_only=True)
    require(not problems, "%s: done rows of %s differ from %s:\n  %s"
            % (what, partial, reference, "\n  ".join(problems)))


# ---- jobs --------------------------------------------------------------------------------------

def rww_job(name, g_values="{linspace: [0.1, 1.5, 6]}", second="model.rww.sigma: {values: "
            "[0.001, 0.003]}", duration=50, replicates=2, extra=""):
    """A small reduced Wong-Wang sweep on the 8-region synthetic connectome (about 0.1-0.2 s of
    CPU per simulation)."""
    return write(name, """\
model:
  name: rww
  rww:
    G: 0.6
    sigma: 0.001
connectome:
  synthetic:
    n_regions: 8
    seed: 1
target:
  synthetic: true
sim:
  duration_s: %s
  transient_s: 10
  seed: 42
  replicates: %d
bold:
  tr_s: 2
fc:
  bandpass: true
sweep:
  sampler: grid
  objective: fc_corr
  params:
    model.rww.G: %s
    %s
output:
  path: results.h5
log:
  progress_s: 0
%s""" % (duration, replicates, g_values, second, extra))


def hopf_job(name, a_values="[-0.3, -0.1, -0.02]", g_values="[0.1, 0.5]", seed=42,
             threshold=None, duration=200):
    """A Hopf sweep at the BOLD level (bold.model direct, 100 ms steps): a few ms per point.
    For s_diverged: explicit Euler with a 100 ms step blows up (NaN) for a >= 25 /s, and with
    a divergence threshold of 1.5, a = 3 /s (limit-cycle radius sqrt(3)) exceeds it."""
    return write(name, """\
model:
  name: hopf
  hopf:
    a: -0.02
    G: 0.2
    beta: 0.02
connectome:
  synthetic:
    n_regions: 8
    seed: 1
target:
  synthetic: true
sim:
  duration_s: %s
  transient_s: 20
  seed: %d
  replicates: 2
  integrator: euler
%sbold:
  model: direct
  dt_ms: 100
  tr_s: 2
fc:
  bandpass: false
sweep:
  params:
    model.hopf.a: {values: %s}
    model.hopf.G: {values: %s}
log:
  progress_s: 0
""" % (duration, seed, "  divergence_threshold: %s\n" % threshold if threshold else "",
       a_values, g_values))


# ---- scenarios ---------------------------------------------------------------------------------

def s_rank_invariance():
    """Rank-count, batch and chunk invariance: 1, 2, 3, 4 ranks, batch_lanes 3, another
    sim.chunk_ms -> identical files (timing and rank columns excepted)."""
    # A map-based regional dimension too, so that maps travel in the plan.
    write("t1t2.csv", "0.3\n1.2\n0.8\n-0.5\n2.0\n0.1\n0.9\n1.5\n")
    rww_job("job.yaml", g_values="{linspace: [0.2, 1.4, 4]}",
            second="model.rww.w: {map: t1t2.csv, offset: 0.9, slope: {values: [-0.05, 0.05]}, "
                   "normalize: zscore}")
    run_sweep(1, "job.yaml", "n1.h5")
    require(statuses("n1.h5").tolist() == [1] * 8, "not every point is ok on 1 rank: %s"
            % statuses("n1.h5"))
    variants = [(2, "n2.h5", ()), (3, "n3.h5", ()), (4, "n4.h5", ()),
                (3, "lanes3.h5", ("run.batch_lanes=3",)),
                (1, "lanes3_n1.h5", ("run.batch_lanes=3",)),
                (2, "chunk.h5", ("sim.chunk_ms=3700",))]
    for ranks, out, sets in variants:
        run_sweep(ranks, "job.yaml", out, sets=sets)
        require_identical("n1.h5", out, "-n %d %s" % (ranks, " ".join(sets)))
    # The worker_rank column does record who computed what: with 4 ranks, workers 1..3.
    with h5py.File(path("n4.h5"), "r") as f:
        ranks = set(f["sweep/worker_rank"][()].tolist())
    require(ranks <= {1, 2, 3} and ranks, "worker_rank of a 4-rank run: %s" % sorted(ranks))


def wait_for(cond, timeout, what, run=None):
    end = time.monotonic() + timeout
    while not cond():
        if run is not None and not run.alive():
            return False
        if time.monotonic() > end:
            if run is not None:
                run.kill9()
            raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.01)
    return True


def s_kill_resume():
    """kill -9 of every rank at seeded moments, then a resume: the same file as an uninterrupted
    run; after each kill the file is absent or readable and its done rows are intact; the final
    resume computes exactly the pending points x all replicates, each once."""
    rng = random.Random(20240611)
    rww_job("job.yaml", extra="run:\n  batch_lanes: 1   # one item per message: kills land mid-run\n")
    P, R = 12, 2
    run_sweep(2, "job.yaml", "ref.h5", label="reference")
    out = "res.h5"

    def after_kill(tag, run):
        note("  %s: killed -9 after %.2f s" % (tag, run.elapsed()))
        entries = read_task_log(run.label + ".tasks")
        dup = duplicates(entries)
        require(not dup, "%s: items computed twice within one run: %s" % (tag, dup))
        if not os.path.exists(path(out)):
            note("  %s: no file at the output path" % tag)
            return None
        check_readable(out)
        st = statuses(out)
        require_done_rows_match(out, "ref.h5", tag)
        note("  %s: file readable, %d of %d points done" % (tag, int((st != 0).sum()), P))
        return st

    # 1. During file creation: every rank sleeps 2 s after creating the datasets, before the
    #    flush and rename. Kill 0.5-1 s after the temporary file appeared.
    tag = "kill 1 (during file creation)"
    r = start_run(3, "job.yaml", out, label="kill1",
                  env={"FCFIT_TEST_PAUSE_CREATE": "2", "FCFIT_TASK_LOG": path("kill1.tasks")})
    wait_for(lambda: os.path.exists(path(out + ".creating")), 60, "the .creating file", r)
    time.sleep(rng.uniform(0.5, 1.0))
    require(r.alive(), "%s: the run ended before the kill:\n%s" % (tag, r.describe()))
    r.kill9()
    st = after_kill(tag, r)
    require(st is None, "%s: a file appeared at the output path although the kill came inside "
            "the creation window" % tag)

    # 2. Before any point is done: as soon as the file exists.
    tag = "kill 2 (before any point is done)"
    r = start_run(2, "job.yaml", out, label="kill2", env={"FCFIT_TASK_LOG": path("kill2.tasks")})
    wait_for(lambda: os.path.exists(path(out)), 60, "the results file", r)
    time.sleep(rng.uniform(0.0, 0.02))
    require(r.alive(), "%s: the run ended before the kill:\n%s" % (tag, r.describe()))
    r.kill9()
    st = after_kill(tag, r)
    require(st is not None, "%s: the results file vanished after the kill" % tag)
    if (st != 0).any():
        note("  note: %s came after %d point(s) were done" % (tag, int((st != 0).sum())))

    # 3, 4. Mid-run: after a seeded fraction of the remaining items has finished (early in the
    #    run for kill 3, around the middle for kill 4), plus a seeded delay, so that the kills
    #    land at comparable moments on fast and slow machines.
    for k, ranks, frac in ((3, 4, rng.uniform(0.1, 0.3)), (4, 3, rng.uniform(0.4, 0.6))):
        tag = "kill %d (mid-run, %d ranks)" % (k, ranks)
        tlog = path("kill%d.tasks" % k)
        remaining = int((statuses(out) == 0).sum()) * R
        n_items = max(1, int(round(frac * remaining)))
        delay = rng.uniform(0.0, 0.3)
        r = start_run(ranks, "job.yaml", out, label="kill%d" % k, env={"FCFIT_TASK_LOG": tlog})
        finished = not wait_for(lambda: len(read_task_log("kill%d.tasks" % k)) >= n_items, 120,
                                "%d finished items" % n_items, r)
        if not finished:
            time.sleep(delay)
        if not r.alive():
            r.wait()
            raise Failure("%s: the run ended before the kill (too fast for this test?):\n%s"
                          % (tag, r.describe()))
        r.kill9()
        note("  %s: %d of %d remaining items had finished, then %.2f s"
             % (tag, n_items, remaining, delay))
        after_kill(tag, r)

    # Final, uninterrupted resume on another rank count.
    before = statuses(out)
    pending = [p for p in range(P) if before[p] == 0]
    require(pending, "every point was done before the final resume; the kills came too late")
    note("  before the final resume: %d pending points %s" % (len(pending), pending))
    r = run_sweep(3, "job.yaml", out, label="final", env={"FCFIT_TASK_LOG": path("final.tasks")})
    entries = read_task_log("final.tasks")
    dup = duplicates(entries)
    require(not dup, "final resume: items computed twice: %s" % dup)
    got = sorted((p, q) for p, q, _ in entries)
    want = sorted(((0, p), q) for p in pending for q in range(R))
    require(got == want, "final resume computed %s\nexpected the pending points x replicates %s"
            % (got, want))
    require_identical("ref.h5", out, "killed 4 times and resumed")
    require(not os.path.exists(path(out + ".creating")),
            "the temporary file of the killed creation is still there after the final run")
    a = stage_summary(out)
    require(int(a["rows_used"]) == P and int(a["state"]) == 2,
            "after the resume: rows_used %s, state %s" % (a["rows_used"], a["state"]))


def s_sigusr1():
    """SIGUSR1 to mpiexec mid-run: exit 3, the signal named, a clean partial file whose n_done
    matches its status column; a second run completes it, equal to an uninterrupted run."""
    rng = random.Random(7)
    rww_job("job.yaml", extra="run:\n  batch_lanes: 1\n")
    P = 12
    run_sweep(2, "job.yaml", "ref.h5", label="reference")
    n_items = rng.randint(4, 8)
    r = start_run(3, "job.yaml", "res.h5", label="signalled",
                  env={"FCFIT_TASK_LOG": path("signalled.tasks")})
    wait_for(lambda: len(read_task_log("signalled.tasks")) >= n_items, 120,
             "%d finished items" % n_items, r)
    require(r.alive(), "the run ended before the signal:\n" + r.describe())
    r.signal(signal.SIGUSR1)
    note("  SIGUSR1 after %.2f s (%d items finished)" % (r.elapsed(), n_items))
    code = r.wait()
    err = r.stderr
    require(code == 3, "exit code %d after SIGUSR1, expected 3\n%s" % (code, r.describe()))
    # fcfit's own message (mpiexec also says "Forwarding signal 10 to job", which is not it).
    require(re.search(r"^fcfit.*\bsignal\b", err, re.M),
            "fcfit's messages do not mention the signal:\n" + err)
    require(not duplicates(read_task_log("signalled.tasks")), "items computed twice")
    check_readable("res.h5")
    st = statuses("res.h5")
    a = stage_summary("res.h5")
    n_done = int((st != 0).sum())
    require(0 < n_done < P, "after SIGUSR1: %d of %d points done; expected a partial file"
            % (n_done, P))
    require(int(a["state"]) == 1, "stage state %s on a partial file, expected 1 (running)"
            % a["state"])
    require_done_rows_match("res.h5", "ref.h5", "after SIGUSR1")
    rep = fcfit("report", "res.h5")
    require(re.search(r"\b%d pending\b" % (P - n_done), rep.stdout),
            "report of the partial file does not say %d pending:\n%s" % (P - n_done, rep.stdout))
    run_sweep(2, "job.yaml", "res.h5", label="resume")
    require_identical("ref.h5", "res.h5", "stopped by SIGUSR1 and resumed")


def s_diverged():
    """Failures are data: diverging points end with status 2 and a reason, the run exits 0, the
    report groups them by reason, the best point is a healthy one."""
    a_values = [-0.02, 0.3, 3, 25, 1000]
    g_values = [0.1, 0.5]
    hopf_job("job.yaml", a_values=str(a_values), g_values=str(g_values), threshold=1.5)
    # Check with `fcfit simulate` that these settings really diverge (and the others do not).
    expect = {}
    for k in range(len(a_values) * len(g_values)):
        a = a_values[k // len(g_values)]
        r = fcfit("simulate", "job.yaml", "--point", str(k), "-o", "sim%d.h5" % k)
        with h5py.File(path("sim%d.h5" % k), "r") as f:
            expect[k] = int(f.attrs["status_code"])
        require((expect[k] == 2) == (a >= 3), "simulate --point %d (a = %g): status %d; the "
                "test expects divergence exactly for a >= 3\n%s" % (k, a, expect[k], r.stdout))
    # Mixed batches: a diverging lane next to healthy ones must not disturb them.
    run_sweep(3, "job.yaml", "res.h5", sets=("run.batch_lanes=3",))
    run_sweep(1, "job.yaml", "res1.h5")
    require_identical("res.h5", "res1.h5", "diverging points, 3 lanes x 2 workers vs 1 rank")
    with h5py.File(path("res.h5"), "r") as f:
        st = f["sweep/status"][()].astype(int)
        reasons = [x.decode() if isinstance(x, bytes) else str(x) for x in f["sweep/reason"][()]]
        scores = f["sweep/scores"][()]
        names = [str(n) for n in f["sweep/scores"].attrs["names"]]
        best = int(f["sweep/best_row"][0])
        n_failed = int(f["sweep/n_failed"][0])
    for k in range(len(st)):
        if expect[k] == 2:
            require(st[k] == 2 and reasons[k] != "", "point %d: status %d, reason %r; expected "
                    "diverged with a reason" % (k, st[k], reasons[k]))
        else:
            require(st[k] == 1 and reasons[k] == "", "point %d: status %d, reason %r; expected "
                    "ok" % (k, st[k], reasons[k]))
            require(np.isfinite(scores[k, names.index("fc_corr")]), "point %d: fc_corr NaN" % k)
    n_div = int((st == 2).sum())
    require(n_failed == n_div, "sweep/n_failed = %d, %d rows diverged" % (n_failed, n_div))
    require(st[best] == 1, "best_row %d has status %d" % (best, st[best]))
    rep = fcfit("report", "res.h5").stdout
    require(re.search(r"failures:\s+%d\b" % n_div, rep), "report lacks 'failures: %d':\n%s"
            % (n_div, rep))
    groups = {}
    for m in re.finditer(r"^\s+(\d+) x (\w+): (.*)$", rep, re.M):
        key = (m.group(2), m.group(3).strip())
        require(key not in groups, "report lists %s twice:\n%s" % (key, rep))
        groups[key] = int(m.group(1))
    want = {}
    for k in range(len(st)):
        if st[k] == 2:
            want[("diverged", reasons[k])] = want.get(("diverged", reasons[k]), 0) + 1
    require(groups == want, "report groups failures as %s, the file holds %s\n%s"
            % (groups, want, rep))
    require(len(want) >= 2, "expected two distinct divergence reasons, found %s" % want)
    m = re.search(r"^\s+best row (\d+)", rep, re.M)
    require(m and int(m.group(1)) == best, "report's best row differs from best_row %d:\n%s"
            % (best, rep))


def s_mismatch():
    """A results file of another job is refused with exit 2 and left byte-for-byte untouched;
    --force replaces it."""
    hopf_job("job.yaml", a_values="[-0.1, -0.02]", g_values="[0.1, 0.3]")
    hopf_job("job_other_values.yaml", a_values="[-0.1, -0.03]", g_values="[0.1, 0.3]")
    run_sweep(2, "job.yaml", "res.h5")
    digest = sha256("res.h5")
    cases = [("another seed", "job.yaml", ("sim.seed=7",)),
             ("another swept value", "job_other_values.yaml", ()),
             ("another seed, 1 rank", "job.yaml", ("sim.seed=8",))]
    for i, (what, job, sets) in enumerate(cases):
        ranks = 1 if "1 rank" in what else 3
        r = run_sweep(ranks, job, "res.h5", sets=sets, rc=2, label="mismatch%d" % i)
        err = r.stderr
        require("res.h5" in err and "written by a different job" in err,
                "%s: the message does not name the file and say it was written by a different "
                "job:\n%s" % (what, err))
        require(sha256("res.h5") == digest, "%s: the existing file was modified" % what)
        require(not os.path.exists(path("res.h5.creating")), "%s: a .creating file" % what)
    # Not a results file at all.
    write("notes.h5", "my notes, not HDF5\n")
    d2 = sha256("notes.h5")
    r = run_sweep(2, "job.yaml", "notes.h5", rc=2)
    require("notes.h5" in r.stderr, "the message does not name notes.h5:\n" + r.stderr)
    require(sha256("notes.h5") == d2, "a foreign file was modified")
    # --force replaces it and completes.
    r = run_sweep(2, "job.yaml", "res.h5", sets=("sim.seed=7",), force=True)
    run_sweep(2, "job.yaml", "fresh.h5", sets=("sim.seed=7",))
    require_identical("fresh.h5", "res.h5", "--force replacement vs a fresh run")
    require(sha256("res.h5") != digest, "--force did not replace the file")


def s_report():
    """fcfit report: completion, top-k and best point of a finished file; --csv; the pending
    count of a partial file; exit 2 on files that are not results files."""
    hopf_job("job.yaml", a_values="[-0.5, -0.2, -0.1, -0.05, -0.02]", g_values="[0.05, 0.2]")
    run_sweep(2, "job.yaml", "res.h5")
    run = fr.load(path("res.h5"))
    s = run["stages"]["sweep"]
    P = s["status"].shape[0]
    dims = [str(n) for n in s["params@attrs"]["names"]]
    score_names = [str(n) for n in s["scores@attrs"]["names"]]
    best = int(s["best_row"][0])
    obj = str(s["attrs"]["objective"])
    rep = fcfit("report", "res.h5", "--top", "4").stdout
    require(re.search(r"completion:.*\b%d of %d\b.*\(100(\.0)?%%\)" % (P, P), rep),
            "report does not show 100%% completion:\n" + rep)
    require(re.search(r"\b0 pending\b", rep), "report does not show 0 pending:\n" + rep)
    # The top-k table: 4 rows, ordered by the objective, the best first.
    m = re.search(r"^\s+top (\d+) by (\w+).*\n.*\n((?:\s+\d+ .*\n){1,})", rep, re.M)
    require(m, "no top-k table in the report:\n" + rep)
    require(int(m.group(1)) == 4 and m.group(2) == obj, "top table header: %r" % m.group(0))
    rows = [int(line.split()[0]) for line in m.group(3).splitlines() if line.strip()]
    require(len(rows) == 4, "top table has %d rows, expected 4:\n%s" % (len(rows), rep))
    sense = int(s["scores@attrs"]["sense"][score_names.index(obj)])
    vals = [sense * s["scores"][p, score_names.index(obj)] for p in rows]
    require(rows[0] == best and all(vals[i] >= vals[i + 1] for i in range(3)),
            "top rows %s (values %s) are not ordered best first (best_row %d)"
            % (rows, vals, best))
    require(re.search(r"^\s+best row %d \(%s = " % (best, obj), rep, re.M),
            "report lacks 'best row %d':\n%s" % (best, rep))
    for d, name in enumerate(dims):
        require(re.search(r"^\s+%s = " % re.escape(name), rep, re.M),
                "best point lacks %s:\n%s" % (name, rep))
    # --csv
    text = fcfit("report", "res.h5", "--csv").stdout
    table = list(csv.reader(io.StringIO(text)))
    header = (["row"] + dims + ["status", "reason", "objective"] + score_names
              + ["worker_rank", "wall_time_s"])
    require(table and table[0] == header, "CSV header %s, expected %s" % (table[:1], header))
    require(len(table) == P + 1, "CSV has %d data rows, expected %d" % (len(table) - 1, P))
    for p, row in enumerate(table[1:]):
        require(len(row) == len(header), "CSV row %d has %d fields" % (p, len(row)))
        require(int(row[0]) == p and row[header.index("status")] == "ok",
                "CSV row %d: %s" % (p, row))
        for d, name in enumerate(dims):
            require(float(row[1 + d]) == s["params"][p, d], "CSV %s of point %d: %s vs %r"
                    % (name, p, row[1 + d], s["params"][p, d]))
        for k, name in enumerate(score_names):
            v = s["scores"][p, k]
            cell = row[header.index(name)]
            require((cell == "" and np.isnan(v)) or (cell != "" and float(cell) == v),
                    "CSV %s of point %d: %r vs %r" % (name, p, cell, v))
    # A partial file: the status column is the only truth, so clearing cells makes rows pending.
    shutil.copy(path("res.h5"), path("partial.h5"))
    with h5py.File(path("partial.h5"), "r+") as f:
        f["sweep/status"][[1, 4, 7]] = 0
    rep = fcfit("report", "partial.h5").stdout
    require(re.search(r"completion:.*\b%d of %d\b.*\b3 pending\b" % (P - 3, P), rep),
            "report of a partial file does not show %d of %d done, 3 pending:\n%s"
            % (P - 3, P, rep))
    text = fcfit("report", "partial.h5", "--csv").stdout
    table = list(csv.reader(io.StringIO(text)))
    require(len(table) == P + 1 and [r[0] for r in table[1:] if r[header.index("status")]
                                     == "pending"] == ["1", "4", "7"],
            "CSV of the partial file does not list points 1, 4, 7 as pending:\n" + text)
    # Not results files: exit 2.
    write("text.h5", "not hdf5\n")
    with h5py.File(path("plain.h5"), "w") as f:
        f["x"] = np.arange(3)
    fcfit("simulate", "job.yaml", "-o", "sim.h5")
    for name in ("text.h5", "plain.h5", "sim.h5", "missing.h5"):
        r = fcfit("report", name, rc=None)
        require(r.rc == 2 and name in r.stderr, "report %s: exit %d, expected 2 with a message "
                "naming the file\n%s" % (name, r.rc, r.describe()))


def s_resume_finished():
    """Resuming a finished file does no work, exits 0 and changes no result."""
    rww_job("job.yaml", g_values="{linspace: [0.3, 1.2, 2]}")
    run_sweep(2, "job.yaml", "res.h5")
    shutil.copy(path("res.h5"), path("before.h5"))
    for ranks in (3, 1):
        tlog = "again%d.tasks" % ranks
        r = run_sweep(ranks, "job.yaml", "res.h5", env={"FCFIT_TASK_LOG": path(tlog)})
        entries = read_task_log(tlog)
        require(not entries, "-n %d resume of a finished file computed %s\n%s"
                % (ranks, entries, r.describe()))
        require_identical("before.h5", "res.h5", "after resuming a finished file")


def s_bad_sweep():
    """Bad sweep specifications: exit 2, one message naming the job line and the key, and no
    output file."""
    write("map8.csv", "\n".join(str(0.1 * i) for i in range(8)) + "\n")
    write("map7.csv", "\n".join(str(0.1 * i) for i in range(7)) + "\n")
    hopf_base = hopf_job("hopf_base.yaml")
    with open(path(hopf_base)) as f:
        hopf_text = f.read()
    # name, model, lines under sweep.params (None: an empty mapping), other sweep keys, the key
    # the message must name, a fragment it must hold, and where it must point: None for the
    # job line (file:line), else a string (an input file is named itself, with the key, as
    # every other loader does: "map7.csv (sweep.params.model.rww.w.map): ...").
    cases = [
        ("unknown_param", "rww", ["model.rww.Gx: {values: [0.1, 0.2]}"], [],
         "model.rww.Gx", "has no parameter 'Gx'", None),
        ("other_model_param", "rww", ["model.rww.G: {values: [0.1, 0.2]}",
                                      "model.mpr.eta: {values: [-5, -4]}"], [],
         "model.mpr.eta", "not a parameter of the model", None),
        ("model_option", "hopf", ["model.hopf.coupling: {values: [0, 1]}"], [],
         "model.hopf.coupling", "option", None),
        ("out_of_bounds", "rww", ["model.rww.w: {values: [0.5, 7]}"], [],
         "model.rww.w", "outside the bounds", None),
        ("out_of_bounds_linspace", "rww", ["model.rww.G: {linspace: [-1, 1, 3]}"], [],
         "model.rww.G", "outside the bounds", None),
        ("out_of_bounds_map", "rww",
         ["model.rww.w: {map: map8.csv, offset: 0.9, slope: {values: [0, 9]}}"], [],
         "model.rww.w", "outside the bounds", None),
        ("grid_with_range", "rww", ["model.rww.G: {range: [0.1, 1.0]}"], [],
         "model.rww.G", "grid sampler", None),
        ("sobol_with_values", "rww", ["model.rww.G: {values: [0.1, 0.2]}"],
         ["sampler: sobol", "n_points: 4"], "model.rww.G", "sobol", None),
        ("sobol_without_n_points", "rww", ["model.rww.G: {range: [0.1, 1.0]}"],
         ["sampler: sobol"], "sweep.n_points", "sweep.n_points", None),
        ("map_on_global_param", "rww",
         ["model.rww.G: {map: map8.csv, offset: 0.5, slope: {values: [0, 0.1]}}"], [],
         "model.rww.G", "not a regional parameter", None),
        ("map_wrong_length", "rww",
         ["model.rww.w: {map: map7.csv, offset: 0.9, slope: {values: [0, 0.1]}}"], [],
         "model.rww.w", "one per region", "map7.csv (sweep.params.model.rww.w.map)"),
        ("empty_params", "rww", None, [], "sweep.params", "empty", None),
    ]
    rww_job("rww_base.yaml")
    with open(path("rww_base.yaml")) as f:
        rww_text = f.read()
    failures, pending = [], []
    for name, model, params, extra, key, fragment, where in cases:
        if model == "rww":
            head = rww_text[:rww_text.index("sweep:")]
            tail = rww_text[rww_text.index("output:"):]
        else:
            head = hopf_text[:hopf_text.index("sweep:")]
            tail = hopf_text[hopf_text.index("log:"):]
        body = "sweep:\n" + "".join("  %s\n" % e for e in extra)
        if params is None:
            body += "  params: {}\n"
        else:
            body += "  params:\n" + "".join("    %s\n" % p for p in params)
        text = head + body + tail
        job = "bad_%s.yaml" % name
        write(job, text)
        # The line the message must name: the key's line (sweep.* keys are written inside
        # the sweep section), else the sampler line (sobol without sweep.n_points).
        want_line = None
        short = key[len("sweep."):] if key.startswith("sweep.") else key
        for i, line in enumerate(text.splitlines(), 1):
            if line.strip().startswith(short + ":"):
                want_line = i
                break
        if want_line is None:
            for i, line in enumerate(text.splitlines(), 1):
                if line.strip().startswith("sampler:"):
                    want_line = i
                    break
        pending.append((name, job, key, fragment, where or "%s:%d" % (job, want_line)))
    # The runs are independent and mostly wait for mpiexec to wind down after the error:
    # four at a time.
    before = set(os.listdir(ROOT))
    for i in range(0, len(pending), 4):
        runs = [(c, start_run(2, c[1], "out_%s.h5" % c[0], label="bad_" + c[0]))
                for c in pending[i:i + 4]]
        for (name, job, key, fragment, where), r in runs:
            code = r.wait()
            err = r.stderr
            problems = []
            if code != 2:
                problems.append("exit code %d, expected 2" % code)
            if where not in err:
                problems.append("the message does not name %s" % where)
            if key not in err:
                problems.append("the message does not name the key %s" % key)
            if fragment not in err:
                problems.append("the message lacks %r" % fragment)
            if problems:
                failures.append("%s:\n%s\n  %s" % (name, r.describe(), "\n  ".join(problems)))
            else:
                msg = [x for x in err.splitlines() if "error:" in x]
                note("  %s: exit 2, %s" % (name, msg[0] if msg else "?"))
    created = sorted(p for p in set(os.listdir(ROOT)) - before
                     if not p.endswith((".stdout", ".stderr")))
    require(not created, "bad jobs created files: %s" % created)
    require(not failures, "\n\n".join(failures))


def s_simulate_point():
    """`fcfit simulate JOB --point K` reproduces the stored FC (float32) of replicate 0 and its
    replicate-0 scores bitwise."""
    rww_job("job.yaml", g_values="{linspace: [0.2, 1.4, 3]}")
    run_sweep(3, "job.yaml", "res.h5", sets=("run.batch_lanes=2",))
    with h5py.File(path("res.h5"), "r") as f:
        fc_rows = f["sweep/fc"][()]
        n = int(f["sweep/fc"].attrs["n_regions"])
        srep = f["sweep/scores_replicate"][()]
        names = [str(x) for x in f["sweep/scores_replicate"].attrs["names"]]
        P = f["sweep/status"].shape[0]
    require(fc_rows.dtype == np.float32, "fc is stored as %s, expected float32" % fc_rows.dtype)
    iu = np.triu_indices(n, k=1)
    for k in (0, P // 2, P - 1):
        fcfit("simulate", "job.yaml", "--point", str(k), "-o", "point%d.h5" % k)
        with h5py.File(path("point%d.h5" % k), "r") as f:
            fc = f["fc"][()]
            sc = {name: f["scores"][name][()] for name in f["scores"]}
        got = fc[iu].astype(np.float32)
        require(got.tobytes() == fc_rows[k].tobytes(),
                "point %d: simulated FC (as float32) differs from the stored row; max |diff| %g"
                % (k, float(np.nanmax(np.abs(got.astype(float) - fc_rows[k])))))
        for j, name in enumerate(names):
            require(name in sc, "simulate output lacks scores/%s" % name)
            a, b = np.float64(sc[name]), np.float64(srep[k, 0, j])
            require(a.tobytes() == b.tobytes(), "point %d: %s = %r by simulate, %r stored "
                    "(scores_replicate[%d, 0])" % (k, name, a, b, k))
        note("  point %d: FC and %d scores identical" % (k, len(names)))


SCENARIOS = {
    "rank_invariance": s_rank_invariance,
    "kill_resume": s_kill_resume,
    "sigusr1": s_sigusr1,
    "diverged": s_diverged,
    "mismatch": s_mismatch,
    "report": s_report,
    "resume_finished": s_resume_finished,
    "bad_sweep": s_bad_sweep,
    "simulate_point": s_simulate_point,
}


def main(scenarios=None, doc=None):
    """Run one scenario of `scenarios` (default: this file's) named on the command line."""
    global MPIEXEC, FCFIT, ROOT
    scenarios = SCENARIOS if scenarios is None else scenarios
    ap = argparse.ArgumentParser(description=(doc or __doc__).split("\n")[0])
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--fcfit", required=True)
    ap.add_argument("--tmp", default=None, help="parent of the scenario directories")
    ap.add_argument("--keep", action="store_true", help="keep the directory after a pass")
    ap.add_argument("scenario", choices=sorted(scenarios))
    a = ap.parse_args()
    MPIEXEC, FCFIT = a.mpiexec, os.path.abspath(a.fcfit)
    if not os.path.exists(MPIEXEC) and shutil.which(MPIEXEC) is None:
        print("skipped: no mpiexec (%s)" % MPIEXEC)
        return SKIP
    if a.tmp:
        os.makedirs(a.tmp, exist_ok=True)
    ROOT = tempfile.mkdtemp(prefix="mpi_%s_" % a.scenario, dir=a.tmp)
    t0 = time.monotonic()
    note("scenario %s in %s" % (a.scenario, ROOT))
    try:
        scenarios[a.scenario]()
    except Failure as e:
        print("FAIL %s (%.1f s): %s" % (a.scenario, time.monotonic() - t0, e))
        print("kept %s" % ROOT)
        return 1
    print("PASS %s (%.1f s)" % (a.scenario, time.monotonic() - t0))
    if not a.keep:
        shutil.rmtree(ROOT, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
