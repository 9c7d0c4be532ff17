#!/usr/bin/env python3
"""Read fcfit result files with h5py (docs/output-format.md).

    import fcfit_results as fr
    run = fr.load("results.h5")          # dict: attrs, stages -> {dataset: numpy array}
    rows = fr.table(run, "optimize")     # list of dicts, one per row of a stage
    fr.fc_matrix(run, 17)                # full FC of sweep row 17 from the stored upper triangle
    fr.fit(run)                          # the job's answer: stage, row, objective, parameters

Command line:
    fcfit_results.py compare A.h5 B.h5   exit 0 when both hold identical results (parameters,
                                         scores, statuses, seeds, FC, summaries, the fit),
                                         ignoring timing and ranks
    fcfit_results.py compare --done-only A.h5 B.h5
                                         the same for the rows done in A only (A partial, B a
                                         finished reference: nothing A marks done is damaged)
    fcfit_results.py summary A.h5        a short text summary

Needs numpy and h5py (Debian: apt install python3-h5py python3-numpy).
"""
import sys

import h5py
import numpy as np

# Datasets that record how a run was executed rather than what it computed.
EXECUTION_ONLY = {"worker_rank", "wall_time_s", "busy_worker_s", "stage_wall_s", "n_workers"}
# Per-stage datasets that are not one row per evaluation.
STAGE_LEVEL = {"base_params", "state", "rows_used", "n_failed", "best_row", "best_objective",
               "instance_code", "instance_evaluations", "instance_best_row",
               "instance_best_objective", "warnings"}


def load(path):
    out = {"attrs": {}, "stages": {}}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            out["attrs"][k] = v
        for name, grp in f.items():
            if not isinstance(grp, h5py.Group):
                continue
            stage = {"attrs": dict(grp.attrs)}
            for dname, ds in grp.items():
                stage[dname] = ds[()]
                stage[dname + "@attrs"] = dict(ds.attrs)
            out["stages"][name] = stage
    return out


def stage_names(run):
    """The stages of a run in run order (the fit group excluded)."""
    return [str(s) for s in run["attrs"].get("stages", [])]


def table(run, stage="sweep"):
    s = run["stages"][stage]
    names = [str(n) for n in s["params@attrs"]["names"]] if "params" in s else []
    scores = [str(n) for n in s["scores@attrs"]["names"]]
    rows = []
    for p in range(s["status"].shape[0]):
        row = {"row": p, "status": int(s["status"][p]), "objective": float(s["objective"][p])}
        row.update({n: float(s["params"][p, d]) for d, n in enumerate(names)})
        row.update({n: float(s["scores"][p, k]) for k, n in enumerate(scores)})
        rows.append(row)
    return rows


def fc_matrix(run, row, stage="sweep"):
    s = run["stages"][stage]
    n = int(s["fc@attrs"]["n_regions"])
    m = np.eye(n)
    iu = np.triu_indices(n, k=1)
    m[iu] = s["fc"][row]
    m[(iu[1], iu[0])] = s["fc"][row]
    return m


def fit(run):
    """The job's answer as a dict (stage name, row, objective, its standard error, parameters)."""
    g = run["stages"]["fit"]
    names = [str(n) for n in g["params@attrs"]["names"]]
    kinds = ["sweep", "optimize", "refine", "validate"]
    stage = int(g["stage"][0])
    return {"complete": int(g["state"][0]) == 1,
            "stage": kinds[stage] if 0 <= stage < 4 else None,
            "row": int(g["row"][0]),
            "objective": float(g["objective"][0]),
            "objective_se": float(g["objective_se"][0]),
            "params": {n: g["params"][j] for j, n in enumerate(names)}}


def pending(run, stage="sweep"):
    """Indices of the rows whose status is 0 (not done) in a loaded run."""
    return [int(p) for p in np.flatnonzero(run["stages"][stage]["status"] == 0)]


def _differing_rows(x, y):
    """Row indices where two same-shape arrays differ bitwise (NaN equals the same NaN)."""
    if x.ndim == 0:
        return [] if x.tobytes() == y.tobytes() else [0]
    if x.shape[0] == 0:
        return []
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    if x.dtype.kind in "fc":
        xb = x.reshape(x.shape[0], -1).view(np.uint8).reshape(x.shape[0], -1)
        yb = y.reshape(y.shape[0], -1).view(np.uint8).reshape(y.shape[0], -1)
        return np.flatnonzero((xb != yb).any(axis=1)).tolist()
    return np.flatnonzero(np.asarray(x != y).reshape(x.shape[0], -1).any(axis=1)).tolist()


def compare(a_path, b_path, done_only=False):
    """Bitwise comparison of two results files, execution-only datasets excepted.

    With done_only, only the rows whose status is non-zero in A are compared (and not the
    per-stage summaries or the fit, which describe whole stages): A may be a partial file
    and B a finished run of the same job. Returns a list of problems (empty when equal)."""
    a, b = load(a_path), load(b_path)
    problems = []
    if a["attrs"].get("job_hash") != b["attrs"].get("job_hash"):
        problems.append("job_hash differs")
    if set(a["stages"]) != set(b["stages"]):
        problems.append("groups differ: %s vs %s" % (sorted(a["stages"]), sorted(b["stages"])))
    for name in sorted(set(a["stages"]) & set(b["stages"])):
        sa, sb = a["stages"][name], b["stages"][name]
        rows = None
        if done_only:
            if "status" not in sa:
                continue  # the fit group: only meaningful once the run is complete
            rows = np.flatnonzero(np.asarray(sa["status"]) != 0)
        keys = {k for k in set(sa) | set(sb) if not k.endswith("@attrs") and k != "attrs"}
        for k in sorted(keys - EXECUTION_ONLY):
            if done_only and k in STAGE_LEVEL:
                continue
            if k not in sa or k not in sb:
                problems.append("%s/%s missing in one file" % (name, k))
                continue
            x, y = np.asarray(sa[k]), np.asarray(sb[k])
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append("%s/%s: shape or type differs (%s %s vs %s %s)"
                                % (name, k, x.shape, x.dtype, y.shape, y.dtype))
                continue
            if rows is not None and x.ndim > 0:
                x, y = x[rows], y[rows]
            diff = _differing_rows(x, y)
            if diff:
                if rows is not None and x.ndim > 0:
                    diff = [int(rows[i]) for i in diff]
                problems.append("%s/%s differs in rows %s%s" % (
                    name, k, diff[:10], " ..." if len(diff) > 10 else ""))
    return problems


def main(argv):
    if len(argv) in (4, 5) and argv[1] == "compare" and (len(argv) == 4 or
                                                          argv[2] == "--done-only"):
        problems = compare(argv[-2], argv[-1], done_only=len(argv) == 5)
        for p in problems:
            print(p)
        print("identical" if not problems else "DIFFERENT")
        return 0 if not problems else 1
    if len(argv) == 3 and argv[1] == "summary":
        run = load(argv[2])
        for name in stage_names(run):
            s = run["stages"][name]
            st = s["status"]
            print("%s: %d of %d rows done, best row %d" % (
                name, int((st != 0).sum()), st.shape[0], int(s["best_row"][0])))
        f = fit(run)
        if f["complete"]:
            print("fit: %s row %d, objective %.6g" % (f["stage"], f["row"], f["objective"]))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
