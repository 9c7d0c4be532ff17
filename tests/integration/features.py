#!/usr/bin/env python3
"""Job features checked end to end through the binary.

    features.py FCFIT TMPDIR CASE

bold_peak: model.hopf.omega: {from_bold_peak: [lo, hi]} sets each region's omega to 2*pi times
the peak frequency of its target BOLD; the values used are in the simulate output (params/omega).
Its error paths exit 2 naming the key.
config_precedence: --config fragments apply between the job file and --set.
sbatch_script: slurm/fcfit_run.sbatch forwards SIGUSR1 to mpirun and exits 3; a rerun resumes.
"""
import os
import subprocess
import sys

import h5py
import numpy as np


def run(fcfit, cwd, *args):
    p = subprocess.run([fcfit, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def bold_peak(fcfit, tmp):
    rng = np.random.default_rng(7)
    n, T, tr = 12, 300, 2.0
    t = np.arange(T) * tr
    f = 0.04 + 0.03 * np.arange(n) / (n - 1)
    x = np.array([np.sin(2 * np.pi * fi * t + rng.uniform(0, 6)) + 0.3 * rng.standard_normal(T)
                  for fi in f])
    np.savetxt(os.path.join(tmp, "bold.csv"), x, delimiter=",")
    with open(os.path.join(tmp, "job.yaml"), "w") as fh:
        fh.write("model: {name: hopf, hopf: {omega: {from_bold_peak: [0.03, 0.08]}}}\n"
                 "connectome: {synthetic: {n_regions: %d}}\n"
                 "target: {bold: bold.csv}\n"
                 "sim: {duration_s: 320, transient_s: 20}\n"
                 "bold: {model: direct, dt_ms: 100, tr_s: 2}\n"
                 "fc: {bandpass_low_hz: 0.02, bandpass_high_hz: 0.09}\n" % n)
    code, out = run(fcfit, tmp, "simulate", "job.yaml", "-o", "out.h5")
    assert code == 0, out
    with h5py.File(os.path.join(tmp, "out.h5")) as h:
        omega = h["params/omega"][:]
        job = h.attrs["job"]
    # A 300-volume periodogram (zero-padded) locates a clean sine to a small fraction of a bin
    # (1/600 Hz); 0.0015 Hz in angular units is 0.0094 rad/s.
    err = np.abs(omega - 2 * np.pi * f)
    print("max |omega - 2 pi f| = %.3g rad/s" % err.max())
    assert err.max() < 0.0094, (omega, 2 * np.pi * f)
    assert "from_bold_peak" in job
    # errors: a parameter that is not an angular frequency, and no target BOLD
    code, out = run(fcfit, tmp, "check", "job.yaml", "--set",
                    "model.hopf.a={from_bold_peak: [0.03, 0.08]}")
    assert code == 2 and "model.hopf.a" in out and "angular frequency" in out, out
    code, out = run(fcfit, tmp, "check", "job.yaml", "--set", "target.bold=[]", )
    assert code == 2, out
    with open(os.path.join(tmp, "nobold.yaml"), "w") as fh:
        fh.write("model: {name: hopf, hopf: {omega: {from_bold_peak: [0.03, 0.08]}}}\n"
                 "connectome: {synthetic: {n_regions: %d}}\n"
                 "target: {synthetic: true}\n"
                 "bold: {model: direct, dt_ms: 100}\n" % n)
    code, out = run(fcfit, tmp, "check", "nobold.yaml")
    assert code == 2 and "needs empirical BOLD (target.bold)" in out, out
    print("bold_peak: ok")


def config_precedence(fcfit, tmp):
    """default < job file < --config files in order < --set, visible in the effective job."""
    with open(os.path.join(tmp, "job.yaml"), "w") as fh:
        fh.write("model: {name: rww, rww: {w: 0.8, I0: 0.31, G: 0.5}}\n"
                 "connectome: {synthetic: {n_regions: 6}}\n"
                 "sim: {duration_s: 60, transient_s: 10}\n")
    with open(os.path.join(tmp, "a.yaml"), "w") as fh:
        fh.write("model.rww.w: 0.7\nmodel.rww.I0: 0.32\n")
    with open(os.path.join(tmp, "b.yaml"), "w") as fh:
        fh.write("model.rww.I0: 0.33\n")
    code, out = run(fcfit, tmp, "simulate", "job.yaml", "--config", "a.yaml", "--config",
                    "b.yaml", "--set", "model.rww.G=0.45", "-o", "out.h5")
    assert code == 0, out
    with h5py.File(os.path.join(tmp, "out.h5")) as h:
        job = h.attrs["job"]
    for line in ("model.rww.w: 0.7\n", "model.rww.I0: 0.33\n", "model.rww.G: 0.45\n",
                 "model.rww.J_N: 0.2609\n"):
        assert line in job, (line, job)
    code, out = run(fcfit, tmp, "check", "job.yaml", "--config", "missing.yaml")
    assert code == 2 and "missing.yaml" in out, out
    with open(os.path.join(tmp, "bad.yaml"), "w") as fh:
        fh.write("model.rww.w: 99\n")
    code, out = run(fcfit, tmp, "check", "job.yaml", "--config", "bad.yaml")
    assert code == 2 and "bad.yaml:1" in out and "model.rww.w" in out, out
    print("config_precedence: ok")


def sbatch_script(fcfit, tmp):
    """slurm/fcfit_run.sbatch outside SLURM: SIGUSR1 to the script -> exit 3; rerun resumes."""
    import signal
    import time
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "slurm",
                          "fcfit_run.sbatch")
    with open(os.path.join(tmp, "sweep.yaml"), "w") as fh:
        fh.write("model: {name: rww}\n"
                 "connectome: {synthetic: {n_regions: 8, seed: 2}}\n"
                 "target: {synthetic: true}\n"
                 "sim: {duration_s: 60, transient_s: 10}\n"
                 "sweep: {params: {model.rww.G: {linspace: [0.2, 1.4, 40]}}}\n"
                 "log.progress_s: 0\n")
    env = dict(os.environ, FCFIT=fcfit)
    res = os.path.join(tmp, "res.h5")
    if os.path.exists(res):
        os.remove(res)
    p = subprocess.Popen(["bash", script, "sweep.yaml", "res.h5"], cwd=tmp, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Wait for a few finished points, then signal the batch script (as SLURM would).
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.5)
        try:
            with h5py.File(res, "r") as h:
                if int((h["sweep/status"][:] != 0).sum()) >= 3:
                    break
        except (OSError, KeyError):
            pass
    p.send_signal(signal.SIGUSR1)
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 3, (p.returncode, out)
    with h5py.File(res, "r") as h:
        done = int((h["sweep/status"][:] != 0).sum())
    assert 0 < done < 40, done
    p = subprocess.run(["bash", script, "sweep.yaml", "res.h5"], cwd=tmp, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    with h5py.File(res, "r") as h:
        assert int((h["sweep/status"][:] != 0).sum()) == 40
    print("sbatch_script: ok (stopped with %d of 40 points, resumed to 40)" % done)


def main():
    fcfit, tmp, case = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(tmp, exist_ok=True)
    {"bold_peak": bold_peak, "config_precedence": config_precedence,
     "sbatch_script": sbatch_script}[case](fcfit, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
