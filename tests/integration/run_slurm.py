#!/usr/bin/python3
"""slurm/fcfit_run.sbatch on a real one-node SLURM brought up for the test (CTest labels
"slurm", "slow", "integration").

usage: run_slurm.py --fcfit FCFIT [--tmp DIR] [--keep]

Brings up a private SLURM (munged, slurmctld, slurmd as root, loopback only, its own ports and
state directory; no cgroups) the way a Debian machine allows, submits the batch script with a
job whose single simulation is longer than a segment, stops the job three times with
`scancel --signal=USR1 --batch` (what SLURM sends before a time limit), and requires:
each segment requeued with one summary line and without mpirun's abort block, the point
checkpointed and advanced across segments, the final results bitwise identical to an
uninterrupted run, and no .ckpt or .lock file left. Then a job that cannot progress is
not requeued forever. Skips (exit 77) with a message when SLURM or munge is not installed or
does not come up (no root, ports taken); it installs nothing. Stops only the daemons it started
(by the pids in its own pid files).
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.normpath(os.path.join(HERE, "..", "..", "slurm", "fcfit_run.sbatch"))
sys.path.insert(0, HERE)
import run_mpi as rm  # noqa: E402
import run_ops  # noqa: E402
from run_mpi import Failure, note, require  # noqa: E402

SKIP = 77


class Slurm:
    def __init__(self, root):
        self.d = os.path.join(root, "slurm")
        self.conf = os.path.join(self.d, "slurm.conf")
        self.sock = os.path.join(self.d, "munge", "munge.socket")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.pids = {}

    def cmd(self, *argv, check=True, timeout=60):
        p = subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise Failure("%s: exit %d\n%s%s" % (" ".join(argv), p.returncode, p.stdout,
                                                  p.stderr))
        return p

    def up(self):
        """Start the daemons; returns an error string (skip) or None."""
        for tool in ("munged", "munge", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue"):
            if shutil.which(tool) is None:
                return "%s is not installed (Debian: slurmctld slurmd slurm-client munge)" % tool
        if os.geteuid() != 0:
            return "not root (the test SLURM runs its daemons as root)"
        if not os.path.exists("/etc/munge/munge.key"):
            return "no /etc/munge/munge.key"
        for sub in ("state", "spool", "log", "munge"):
            os.makedirs(os.path.join(self.d, sub), exist_ok=True)
        # munged runs as the munge user: it must reach its directory.
        for d in (os.path.dirname(self.d), self.d):
            os.chmod(d, 0o755)
        port = random.Random(os.getpid()).randrange(20000, 30000, 2)
        mem = int(open("/proc/meminfo").read().split()[1]) // 1024 - 1024
        cpus = os.cpu_count() or 1
        with open(self.conf, "w") as f:
            f.write("""ClusterName=fcfittest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={port}
SlurmdPort={dport}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock},cred_expire=5
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
OverTimeLimit=0
InactiveLimit=0
MinJobAge=300
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""".format(port=port, dport=port + 1, sock=self.sock, d=self.d, cpus=cpus, mem=mem))
        mdir = os.path.join(self.d, "munge")
        shutil.chown(mdir, "munge", "munge")
        p = subprocess.run(["runuser", "-u", "munge", "--", "munged", "--socket=" + self.sock,
                            "--pid-file=" + os.path.join(mdir, "munged.pid"),
                            "--log-file=" + os.path.join(mdir, "munged.log"),
                            "--seed-file=" + os.path.join(mdir, "munged.seed")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return "munged does not start: " + p.stderr.strip()
        self.pids["munged"] = os.path.join(mdir, "munged.pid")
        p = subprocess.run(["slurmctld", "-f", self.conf, "-c"], env=self.env,
                           capture_output=True, text=True)
        self.pids["slurmctld"] = os.path.join(self.d, "slurmctld.pid")
        if p.returncode != 0:
            return "slurmctld does not start: " + p.stderr.strip()
        p = subprocess.run(["slurmd", "-f", self.conf, "-N", "localhost"], env=self.env,
                           capture_output=True, text=True)
        self.pids["slurmd"] = os.path.join(self.d, "slurmd.pid")
        if p.returncode != 0:
            return "slurmd does not start: " + p.stderr.strip()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            p = self.cmd("sinfo", "-h", "-N", "-o", "%t", check=False)
            if p.returncode == 0 and p.stdout.strip().startswith("idle"):
                return None
            time.sleep(0.2)
        return "the node did not become idle within 30 s"

    def down(self):
        if "slurmctld" in self.pids and os.path.exists(self.pids["slurmctld"]):
            try:
                self.cmd("scancel", "--user=root", check=False, timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            f = self.pids.get(name)
            if not f or not os.path.exists(f):
                continue
            try:
                pid = int(open(f).read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                continue
            for _ in range(100):
                if not os.path.exists("/proc/%d" % pid):
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass

    def job(self, jobid):
        """(state, restart count) of a job."""
        p = self.cmd("scontrol", "show", "job", jobid, check=False)
        st = re.search(r"JobState=(\S+)", p.stdout)
        rc = re.search(r"Restarts=(\d+)", p.stdout)
        return (st.group(1) if st else "GONE", int(rc.group(1)) if rc else -1)


def scenario(sl, fcfit):
    run_ops.one_point_job("job.yaml", duration=2000)
    rm.run_sweep(2, "job.yaml", "ref.h5", label="reference")
    sb = ["sbatch", "--parsable", "--ntasks=2", "--overcommit", "--time=10",
          "--output=" + rm.path("job-%j.log"), "--chdir=" + rm.ROOT,
          "--export=ALL,FCFIT=%s" % fcfit, SCRIPT, "job.yaml", "res.h5"]
    jobid = sl.cmd(*sb).stdout.strip().split(";")[0]
    note("  job %s submitted" % jobid)
    log = rm.path("job-%s.log" % jobid)
    for seg in range(3):
        end = time.monotonic() + 60
        while time.monotonic() < end:
            state, restarts = sl.job(jobid)
            if state == "RUNNING" and restarts == seg and os.path.exists(rm.path("res.h5.lock")):
                break
            time.sleep(0.2)
        else:
            raise Failure("segment %d never ran (state %s, restarts %d)\n%s"
                          % (seg, state, restarts, open(log).read() if os.path.exists(log)
                             else ""))
        time.sleep(0.8)
        sl.cmd("scancel", "--signal=USR1", "--batch", jobid)
        end = time.monotonic() + 60
        while time.monotonic() < end and sl.job(jobid)[1] == seg:
            time.sleep(0.2)
        note("  segment %d stopped; job %s %s" % (seg, jobid, sl.job(jobid)))
    end = time.monotonic() + 120
    while time.monotonic() < end and sl.job(jobid)[0] not in ("COMPLETED", "FAILED", "GONE",
                                                               "CANCELLED", "TIMEOUT"):
        time.sleep(0.5)
    state, restarts = sl.job(jobid)
    text = open(log).read()
    require(state == "COMPLETED" and restarts == 3,
            "job ended %s after %d restarts\n%s" % (state, restarts, text))
    segs = re.findall(r"segment (\d+): exit (\d+); progress: (.*)", text)
    require([s[:2] for s in segs] == [("0", "3"), ("1", "3"), ("2", "3"), ("3", "0")],
            "segment summaries %s\n%s" % (segs, text))
    steps = [int(m) for m in re.findall(r"steps (\d+)", " ".join(s[2] for s in segs[:3]))]
    require(len(steps) == 3 and steps[0] < steps[1] < steps[2],
            "the checkpointed simulation did not advance from segment to segment: %s" % steps)
    require(text.count("requeueing to resume") == 3, "three requeue messages expected\n" + text)
    require("Primary job" not in text, "mpirun's abort block in the log\n" + text)
    require(text.count("check:       OK") == 1, "the check listing is repeated\n" + text)
    require(not os.path.exists(rm.path("res.h5.ckpt")), "res.h5.ckpt left")
    require(not os.path.exists(rm.path("res.h5.lock")), "res.h5.lock left")
    rm.require_identical("ref.h5", "res.h5", "3 SLURM requeues with a point longer than a "
                         "segment")
    note("  3 requeues, steps at the stops %s; final identical" % steps)

    # A segment that cannot progress: the signal before anything was done -> not requeued.
    rm.rww_job("slow.yaml", g_values="{values: [0.7]}", second="", duration=900, replicates=1,
               extra="run:\n  batch_lanes: 1\n")
    # Its file exists already (a first run stopped at the stage start, nothing done).
    r = rm.start_run(1, "slow.yaml", "slow.h5", label="precreate",
                     env={"FCFIT_TEST_PAUSE_AT": "stage:3"})
    rm.wait_for(lambda: os.path.exists(rm.path("slow.h5.lock")), 60, "the lock", r)
    time.sleep(0.5)
    r.signal(10)
    require(r.wait() == 3, "the first run of slow.yaml was not stopped\n" + r.describe())
    sb = ["sbatch", "--parsable", "--ntasks=2", "--overcommit", "--time=10",
          "--output=" + rm.path("noprog-%j.log"), "--chdir=" + rm.ROOT,
          "--export=ALL,FCFIT=%s,FCFIT_TEST_PAUSE_AT=stage:3" % fcfit, SCRIPT, "slow.yaml",
          "slow.h5"]
    jobid = sl.cmd(*sb).stdout.strip().split(";")[0]
    end = time.monotonic() + 60
    while time.monotonic() < end and not os.path.exists(rm.path("slow.h5.lock")):
        time.sleep(0.2)
    time.sleep(0.5)
    sl.cmd("scancel", "--signal=USR1", "--batch", jobid)
    end = time.monotonic() + 90
    while time.monotonic() < end and sl.job(jobid)[0] not in ("COMPLETED", "FAILED", "GONE"):
        time.sleep(0.5)
    state, restarts = sl.job(jobid)
    text = open(rm.path("noprog-%s.log" % jobid)).read()
    require(restarts == 0 and "advanced no simulation; not requeued" in text,
            "a segment without progress: state %s, restarts %d\n%s" % (state, restarts, text))
    note("  a segment without progress: %s, not requeued" % state)

    # The job-array template (two independent jobs, one results file each) and the srun
    # launcher where SLURM has PMIx: both complete, identical to direct runs.
    rm.rww_job("a.yaml", g_values="{linspace: [0.2, 0.6, 2]}", second="", duration=60,
               replicates=1)
    rm.rww_job("b.yaml", g_values="{linspace: [0.8, 1.2, 2]}", second="", duration=60,
               replicates=1)
    rm.write("joblist.txt", "a.yaml\nb.yaml\n")
    for j in ("a", "b"):
        rm.run_sweep(2, j + ".yaml", "ref_%s.h5" % j, label="ref_" + j)
    waits = []
    arr = ["sbatch", "--parsable", "--array=1-2", "--ntasks=2", "--overcommit", "--time=10",
           "--output=" + rm.path("array-%A_%a.log"), "--chdir=" + rm.ROOT,
           "--export=ALL,FCFIT=%s,FCFIT_SLURM_DIR=%s" % (fcfit, os.path.dirname(SCRIPT)),
           os.path.join(os.path.dirname(SCRIPT), "fcfit_array.sbatch"), "joblist.txt"]
    waits.append(sl.cmd(*arr).stdout.strip().split(";")[0])
    pmix = "pmix" in sl.cmd("srun", "--mpi=list", check=False).stderr + \
        sl.cmd("srun", "--mpi=list", check=False).stdout
    if pmix:
        rm.write("joblist_srun.txt", "a.yaml\n")
        srun = ["sbatch", "--parsable", "--ntasks=2", "--overcommit", "--time=10",
                "--output=" + rm.path("srun-%j.log"), "--chdir=" + rm.ROOT,
                "--export=ALL,FCFIT=%s,FCFIT_LAUNCH=srun --mpi=pmix" % fcfit, SCRIPT, "a.yaml",
                "srun_a.h5"]
        waits.append(sl.cmd(*srun).stdout.strip().split(";")[0])
    end = time.monotonic() + 90
    while time.monotonic() < end and sl.cmd("squeue", "-h", check=False).stdout.strip():
        time.sleep(0.5)
    for j in ("a", "b"):
        require(os.path.exists(rm.path("results/%s.h5" % j)), "array task %s wrote nothing:\n%s"
                % (j, "".join(open(rm.path(f)).read() for f in os.listdir(rm.ROOT)
                              if f.startswith("array-"))))
        rm.require_identical("ref_%s.h5" % j, "results/%s.h5" % j, "array task " + j)
    # fcfit_chain.sh: two --no-requeue links; the first is stopped (not requeued, says so),
    # the second starts after it (afterany) and finishes the file.
    chain = os.path.join(os.path.dirname(SCRIPT), "fcfit_chain.sh")
    rm.rww_job("c.yaml", g_values="{linspace: [0.2, 1.2, 4]}", second="", duration=120,
               replicates=1, extra="run:\n  batch_lanes: 1\n")
    rm.run_sweep(2, "c.yaml", "ref_c.h5", label="ref_c")
    p = subprocess.run(["bash", chain, "2", "--ntasks=2", "--overcommit", "--time=10",
                        "--output=" + rm.path("chain-%j.log"), "--chdir=" + rm.ROOT,
                        "--export=ALL,FCFIT=%s" % fcfit, "--", "c.yaml", "c.h5"],
                       env=sl.env, capture_output=True, text=True, timeout=60)
    links = re.findall(r"link \d+: job (\d+)", p.stdout)
    require(p.returncode == 0 and len(links) == 2, "fcfit_chain.sh: %s%s" % (p.stdout, p.stderr))
    end = time.monotonic() + 60
    while time.monotonic() < end and not (sl.job(links[0])[0] == "RUNNING"
                                          and os.path.exists(rm.path("c.h5.lock"))):
        time.sleep(0.2)
    time.sleep(0.5)
    sl.cmd("scancel", "--signal=USR1", "--batch", links[0])
    end = time.monotonic() + 90
    while time.monotonic() < end and sl.cmd("squeue", "-h", check=False).stdout.strip():
        time.sleep(0.5)
    first = open(rm.path("chain-%s.log" % links[0])).read()
    require("the job may not be requeued (--no-requeue)" in first and "segment 0: exit 3" in first,
            "first link:\n" + first)
    require(sl.job(links[1])[0] == "COMPLETED", "second link: %s\n%s" % (
        sl.job(links[1]), open(rm.path("chain-%s.log" % links[1])).read()))
    rm.require_identical("ref_c.h5", "c.h5", "a chain of two links, the first stopped")
    note("  fcfit_chain.sh: link 1 stopped (not requeued), link 2 finished; identical")
    if pmix:
        rm.require_identical("ref_a.h5", "srun_a.h5", "srun --mpi=pmix")
        note("  job array of 2 and srun --mpi=pmix: identical to mpirun runs")
    else:
        note("  job array of 2: identical; srun has no PMIx here, srun variant not tested")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fcfit", required=True)
    ap.add_argument("--mpiexec", default="mpirun")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    rm.MPIEXEC, rm.FCFIT = a.mpiexec, os.path.abspath(a.fcfit)
    if a.tmp:
        os.makedirs(a.tmp, exist_ok=True)
    rm.ROOT = tempfile.mkdtemp(prefix="slurm_", dir=a.tmp)
    sl = Slurm(rm.ROOT)
    t0 = time.monotonic()
    try:
        why = sl.up()
        if why:
            print("skipped: cannot bring up a local SLURM: %s" % why)
            sl.down()
            shutil.rmtree(rm.ROOT, ignore_errors=True)
            return SKIP
        note("local SLURM up in %.1f s (%s)" % (time.monotonic() - t0, sl.conf))
        scenario(sl, rm.FCFIT)
    except Failure as e:
        print("FAIL slurm (%.1f s): %s" % (time.monotonic() - t0, e))
        print("kept %s" % rm.ROOT)
        return 1
    finally:
        sl.down()
    print("PASS slurm (%.1f s)" % (time.monotonic() - t0))
    if not a.keep:
        shutil.rmtree(rm.ROOT, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
