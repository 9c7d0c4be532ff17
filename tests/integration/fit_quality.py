#!/usr/bin/env python3
"""What a user reads about a fit, checked end to end through the binary.

    fit_quality.py FCFIT TMPDIR CASE

target_rule: with target.fc and target.bold, fcfit check says how the target FC is made, and
  warns when the supplied FC is not the FC of the BOLD processed as the job says (an FC of the
  unfiltered BOLD under a band-pass job); an FC computed exactly as fcfit does (no band-pass,
  demeaned) is "consistent" without a warning; target.fc_from: bold makes the BOLD's FC the
  target (the results file's target/fc is then the BOLD's FC, not the file's).
check_warnings: a short run warns about too few volumes (naming how many are left) and a
  band-pass below 1/duration; a TR the BOLD step does not divide suggests sim.dt_ms; coarse
  steps that round conduction delays warn; the BOLD line names only the chosen drive.
diagnostics: a sweep whose best point is on the edge of its range warns in the log, in the
  file (sweep/warnings) and in fcfit report; sweep/diagnostics, flags, scores_sd and region
  labels (connectome.labels, /regions a dimension scale of target/fc) are written, with
  oracles: fc_mean and fc_sd are those of the stored FC row (one replicate), scores_sd is the
  sample sd of scores_replicate, flags follow the documented thresholds.
results_size: fcfit check prints the size of the results file, which the real file does not
  exceed; above output.save_fc_max_mb the FC rows are not stored, and check says so.
subjects: connectome.subjects pairs subject s with its own SC and target FC; every row of a
  subject scores bitwise as the row of the same task in a one-subject job on that SC and FC.
progress: a batch longer than log.progress_s is reported while it runs (simulated time), on
  one rank and under mpirun with workers.
"""
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

MPIEXEC = os.environ.get("MPIEXEC", "mpiexec")


def run(fcfit, cwd, *args, mpi=0):
    argv = [fcfit, *args]
    if mpi:
        argv = [MPIEXEC, "-n", str(mpi)] + argv
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def write(tmp, name, text):
    with open(os.path.join(tmp, name), "w") as fh:
        fh.write(text)
    return name


HOPF = """\
model: {name: hopf, hopf: {a: -0.02, G: 0.2, beta: 0.02}}
sim: {duration_s: %(dur)s, transient_s: 20, seed: 42, replicates: %(reps)d, integrator: euler}
bold: {model: direct, dt_ms: 100, tr_s: 2}
log: {progress_s: 0}
"""


def hopf(dur=200, reps=2):
    return HOPF % {"dur": dur, "reps": reps}


def bold_data(n, T, seed):
    """Regions x time with a shared slow component (so that the FC has structure)."""
    rng = np.random.default_rng(seed)
    common = np.cumsum(rng.standard_normal(T)) * 0.1
    w = np.linspace(0.2, 1.0, n)
    return w[:, None] * common[None, :] + rng.standard_normal((n, T))


def target_rule(fcfit, tmp):
    n, T = 8, 300
    x = bold_data(n, T, 3)
    np.savetxt(os.path.join(tmp, "bold.csv"), x, delimiter=",")
    np.savetxt(os.path.join(tmp, "fc_raw.csv"), np.corrcoef(x), delimiter=",")
    base = hopf() + "connectome: {synthetic: {n_regions: %d, seed: 1}}\n" % n
    # A band-pass job with the FC of the unfiltered BOLD: flagged.
    write(tmp, "bp.yaml", base + "target: {fc: fc_raw.csv, bold: bold.csv}\n"
          "fc: {bandpass_low_hz: 0.02, bandpass_high_hz: 0.1}\n")
    code, out = run(fcfit, tmp, "check", "bp.yaml")
    assert code == 0, out
    assert "target FC: target.fc as given, taken to be processed like the simulated BOLD" in out, out
    assert "they DISAGREE" in out and "target.fc differs from the FC of target.bold" in out, out
    # The same FC without band-pass (demeaned, as fcfit does): consistent, no warning.
    write(tmp, "nobp.yaml", base + "target: {fc: fc_raw.csv, bold: bold.csv}\n"
          "fc: {bandpass: false, detrend: false}\n")
    code, out = run(fcfit, tmp, "check", "nobp.yaml")
    assert code == 0, out
    m = re.search(r"target.fc vs the FC of target.bold \(([^)]*)\): r = ([0-9.]+), mean "
                  r"\|difference\| ([0-9.]+)", out)
    assert m and float(m.group(2)) > 0.999 and float(m.group(3)) < 1e-6, out
    assert ": consistent" in out and "target.fc differs" not in out, out
    # target.fc_from: bold: the BOLD's (band-passed) FC is the target, stored in the file.
    code, out = run(fcfit, tmp, "check", "bp.yaml", "--set", "target.fc_from=bold")
    assert code == 0 and "target FC: from target.bold (target.fc_from: bold)" in out, out
    assert "target.fc differs" not in out, out
    write(tmp, "sweep.yaml", "sweep: {params: {model.hopf.G: {values: [0.1, 0.3]}}}\n")
    for frm, name in (("files", "files.h5"), ("bold", "bold.h5")):
        code, out = run(fcfit, tmp, "run", "bp.yaml", "--config", "sweep.yaml", "--set",
                        "target.fc_from=" + frm, "-o", name)
        assert code == 0, out
    with h5py.File(os.path.join(tmp, "files.h5")) as a, h5py.File(os.path.join(tmp, "bold.h5")) as b:
        fa, fb = a["target/fc"][:], b["target/fc"][:]
        sa, sb = a["sweep/scores"][:, 0], b["sweep/scores"][:, 0]
        # FCD medians (simulated per row, the target's once) are stored for the report.
        tmed = float(a["target/fcd_median"][0])
        dmed = a["sweep/diagnostics"][:, 8]
    assert np.allclose(fa, np.corrcoef(x), atol=1e-12), "fc_from files: target/fc is the file"
    assert np.abs(fb - np.corrcoef(x)).max() > 0.05, "fc_from bold: target/fc is the BOLD's FC"
    assert not np.array_equal(sa, sb), (sa, sb)
    assert -1 <= tmed <= 1 and np.all((dmed >= -1) & (dmed <= 1)), (tmed, dmed)
    code, out = run(fcfit, tmp, "report", "files.h5")
    assert code == 0 and ("target FCD median %.3f" % tmed) in out, out
    print("target_rule: ok")


def check_warnings(fcfit, tmp):
    base = hopf() + "connectome: {synthetic: {n_regions: 8, seed: 1}}\ntarget: {synthetic: true}\n"
    # 60 s with a 20-s transient at TR 2: 20 volumes; a 0.01-0.1 Hz band keeps ~7 samples.
    write(tmp, "short.yaml", base + "fc: {bandpass_low_hz: 0.01, bandpass_high_hz: 0.1}\n")
    code, out = run(fcfit, tmp, "check", "short.yaml", "--set", "sim.duration_s=60")
    assert code == 0, out
    assert "keeps 20 volumes after the 20-s transient" in out, out
    assert "fc.bandpass_low_hz = 0.01 Hz is below 1/duration" in out, out
    assert re.search(r"check:\s+OK, with [0-9]+ warning", out), out
    code, out = run(fcfit, tmp, "check", "short.yaml", "--set", "sim.duration_s=2000")
    assert code == 0 and "warning" not in out.lower(), out
    # TR 2.5 s with a 100-ms neural step and a 300-ms BOLD step: suggest steps that divide it.
    code, out = run(fcfit, tmp, "check", "short.yaml", "--set", "bold.tr_s=2.5", "--set",
                    "bold.dt_ms=300")
    assert code == 2 and "bold.tr_s" in out and "e.g. bold.dt_ms: 100 with sim.dt_ms: 100" in out, out
    # A BOLD step below the neural step: the hint keeps sim.dt_ms, which divides the TR.
    code, out = run(fcfit, tmp, "check", "short.yaml", "--set", "bold.dt_ms=1")
    assert code == 2 and "set bold.dt_ms: 100, for example" in out, out
    assert "does not divide" not in out, out
    # Delays: lengths 5..25 mm at 1 mm/ms are 5..25 ms; a 40-ms step rounds them all away.
    n = 6
    L = 5 + 20 * np.random.default_rng(1).random((n, n))
    W = np.ones((n, n)) - np.eye(n)
    np.savetxt(os.path.join(tmp, "w.csv"), W, delimiter=",")
    np.savetxt(os.path.join(tmp, "l.csv"), (L + L.T) / 2, delimiter=",")
    write(tmp, "delay.yaml", hopf(400) + "target: {synthetic: true}\n"
          "connectome: {weights: w.csv, lengths: l.csv, velocity_mm_per_ms: 1}\n")
    code, out = run(fcfit, tmp, "check", "delay.yaml", "--set", "sim.dt_ms=40", "--set",
                    "bold.dt_ms=400")
    assert code == 0 and "conduction delays are whole steps" in out and "smaller sim.dt_ms" in out, out
    code, out = run(fcfit, tmp, "check", "delay.yaml", "--set", "sim.dt_ms=1", "--set",
                    "bold.dt_ms=100")
    assert code == 0 and "conduction delays are whole steps" not in out, out
    # The BOLD line names the drive in use only (one description, not the model's list).
    bold_line = [l for l in out.splitlines() if l.startswith("BOLD:")][0]
    assert bold_line.count("drive ") == 1, bold_line
    print("check_warnings: ok")


def diagnostics(fcfit, tmp):
    n = 8
    labels = ["L%02d_region" % i for i in range(n)]
    write(tmp, "labels.txt", "\n".join(labels) + "\n")
    write(tmp, "job.yaml", hopf(200, reps=3) +
          "connectome: {synthetic: {n_regions: %d, seed: 1}, labels: labels.txt}\n"
          "target: {synthetic: true}\nfc: {bandpass: false}\n"
          "sweep: {params: {model.hopf.G: {values: [0.05, 0.1, 0.2, 0.4]}}}\n" % n)
    code, out = run(fcfit, tmp, "run", "job.yaml", "-o", "r.h5")
    assert code == 0, out
    # The best point (largest G: more coupling, closer to the synthetic FC) is at the edge.
    assert "lies on the edge of the searched range: model.hopf.G = 0.4 at the upper end" in out, out
    with h5py.File(os.path.join(tmp, "r.h5")) as h:
        sw = h["sweep"]
        warn = [w.decode() for w in sw["warnings"][:] if w]
        assert any("model.hopf.G = 0.4 at the upper end of [0.05, 0.4]" in w for w in warn), warn
        names = [s if isinstance(s, str) else s.decode() for s in sw["diagnostics"].attrs["names"]]
        assert names[:5] == ["drive_mean", "drive_min", "drive_max", "fc_mean", "fc_sd"], names
        d = sw["diagnostics"][:]
        flags = sw["flags"][:]
        sd = sw["scores_sd"][:]
        rep = sw["scores_replicate"][:]
        assert d.shape == (4, 9) and np.isfinite(d[:, :8]).all(), d
        assert (d[:, 1] <= d[:, 0]).all() and (d[:, 0] <= d[:, 2]).all()
        assert np.allclose(sd, rep.std(axis=1, ddof=1), rtol=1e-12, equal_nan=True), (sd, rep)
        for r in range(4):
            want = 0
            want |= 1 if d[r, 3] > 0.9 else 0
            want |= 2 if d[r, 4] < 0.05 else 0
            want |= 4 if abs(d[r, 6] - d[r, 7]) > 0.2 else 0
            assert flags[r] == want, (r, flags[r], d[r])
        assert [s.decode() for s in h["regions"][:]] == labels
        assert h["regions"].attrs["CLASS"] == b"DIMENSION_SCALE"
        assert h["target/fc"].dims[0][0].name == "/regions"
        assert [u if isinstance(u, str) else u.decode() for u in sw["params"].attrs["units"]] == ["1/s"]
    code, rep_out = run(fcfit, tmp, "report", "r.h5")
    assert code == 0 and "WARNING: best row 3 lies on the edge" in rep_out, rep_out
    assert "regime of the top rows" in rep_out and "replicate sd" in rep_out, rep_out
    # One replicate with the FC rows stored: fc_mean / fc_sd are those of the row's FC.
    code, out = run(fcfit, tmp, "run", "job.yaml", "--set", "sim.replicates=1", "--set",
                    "output.save_fc=true", "-o", "one.h5")
    assert code == 0, out
    with h5py.File(os.path.join(tmp, "one.h5")) as h:
        fc = h["sweep/fc"][:].astype(np.float64)
        d = h["sweep/diagnostics"][:]
        assert np.isnan(h["sweep/scores_sd"][:]).all()
    assert np.allclose(d[:, 3], fc.mean(axis=1), atol=1e-6), (d[:, 3], fc.mean(axis=1))
    assert np.allclose(d[:, 4], fc.std(axis=1, ddof=1), atol=1e-6)
    # A label file of the wrong length is refused before anything runs, naming the key.
    write(tmp, "short_labels.txt", "a\nb\n")
    code, out = run(fcfit, tmp, "check", "job.yaml", "--set", "connectome.labels=short_labels.txt")
    assert code == 2 and "connectome.labels" in out and "2 labels" in out, out
    print("diagnostics: ok")


def results_size(fcfit, tmp):
    n = 60
    write(tmp, "job.yaml", hopf(100, reps=1) +
          "connectome: {synthetic: {n_regions: %d, seed: 1}}\n"
          "target: {synthetic: true}\nfc: {bandpass: false}\n"
          "sweep: {params: {model.hopf.G: {linspace: [0.05, 0.5, 40]}}}\n" % n)
    code, out = run(fcfit, tmp, "check", "job.yaml")
    assert code == 0, out
    m = re.search(r"fcfit run writes about ([0-9.e+]+) MB .*of which ([0-9.e+]+) MB are the "
                  r"simulated FC rows", out)
    assert m, out
    est, est_fc = float(m.group(1)), float(m.group(2))
    assert abs(est_fc - 40 * n * (n - 1) / 2 * 4 / 1e6) < 0.01 * est_fc, (est_fc, out)
    code, out = run(fcfit, tmp, "run", "job.yaml", "-o", "r.h5")
    assert code == 0, out
    real = os.path.getsize(os.path.join(tmp, "r.h5")) / 1e6
    print("results_size: estimate %.3g MB, file %.3g MB" % (est, real))
    assert real <= est and real >= 0.3 * est, (real, est)
    # Above the limit, unset save_fc stores no FC rows, and check says why.
    code, out = run(fcfit, tmp, "check", "job.yaml", "--set", "output.save_fc_max_mb=0.1")
    assert code == 0 and "are not stored, being above output.save_fc_max_mb" in out, out
    code, out = run(fcfit, tmp, "run", "job.yaml", "--set", "output.save_fc_max_mb=0.1", "-o",
                    "small.h5")
    assert code == 0, out
    with h5py.File(os.path.join(tmp, "small.h5")) as h:
        assert "fc" not in h["sweep"]
    # An explicit true wins over the limit.
    code, out = run(fcfit, tmp, "check", "job.yaml", "--set", "output.save_fc_max_mb=0.1",
                    "--set", "output.save_fc=true")
    assert code == 0 and "are the simulated FC rows (output.save_fc)" in out, out
    print("results_size: ok")


def subjects(fcfit, tmp):
    n, S = 8, 2
    rng = np.random.default_rng(5)
    for s in range(S):
        w = rng.random((n, n)) * (rng.random((n, n)) < 0.5)
        np.savetxt(os.path.join(tmp, "sc%d.csv" % s), (w + w.T) / 2, delimiter=",")
        np.savetxt(os.path.join(tmp, "fc%d.csv" % s), np.corrcoef(bold_data(n, 200, 10 + s)),
                   delimiter=",")
    common = hopf(200, reps=1) + "fc: {bandpass: false}\n"
    write(tmp, "subj.yaml", common +
          "connectome: {weights: sc0.csv, subjects: [sc0.csv, sc1.csv]}\n"
          "target: {fc: [fc0.csv, fc1.csv]}\n"
          "sweep: {params: {model.hopf.G: {values: [0.1, 0.3, 0.6]}}}\n")
    code, out = run(fcfit, tmp, "check", "subj.yaml")
    assert code == 0 and "per-subject connectomes: 2" in out, out
    code, out = run(fcfit, tmp, "run", "subj.yaml", "-o", "subj.h5")
    assert code == 0, out
    with h5py.File(os.path.join(tmp, "subj.h5")) as h:
        p = h["sweep/params"][:]
        names = [s if isinstance(s, str) else s.decode() for s in h["sweep/params"].attrs["names"]]
        sc = h["sweep/scores"][:]
        seeds = h["sweep/seeds"][:]
    assert names == ["model.hopf.G", "subject"], names
    assert p.shape == (6, 2) and list(p[:, 1]) == [0, 0, 0, 1, 1, 1], p
    # Oracle: a one-subject job on subject s's SC and FC whose sweep has the same rows (a
    # two-valued beta of equal values puts G's values at rows 3..5 too, with the same tasks).
    for s in range(S):
        write(tmp, "one%d.yaml" % s, common +
              "connectome: {weights: sc%d.csv}\ntarget: {fc: fc%d.csv}\n"
              "sweep: {params: {model.hopf.beta: {values: [0.02, 0.02]}, "
              "model.hopf.G: {values: [0.1, 0.3, 0.6]}}}\n" % (s, s))
        code, out = run(fcfit, tmp, "run", "one%d.yaml" % s, "-o", "one%d.h5" % s)
        assert code == 0, out
        with h5py.File(os.path.join(tmp, "one%d.h5" % s)) as h:
            one = h["sweep/scores"][:]
            one_seeds = h["sweep/seeds"][:]
        rows = slice(3 * s, 3 * s + 3)
        assert np.array_equal(seeds[rows], one_seeds[rows]), (seeds, one_seeds)
        assert np.array_equal(sc[rows, 0], one[rows, 0]), (s, sc[rows, 0], one[rows, 0])
    assert not np.array_equal(sc[0:3, 0], sc[3:6, 0])
    # A wrong count is refused, naming the key.
    code, out = run(fcfit, tmp, "check", "subj.yaml", "--set", "connectome.subjects=[sc0.csv]")
    assert code == 2 and "connectome.subjects" in out, out
    print("subjects: ok")


def progress(fcfit, tmp):
    # One batch of 20000 s at a 10-ms step takes a few seconds: progress lines every 0.2 s.
    write(tmp, "job.yaml", """\
model: {name: hopf, hopf: {a: -0.02, G: 0.2, beta: 0.02}}
connectome: {synthetic: {n_regions: 20, seed: 1}}
target: {synthetic: true}
sim: {duration_s: 20000, transient_s: 20, dt_ms: 10, replicates: 1}
bold: {model: direct, dt_ms: 100, tr_s: 2}
fc: {bandpass: false}
sweep: {params: {model.hopf.G: {values: [0.1, 0.2]}}}
log: {progress_s: 0.2}
""")
    for ranks in (1, 2):
        code, out = run(fcfit, tmp, "run", "job.yaml", "-o", "r%d.h5" % ranks, "--force",
                        mpi=ranks)
        assert code == 0, out
        lines = [l for l in out.splitlines() if "running" in l and "simulated" in l]
        print("progress, %d rank(s): %d running line(s), e.g. %s"
              % (ranks, len(lines), lines[0] if lines else "-"))
        assert lines, out
        sims = [float(re.search(r"simulated ([0-9.e+]+) of 20000 s", l).group(1)) for l in lines]
        assert all(0 <= v <= 20000 for v in sims) and sims == sorted(sims), sims
        assert "no evaluation finished yet" in lines[0], lines[0]
    with h5py.File(os.path.join(tmp, "r1.h5")) as a, h5py.File(os.path.join(tmp, "r2.h5")) as b:
        assert np.array_equal(a["sweep/scores"][:], b["sweep/scores"][:], equal_nan=True)
    print("progress: ok")


def main():
    fcfit, tmp, case = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(tmp, ignore_errors=True)  # a rerun starts afresh (no resume of old outputs)
    os.makedirs(tmp)
    {"target_rule": target_rule, "check_warnings": check_warnings, "diagnostics": diagnostics,
     "results_size": results_size, "subjects": subjects, "progress": progress}[case](fcfit, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
