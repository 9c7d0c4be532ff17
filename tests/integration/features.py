#!/usr/bin/env python3
"""Job features checked end to end through the binary.

    features.py FCFIT TMPDIR CASE

bold_peak: model.hopf.omega: {from_bold_peak: [lo, hi]} sets each region's omega to 2*pi times
the peak frequency of its target BOLD; the values used are in the simulate output (params/omega).
Its error paths exit 2 naming the key.
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


def main():
    fcfit, tmp, case = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(tmp, exist_ok=True)
    {"bold_peak": bold_peak}[case](fcfit, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
