#!/usr/bin/python3
"""Operations scenarios of `fcfit run`: the results-file lock, a full output disk, an output
directory that is missing or read-only, signals at every moment of a run, and checkpoints of
simulations that are stopped in the middle (CTest labels "mpi", "integration", "ops").

usage: run_ops.py --mpiexec MPIEXEC --fcfit FCFIT [--tmp DIR] [--keep] SCENARIO

Same driver as run_mpi.py (its helpers, its process handling). The scenarios that need a small
or read-only file system (no_space, output_dir) re-run themselves in a private mount namespace
(`unshare -m`) and mount a tmpfs there, which vanishes with the namespace; where that is not
allowed (no root, no unshare) they skip with a message (exit 77).
"""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import run_mpi as rm
from run_mpi import Failure, note, require

MNT_ENV = "FCFIT_OPS_IN_NAMESPACE"


def one_point_job(name, duration=600):
    """One reduced Wong-Wang point whose single simulation takes a few CPU seconds: long
    enough to be stopped (several times) in its middle."""
    return rm.rww_job(name, g_values="{values: [0.7]}", second="", duration=duration,
                      replicates=1, extra="run:\n  batch_lanes: 1\n")


def handlers_installed(pid):
    """True once process pid catches SIGTERM and SIGUSR1 (its SigCgt mask in /proc)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    mask = int(line.split()[1], 16)
                    return bool(mask & (1 << (signal.SIGTERM - 1))) and \
                        bool(mask & (1 << (signal.SIGUSR1 - 1)))
    except OSError:
        return False
    return False


def rank_pids(run):
    """Pids of the fcfit processes of a run (mpiexec excluded)."""
    return [pid for pid, comm in rm.session_members(run.sid) if comm == "fcfit"]


def wait_handlers(run, n_ranks, timeout=60):
    """Wait until every fcfit process of the run has its signal handlers installed."""
    def ready():
        pids = rank_pids(run)
        return len(pids) >= n_ranks and all(handlers_installed(p) for p in pids)
    rm.wait_for(ready, timeout, "signal handlers of %d rank(s)" % n_ranks, run)


def progress_line(job, out):
    r = rm.fcfit("check", job, "-o", out, rc=0)
    m = re.search(r"^progress:\s+(.*)$", r.stdout, re.M)
    require(m, "check -o prints no progress line:\n" + r.stdout)
    return m.group(1)


# ---- the lock ---------------------------------------------------------------------------------

def s_lock():
    """`check -o` on a finished file of this job (its progress) and of another job (exit 2).
    Two runs on one results file: the second is refused with exit 2 naming the holder (pid
    and host), also by `check -o`; started together, exactly one computes; a stale lock (its
    process gone) is taken over; the lock file is gone after the run."""
    rm.rww_job("job.yaml", g_values="{linspace: [0.1, 1.5, 4]}", replicates=1,
               extra="run:\n  batch_lanes: 1\n")
    rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    require(not os.path.exists(rm.path("ref.h5.lock")), "ref.h5.lock left after the run")
    # `check -o` tells a results file of this job (resumable, its progress) from another job's.
    c = rm.fcfit("check", "job.yaml", "-o", "ref.h5", rc=0)
    require("progress:    rows 8/8," in c.stdout, "check -o of a finished file:\n" + c.stdout)
    digest = rm.sha256("ref.h5")
    c = rm.fcfit("check", "job.yaml", "-o", "ref.h5", "--set", "sim.seed=9", rc=2)
    require("written by a different job" in c.stderr, "check -o of another job's file:\n"
            + c.stderr)
    require(rm.sha256("ref.h5") == digest, "check -o changed the results file")
    # A holder that pauses at the stage start: the lock is held for several seconds.
    a = rm.start_run(2, "job.yaml", "res.h5", label="holder",
                     env={"FCFIT_TEST_PAUSE_AT": "stage:4"})
    rm.wait_for(lambda: os.path.exists(rm.path("res.h5.lock")), 60, "the lock file", a)
    holder_pid = [p for p in rank_pids(a)]
    b = rm.start_run(1, "job.yaml", "res.h5", label="second")
    code = b.wait()
    require(code == 2, "second run on a locked file: exit %d, expected 2\n%s"
            % (code, b.describe()))
    m = re.search(r"res\.h5 is in use by another fcfit run: pid (\d+) on host (\S+)", b.stderr)
    require(m, "the refusal does not name the holder:\n" + b.stderr)
    require(int(m.group(1)) in holder_pid and m.group(2) == socket.gethostname(),
            "the refusal names pid %s on %s; the holder is %s on %s"
            % (m.group(1), m.group(2), holder_pid, socket.gethostname()))
    c = rm.fcfit("check", "job.yaml", "-o", "res.h5", rc=2)
    require("in use by another fcfit run" in c.stderr, "check -o misses the lock:\n" + c.stderr)
    require(a.wait() == 0, "the holder failed:\n" + a.describe())
    require(not os.path.exists(rm.path("res.h5.lock")), "res.h5.lock left after the run")
    rm.require_identical("ref.h5", "res.h5", "the locked run")

    # Started together: one runs, the other is refused; nothing is computed twice.
    runs = [rm.start_run(1, "job.yaml", "both.h5", label="together%d" % k,
                         env={"FCFIT_TASK_LOG": rm.path("together.tasks")}) for k in range(2)]
    codes = sorted(r.wait() for r in runs)
    require(codes == [0, 2], "two runs started together: exit codes %s, expected [0, 2]\n%s"
            % (codes, "\n".join(r.describe() for r in runs)))
    require(not rm.duplicates(rm.read_task_log("together.tasks")), "items computed twice")
    rm.require_identical("ref.h5", "both.h5", "two runs started together")

    # A stale lock: written by a process that has ended.
    p = subprocess.Popen(["true"])
    p.wait()
    rm.write("stale.h5.lock", "fcfit-lock 1\nhost=%s\npid=%d\nstart=1\nslurm_job=\n"
             "since=2020-01-01T00:00:00Z\ncommand=fcfit run job.yaml\n"
             % (socket.gethostname(), p.pid))
    r = rm.run_sweep(1, "job.yaml", "stale.h5", label="stale")
    require("stale" in r.stderr or "gone" in r.stderr,
            "taking over a stale lock is not reported:\n" + r.stderr)
    require(not os.path.exists(rm.path("stale.h5.lock")), "stale.h5.lock left after the run")
    rm.require_identical("ref.h5", "stale.h5", "after a stale lock")


# ---- disks and directories ----------------------------------------------------------------------

def in_namespace(scenario):
    """Re-run this scenario in a private mount namespace (returns True in the parent, which
    has then nothing left to do); skip when that is not possible."""
    if os.environ.get(MNT_ENV) == "1":
        return False
    unshare = shutil.which("unshare")
    probe = rm.path("probe")
    os.makedirs(probe, exist_ok=True)
    ok = unshare is not None and subprocess.run(
        [unshare, "-m", "--propagation", "private", "sh", "-c",
         "mount -t tmpfs -o size=64k tmpfs '%s'" % probe],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    if not ok:
        print("skipped: cannot mount a tmpfs in a private mount namespace (needs root and "
              "unshare); %s not tested" % scenario)
        raise SystemExit(rm.SKIP)
    env = dict(os.environ, **{MNT_ENV: "1"})
    argv = [unshare, "-m", "--propagation", "private", sys.executable,
            os.path.abspath(__file__), "--mpiexec", rm.MPIEXEC, "--fcfit", rm.FCFIT,
            "--tmp", os.path.dirname(rm.ROOT), scenario]
    code = subprocess.run(argv, env=env).returncode
    if code != 0:
        raise Failure("the scenario failed in its mount namespace (exit %d)" % code)
    return True


def mount_tmpfs(name, size_kb, ro=False):
    d = rm.path(name)
    os.makedirs(d, exist_ok=True)
    opts = "size=%dk%s" % (size_kb, ",ro" if ro else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", d], check=True)
    return name


def fill(name):
    """Fill the file system of directory `name` to the last byte (files filler*)."""
    base = rm.path(os.path.join(name, "filler"))
    for k, size in enumerate([1 << 20] * 64 + [4096] * 64 + [1] * 64):
        try:
            fd = os.open(base + "%d" % k, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        except OSError:
            break
        try:
            while True:
                os.write(fd, b"\0" * size)
        except OSError:
            pass
        finally:
            os.close(fd)


def s_no_space():
    """A full output disk: at creation, exit 1 with "no space left on <dir>" on 1 and 2 ranks,
    no hang, nothing left behind (no partial file, no lock); a disk that fills during a run
    that is then stopped: the rows written stay, and with space again the same command
    finishes, identical to an uninterrupted run."""
    if in_namespace("no_space"):
        return
    rm.rww_job("job.yaml", g_values="{linspace: [0.1, 1.5, 8]}", replicates=1,
               extra="run:\n  batch_lanes: 1\n")
    rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    d = mount_tmpfs("small", 64)
    fill(d)
    for ranks in (1, 2):
        r = rm.run_sweep(ranks, "job.yaml", d + "/res.h5", rc=1, label="full%d" % ranks,
                         err=("no space left on",))
        require(d in r.stderr, "the message does not name the directory %s:\n%s"
                % (d, r.stderr))
        left = sorted(x for x in os.listdir(rm.path(d)) if not x.startswith("filler"))
        require(not left, "left behind on the full disk: %s" % left)

    # Space for the file, then the disk fills while the run goes on, then a stop.
    d2 = mount_tmpfs("mid", 4096)
    r = rm.start_run(2, "job.yaml", d2 + "/res.h5", label="filling",
                     env={"FCFIT_TASK_LOG": rm.path("filling.tasks")})
    rm.wait_for(lambda: len(rm.read_task_log("filling.tasks")) >= 2, 120, "2 finished items", r)
    fill(d2)
    r.signal(signal.SIGUSR1)
    code = r.wait()
    require(code in (0, 1, 3), "exit %d on a full disk\n%s" % (code, r.describe()))
    require(code == 0 or "fcfit" in r.stderr, "no message from fcfit:\n" + r.describe())
    rm.check_readable(d2 + "/res.h5")
    rm.require_done_rows_match(d2 + "/res.h5", "ref.h5", "after the disk filled")
    for x in os.listdir(rm.path(d2)):
        if x.startswith("filler"):
            os.remove(rm.path(os.path.join(d2, x)))
    rm.run_sweep(2, "job.yaml", d2 + "/res.h5", label="resume")
    rm.require_identical("ref.h5", d2 + "/res.h5", "a disk that filled, then space again")
    note("  run into a full disk: exit 1 on 1 and 2 ranks; disk filled mid-run: exit %d, resumed"
         % code)


def s_output_dir():
    """A missing or read-only output directory: `run` (1 and 2 ranks) and `check -o` exit 2
    with the OS reason before any work, and write nothing."""
    if in_namespace("output_dir"):
        return
    rm.rww_job("job.yaml", g_values="{linspace: [0.1, 1.5, 4]}", replicates=1)
    ro = mount_tmpfs("ro", 64, ro=True)
    for out, reason in (("missing/res.h5", "No such file or directory"),
                        (ro + "/res.h5", "Read-only file system")):
        for ranks in (1, 2):
            r = rm.run_sweep(ranks, "job.yaml", out, rc=2, label="dir%d" % ranks,
                             err=("cannot write %s" % out, reason))
            require(r.elapsed() < 30, "refusal took %.1f s" % r.elapsed())
        c = rm.fcfit("check", "job.yaml", "-o", out, rc=2)
        require(reason in c.stderr, "check -o %s: no OS reason:\n%s" % (out, c.stderr))
    require(not os.path.exists(rm.path("missing")), "the missing directory was created")


# ---- signals ------------------------------------------------------------------------------------

def s_signal_moments():
    """SIGTERM, SIGINT, SIGUSR1 or SIGUSR2 at random moments of a 1-rank run, from the instant
    its handlers exist (before MPI_Init) through loading, creation, the stage and closing (test
    pauses stretch each phase): exit 3 with fcfit's message, or 0 when the run had finished;
    no file damaged; the same command then finishes identical to an uninterrupted run."""
    rng = random.Random(11)
    rm.rww_job("job.yaml", g_values="{linspace: [0.1, 1.5, 3]}", replicates=1,
               extra="run:\n  batch_lanes: 1\n")
    rm.run_sweep(1, "job.yaml", "ref.h5", label="reference")
    sigs = [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2]
    pauses = "start:0.3,init:0.3,load:0.3,stage:0.3,answer:0.3,close:0.3"
    outcomes = {}
    for k in range(8):
        out = "res%d.h5" % k
        sig = sigs[k % len(sigs)]
        delay = rng.uniform(0.0, 2.5)
        r = rm.Run([rm.FCFIT, "run", "job.yaml", "-o", out], label="sig%d" % k,
                   env={"FCFIT_TEST_PAUSE_AT": pauses})
        rm.wait_for(lambda: handlers_installed(r.p.pid) or not r.alive(), 30, "handlers", r)
        time.sleep(delay)
        try:
            os.kill(r.p.pid, sig)
        except ProcessLookupError:
            pass
        code = r.wait()
        outcomes.setdefault(code, 0)
        outcomes[code] += 1
        require(code in (0, 3), "%s after %.2f s: exit %d, expected 3 (or 0)\n%s"
                % (signal.Signals(sig).name, delay, code, r.describe()))
        if code == 3:
            require(re.search(r"^fcfit.*(signal|SIG)", r.stderr, re.M),
                    "exit 3 without fcfit's message:\n" + r.describe())
        if os.path.exists(rm.path(out)):
            rm.check_readable(out)
            rm.require_done_rows_match(out, "ref.h5", "signal %d" % k)
        require(not os.path.exists(rm.path(out + ".creating")), "a .creating file is left")
        require(not os.path.exists(rm.path(out + ".lock")), "a lock file is left")
        rm.run_sweep(1, "job.yaml", out, label="resume%d" % k)
        rm.require_identical("ref.h5", out, "signal %d, resumed" % k)
    note("  exit codes over 8 signals: %s" % outcomes)


# ---- checkpoints of running simulations ----------------------------------------------------------

def s_checkpoint():
    """A point longer than a segment: a run of one long simulation is stopped by SIGUSR1 three
    times in the middle of it (2 ranks, 1 rank, 2 ranks): each stop is exit 3 and leaves
    <results>.ckpt, whose simulation advances from segment to segment (`check -o` progress);
    a kill -9 mid-simulation leaves the last stop's checkpoint usable; the last run finishes the
    point, bitwise identical to an uninterrupted run, and removes the .ckpt file."""
    # 60M steps (~12 s on one quiet Zen 5 core): the three 0.8-s segments and the 0.5-s kill
    # below stay far from its end even on a machine several times faster.
    one_point_job("job.yaml", duration=6000)
    ref = rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    t_ref = ref.elapsed()
    note("  reference: %.1f s" % t_ref)
    last_steps = 0
    for seg, ranks in enumerate((2, 1, 2)):
        r = rm.start_run(ranks, "job.yaml", "res.h5", label="segment%d" % seg)
        wait_handlers(r, ranks)
        # The stage has started (the point is being handed out); then let it simulate a while.
        rm.wait_for(lambda: "sweep: grid sampler" in r.stderr, 60, "the stage start", r)
        time.sleep(0.8)
        require(r.alive(), "segment %d ended before its signal:\n%s" % (seg, r.describe()))
        r.signal(signal.SIGUSR1)
        code = r.wait()
        require(code == 3, "segment %d: exit %d after SIGUSR1, expected 3\n%s"
                % (seg, code, r.describe()))
        require(os.path.exists(rm.path("res.h5.ckpt")), "segment %d left no res.h5.ckpt\n%s"
                % (seg, r.describe()))
        line = progress_line("job.yaml", "res.h5")
        m = re.search(r"rows 0/1, checkpointed simulations 1, steps (\d+)", line)
        require(m, "segment %d: progress %r, expected 0 rows done and 1 checkpoint" % (seg, line))
        steps = int(m.group(1))
        require(steps > last_steps, "segment %d: the simulation did not advance (%d -> %d steps)"
                % (seg, last_steps, steps))
        note("  segment %d (%d rank(s)): stopped at step %d" % (seg, ranks, steps))
        last_steps = steps
    # kill -9 in the middle of the resumed simulation: the side file of the last clean stop
    # stays valid, and the next run resumes from it.
    r = rm.start_run(2, "job.yaml", "res.h5", label="killed")
    rm.wait_for(lambda: "sweep: grid sampler" in r.stderr, 60, "the stage start", r)
    time.sleep(0.5)
    r.kill9()
    line = progress_line("job.yaml", "res.h5")
    require("checkpointed simulations 1, steps %d" % last_steps in line,
            "after kill -9: progress %r, expected the last stop's checkpoint" % line)
    rm.run_sweep(2, "job.yaml", "res.h5", label="final")
    require(not os.path.exists(rm.path("res.h5.ckpt")), "res.h5.ckpt left after the point ended")
    rm.require_identical("ref.h5", "res.h5", "a point checkpointed three times")


# ---- the batch script's signal handling (outside SLURM) ------------------------------------------

def s_sbatch_signals():
    """slurm/fcfit_run.sbatch run by bash outside SLURM: SIGUSR1 while `fcfit check` runs is
    remembered (the script is not killed) and nothing is run, exit 3; SIGUSR1 right after the
    launcher started (ranks still loading) is held back until the run is up and then stops it
    cleanly, exit 3 with fcfit's message (not a rank killed by the signal); the same command
    then finishes, identical to an uninterrupted run."""
    script = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                           "..", "slurm", "fcfit_run.sbatch"))
    rm.rww_job("job.yaml", g_values="{linspace: [0.1, 1.5, 6]}", replicates=1,
               extra="run:\n  batch_lanes: 1\n")
    rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    # A wrapper that announces each fcfit command (and makes `check` slow) in marker files.
    rm.write("fcfit_wrapper.sh", """#!/bin/bash
touch "%s/started.$1"
[ "$1" = check ] && [ ! -e "%s/no_slow_check" ] && sleep 2
exec "%s" "$@"
""" % (rm.ROOT, rm.ROOT, rm.FCFIT))
    os.chmod(rm.path("fcfit_wrapper.sh"), 0o755)
    env = {"FCFIT": rm.path("fcfit_wrapper.sh"), "FCFIT_LAUNCH": "%s --quiet -n 2" % rm.MPIEXEC}

    def script_run(label):
        for f in ("started.check", "started.run"):
            if os.path.exists(rm.path(f)):
                os.remove(rm.path(f))
        return rm.Run(["bash", script, "job.yaml", "res.h5"], env=env, label=label)

    r = script_run("during_check")
    rm.wait_for(lambda: os.path.exists(rm.path("started.check")), 30, "fcfit check", r)
    time.sleep(0.3)
    r.signal(signal.SIGUSR1)
    code = r.wait()
    require(code == 3 and "SIGUSR1 before the run started; nothing run" in r.stdout,
            "SIGUSR1 during check: exit %d\n%s" % (code, r.describe()))
    require(not os.path.exists(rm.path("started.run")), "the run was started after the signal")

    rm.write("no_slow_check", "")
    r = script_run("at_launch")
    rm.wait_for(lambda: os.path.exists(rm.path("started.run")), 30, "the launcher", r)
    r.signal(signal.SIGUSR1)
    code = r.wait()
    require(code == 3, "SIGUSR1 at the launch: exit %d, expected 3\n%s" % (code, r.describe()))
    require(re.search(r"^fcfit.*stopped by a signal", r.stdout + r.stderr, re.M),
            "no clean stop by fcfit:\n" + r.describe())
    require("segment 0: exit 3" in r.stdout, "no segment summary:\n" + r.describe())
    r = script_run("finish")
    require(r.wait() == 0, "the rerun failed:\n" + r.describe())
    rm.require_identical("ref.h5", "res.h5", "stopped by the batch script, then resumed")


SCENARIOS = {
    "sbatch_signals": s_sbatch_signals,
    "lock": s_lock,
    "no_space": s_no_space,
    "output_dir": s_output_dir,
    "signal_moments": s_signal_moments,
    "checkpoint": s_checkpoint,
}

if __name__ == "__main__":
    sys.exit(rm.main(SCENARIOS, __doc__))
