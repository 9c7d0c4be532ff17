#!/usr/bin/python3
"""The ALN tables from the command line: `fcfit tables aln` and model.aln.tables.file.

Cases (each prints PASS/FAIL; the script ends with "N passed, M failed"):
  tables_ranks      a 4 x 3 grid made on 1 rank and under mpiexec -n 2: exit 0, every dataset
                    bitwise equal, axes and neuron parameters as requested
  tables_usage      bad --set keys, values and a missing -o: exit 2, nothing written
  job_mismatch      a job with model.aln.C = 250 and the built-in tables: `fcfit check` exits 2
                    naming the command that makes matching tables
  job_own_tables    the same job naming tables made for C = 250: check, a short simulate run and
                    a 2-point sweep under mpiexec -n 2 (the tables reach the workers in the plan),
                    identical to the same sweep on 1 rank
  tables_mismatch   C = 200 with the C = 250 tables: exit 2 naming the tables file
  bad_files         a missing dataset, a table whose shape does not match the axes, uneven axes,
                    a file that is not HDF5: exit 2 naming the file, nothing written
"""
import argparse
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

GRID = ["--set", "tables.n_mu=4", "--set", "tables.mu_min=0.5", "--set", "tables.mu_max=2",
        "--set", "tables.n_sigma=3", "--set", "tables.sigma_min=1", "--set", "tables.sigma_max=3"]
DATASETS = ["r_ss", "V_mean_ss", "tau_mu_exp", "tau_sigma_exp", "mu_vals", "sigma_vals"]

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("PASS" if cond else "FAIL") + f": {name}" + (f" ({detail})" if detail and not cond else ""))


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def job(path, extra_model="", tables=None):
    lines = ["model:", "  name: aln", "  aln:", "    sigma_ou: 0.05"]
    if extra_model:
        lines.append("    " + extra_model)
    if tables is not None:
        lines.append(f"    tables: {{file: {tables}}}")
    lines += ["connectome:", "  synthetic: {n_regions: 6, seed: 1}", "target:", "  synthetic: true",
              "sim:", "  duration_s: 12", "  transient_s: 2", "bold:", "  tr_s: 1",
              "fc:", "  bandpass: false", "output:", "  path: out.h5"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fcfit", required=True)
    ap.add_argument("--mpiexec", default="")
    ap.add_argument("--tmp", required=True)
    a = ap.parse_args()
    fc = os.path.abspath(a.fcfit)
    tmp = os.path.abspath(a.tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)

    # tables_ranks
    rc1, out1 = run([fc, "tables", "aln", "--set", "model.aln.C=250"] + GRID + ["-o", "t1.h5"], tmp)
    check("tables on 1 rank: exit 0", rc1 == 0, out1)
    if a.mpiexec:
        rc2, out2 = run([a.mpiexec, "-n", "2", fc, "tables", "aln", "--set", "model.aln.C=250"] + GRID
                        + ["-o", "t2.h5"], tmp)
        check("tables on 2 ranks: exit 0", rc2 == 0, out2)
        if rc1 == 0 and rc2 == 0:
            with h5py.File(os.path.join(tmp, "t1.h5")) as f1, h5py.File(os.path.join(tmp, "t2.h5")) as f2:
                same = all(np.array_equal(f1[d][()], f2[d][()]) for d in DATASETS)
                check("1 and 2 ranks give bitwise the same tables", same)
    if rc1 == 0:
        with h5py.File(os.path.join(tmp, "t1.h5")) as f:
            check("axes as requested", np.allclose(f["mu_vals"][()], [0.5, 1.0, 1.5, 2.0])
                  and np.allclose(f["sigma_vals"][()], [1, 2, 3]))
            check("neuron parameters stored", f["params/C"][()][0] == 250.0
                  and f["params/Tref"][()][0] == 1.5)
            r = f["r_ss"][()]
            check("rates rise with mu", r.shape == (4, 3) and np.all(np.diff(r, axis=0) > 0))
            check("taus on the fit's grid", np.allclose(np.round((f["tau_mu_exp"][()] - 0.001) / 0.01),
                                                        (f["tau_mu_exp"][()] - 0.001) / 0.01, atol=1e-6))

    # tables_usage
    for args, needle in [(["--set", "model.aln.Ke=3"], "neuron parameters"),
                         (["--set", "model.aln.C=abc"], "not a finite number"),
                         (["--set", "tables.n_mu=1"], "n_mu"),
                         (["--set", "model.aln.Vr=-30"], "Vr"),
                         ([], "-o")]:
        out_args = ["-o", "u.h5"] if args else []
        rc, out = run([fc, "tables", "aln"] + args + out_args, tmp)
        check(f"tables {' '.join(args) or 'without -o'}: exit 2 with '{needle}'",
              rc == 2 and needle in out and not os.path.exists(os.path.join(tmp, "u.h5")), out)

    # job_mismatch
    job(os.path.join(tmp, "c250.yaml"), "C: 250")
    rc, out = run([fc, "check", "c250.yaml"], tmp)
    check("C = 250 with the built-in tables: exit 2 with the command", rc == 2 and
          "fcfit tables aln --set model.aln.C=250" in out and "built-in tables" in out, out)

    # job_own_tables
    if rc1 == 0:
        job(os.path.join(tmp, "own.yaml"), "C: 250", "t1.h5")
        rc, out = run([fc, "check", "own.yaml"], tmp)
        check("C = 250 with its own tables: check exit 0", rc == 0, out)
        rc, out = run([fc, "simulate", "own.yaml", "-o", "own.h5"], tmp)
        check("C = 250 with its own tables: simulate exit 0", rc == 0 and
              os.path.exists(os.path.join(tmp, "own.h5")), out)

        # the tables travel to the workers with the plan
        if a.mpiexec:
            with open(os.path.join(tmp, "own.yaml"), "a") as f:
                f.write("sweep:\n  params:\n    model.aln.mue_ext_mean: {values: [0.4, 1.2]}\n")
            rc, out = run([a.mpiexec, "-n", "2", fc, "run", "own.yaml", "-o", "run.h5"], tmp)
            check("C = 250 with its own tables: a 2-point sweep on 2 ranks, exit 0", rc == 0, out)
            rc1r, out1r = run([a.mpiexec, "-n", "1", fc, "run", "own.yaml", "-o", "run1.h5"], tmp)
            check("the same sweep on 1 rank, exit 0", rc1r == 0, out1r)
            with h5py.File(os.path.join(tmp, "run.h5")) as f:
                st = [np.asarray(f[g]["status"]) for g in f if isinstance(f[g], h5py.Group)
                      and "status" in f[g]]
            check("both sweep points ok", len(st) == 1 and list(st[0]) == [1, 1], str(st))
            cmp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                               "fcfit_results.py")
            rc, out = run(["/usr/bin/python3", cmp, "compare", "run.h5", "run1.h5"], tmp)
            check("1 and 2 ranks give identical results", rc == 0, out)

        # tables_mismatch
        job(os.path.join(tmp, "c200.yaml"), "", "t1.h5")
        rc, out = run([fc, "check", "c200.yaml"], tmp)
        check("C = 200 with tables for C = 250: exit 2 naming the file", rc == 2 and "t1.h5" in out
              and "model.aln.C = 200" in out, out)

        # bad_files
        def damaged(name, fn):
            dst = os.path.join(tmp, name)
            shutil.copy(os.path.join(tmp, "t1.h5"), dst)
            with h5py.File(dst, "r+") as f:
                fn(f)
            return name

        def drop(f):
            del f["tau_mu_exp"]

        def reshape(f):
            del f["r_ss"]
            f["r_ss"] = np.ones((3, 4))

        def uneven(f):
            del f["mu_vals"]
            f["mu_vals"] = np.array([0.5, 1.0, 1.7, 2.0])

        cases = [(damaged("missing.h5", drop), "tau_mu_exp"), (damaged("shape.h5", reshape), "r_ss"),
                 (damaged("axes.h5", uneven), "evenly spaced")]
        with open(os.path.join(tmp, "text.h5"), "w") as f:
            f.write("not hdf5\n")
        cases.append(("text.h5", "text.h5"))
        for name, needle in cases:
            job(os.path.join(tmp, "bad.yaml"), "C: 250", name)
            rc, out = run([fc, "simulate", "bad.yaml", "-o", "bad_out.h5"], tmp)
            check(f"tables file {name}: exit 2 naming it ({needle})", rc == 2 and name in out
                  and needle in out and not os.path.exists(os.path.join(tmp, "bad_out.h5")), out)

    n_fail = results.count(False)
    print(f"{len(results) - n_fail} passed, {n_fail} failed")
    if n_fail == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
