#!/usr/bin/env python3
"""Read fcfit results files (docs/output-format.md) from Python.

    import fcfit_results as fr
    with fr.open_run("results.h5") as run:      # nothing is read yet
        run.stages                               # ['sweep', 'optimize', ...]
        df = run.frame("sweep")                  # one row per evaluation: parameters, status,
                                                 # reason, objective, scores, per-subject scores
        ds = run.dataset("sweep")                # the same as an xarray Dataset (row x ...)
        fc = run.fc("sweep", 17)                 # the full FC of row 17, reading that row only
        run.fit()                                # the job's answer: stage, row, parameters

frame() is a pandas DataFrame when pandas is installed, else a numpy structured array with the
same columns; dataset() needs xarray. Per-subject scores are the columns "<metric>.s<k>"
(fc_corr.s0, fc_rmse.s0, ...); subjects(stage) gives them in long form (row, subject, metric).
Only what is asked for is read: the stored FC rows (C x N(N-1)/2 floats) are never loaded as a
whole unless you ask for run.fc_rows(...).

Older helpers, kept for scripts and tests: load(path) reads everything into a dict (small
files only), table(run, stage), fc_matrix(run, row), fit(run), pending(run, stage).

Command line:
    fcfit_results.py summary A.h5        a short text summary of every stage and the fit
    fcfit_results.py compare A.h5 B.h5   exit 0 when both hold identical results (parameters,
                                         scores, statuses, seeds, FC, summaries, the fit),
                                         ignoring timing and ranks
    fcfit_results.py compare --done-only A.h5 B.h5
                                         the same for the rows done in A only (A partial, B a
                                         finished reference: nothing A marks done is damaged)

Needs numpy and h5py; pandas and xarray are optional. On Debian or Ubuntu:
    sudo apt install python3-h5py python3-numpy python3-pandas python3-xarray
(they belong to the system Python, /usr/bin/python3).
"""
import sys

_APT = {"numpy": "python3-numpy", "h5py": "python3-h5py", "pandas": "python3-pandas",
        "xarray": "python3-xarray"}


def _missing_message(names):
    pkgs = " ".join(_APT[n] for n in names)
    return ("fcfit_results.py needs %s, which this Python (%s, %s) does not have.\n"
            "On Debian/Ubuntu: sudo apt install %s, then run it with /usr/bin/python3 "
            "(the system Python that has them);\nor install them into this Python: "
            "%s -m pip install %s"
            % (" and ".join(names), sys.executable or "python3", sys.version.split()[0], pkgs,
               sys.executable or "python3", " ".join(names)))


_missing = []
try:
    import numpy as np
except ImportError:  # reported below, with the way to get it
    _missing.append("numpy")
try:
    import h5py
except ImportError:
    _missing.append("h5py")
if _missing:
    if __name__ == "__main__":
        sys.stderr.write(_missing_message(_missing) + "\n")
        sys.exit(2)
    raise ImportError(_missing_message(_missing))

try:
    import pandas as pd
except ImportError:  # optional: frame() falls back to numpy
    pd = None
try:
    import xarray as xr
except ImportError:  # optional: dataset() says what is missing
    xr = None

STAGE_KINDS = ["sweep", "optimize", "refine", "validate"]
STATUS_NAMES = {0: "pending", 1: "ok", 2: "diverged", 3: "out_of_domain", 4: "degenerate",
                5: "failed"}
# Datasets that record how a run was executed rather than what it computed.
EXECUTION_ONLY = {"worker_rank", "wall_time_s", "busy_worker_s", "stage_wall_s", "n_workers"}
# Per-stage datasets that are not one row per evaluation.
STAGE_LEVEL = {"base_params", "state", "rows_used", "n_failed", "best_row", "best_objective",
               "instance_code", "instance_evaluations", "instance_best_row",
               "instance_best_objective", "warnings"}
# Rows compared at a time by compare(): memory stays bounded whatever the file's size.
BLOCK_ROWS = 4096


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _names(ds, attr="names"):
    return [_text(n) for n in ds.attrs[attr]] if attr in ds.attrs else []


class Run:
    """A results file of `fcfit run`, opened read-only; datasets are read when asked for."""

    def __init__(self, path):
        self.path = path
        self._f = h5py.File(path, "r")
        kind = _text(self._f.attrs.get("fcfit_kind", ""))
        if kind != "run":
            self._f.close()
            raise ValueError("%s is not an fcfit run results file (fcfit_kind = %r)"
                             % (path, kind or None))

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def attrs(self):
        """Root attributes (job text, hash, objective, versions), as str."""
        return {k: (_text(v) if isinstance(v, (bytes, str)) else v)
                for k, v in self._f.attrs.items()}

    @property
    def stages(self):
        """The stages in run order."""
        return [_text(s) for s in self._f.attrs.get("stages", [])]

    @property
    def objective(self):
        return _text(self._f.attrs.get("objective", ""))

    @property
    def has_target(self):
        return "target" in self._f

    def group(self, stage):
        if stage not in self._f or stage == "fit":
            raise KeyError("%s has no stage %r (it has %s)" % (self.path, stage, self.stages))
        return self._f[stage]

    def param_names(self, stage):
        g = self.group(stage)
        return _names(g["params"]) if "params" in g else []

    def score_names(self, stage):
        return _names(self.group(stage)["scores"])

    def _columns(self, stage, subjects=True):
        """Ordered (name, 1-D numpy array) pairs of the per-row table."""
        g = self.group(stage)
        status = g["status"][()]
        cols = [("row", np.arange(status.shape[0]))]
        if "params" in g:
            params = g["params"][()]
            cols += [(n, params[:, d]) for d, n in enumerate(_names(g["params"]))]
        reasons = np.array([_text(r) for r in g["reason"][()]], dtype=object)
        cols += [("status", status),
                 ("status_name", np.array([STATUS_NAMES.get(int(s), "?") for s in status],
                                          dtype=object)),
                 ("reason", reasons),
                 ("objective", g["objective"][()])]
        scores = g["scores"][()]
        cols += [(n, scores[:, k]) for k, n in enumerate(_names(g["scores"]))]
        for extra in ("instance", "eval_index", "candidate_stage", "candidate_row",
                      "objective_se"):
            if extra in g:
                cols.append((extra, g[extra][()]))
        if "scores_se" in g:
            se = g["scores_se"][()]
            cols += [(n + "_se", se[:, k]) for k, n in enumerate(_names(g["scores"]))]
        if "scores_target2" in g:
            t2 = g["scores_target2"][()]
            cols += [(n + "_target2", t2[:, k]) for k, n in enumerate(_names(g["scores"]))]
        if subjects and "scores_subject" in g:
            ss = g["scores_subject"][()]
            metrics = _names(g["scores_subject"])
            for s in range(ss.shape[1]):
                cols += [("%s.s%d" % (m, s), ss[:, s, k]) for k, m in enumerate(metrics)]
        return cols

    def frame(self, stage="sweep", subjects=True):
        """One row per evaluation: parameters, status, reason, objective (the loss the stage
        minimised), scores, optimizer and validation columns, per-subject scores
        ("<metric>.s<k>"). A pandas DataFrame indexed by row, or without pandas a numpy
        structured array with the same columns."""
        cols = self._columns(stage, subjects)
        if pd is not None:
            return pd.DataFrame({n: v for n, v in cols}).set_index("row", drop=False)
        return np.rec.fromarrays([v for _, v in cols], names=[n for n, _ in cols])

    def subjects(self, stage="sweep"):
        """Per-subject scores in long form: columns row, subject and one per metric (a
        DataFrame, or a structured array without pandas)."""
        g = self.group(stage)
        if "scores_subject" not in g:
            raise KeyError("%s: stage %s has no per-subject scores (%s)" % (
                self.path, stage, "no target" if not self.has_target else "none stored"))
        ss = g["scores_subject"][()]
        rows, subj = np.meshgrid(np.arange(ss.shape[0]), np.arange(ss.shape[1]), indexing="ij")
        cols = [("row", rows.ravel()), ("subject", subj.ravel())]
        cols += [(m, ss[:, :, k].ravel()) for k, m in enumerate(_names(g["scores_subject"]))]
        if pd is not None:
            return pd.DataFrame({n: v for n, v in cols})
        return np.rec.fromarrays([v for _, v in cols], names=[n for n, _ in cols])

    def dataset(self, stage="sweep"):
        """The stage as an xarray Dataset: dimensions row, param, score, replicate, subject,
        subject_score; variables params, status, reason, objective, scores, scores_replicate,
        seeds, scores_subject (and the validation columns). The FC rows are left out (use
        fc())."""
        if xr is None:
            raise ImportError(_missing_message(["xarray"]))
        g = self.group(stage)
        score_names = _names(g["scores"])
        n_rows = g["status"].shape[0]
        data = {"status": (("row",), g["status"][()]),
                "reason": (("row",), np.array([_text(r) for r in g["reason"][()]],
                                              dtype=object)),
                "objective": (("row",), g["objective"][()]),
                "scores": (("row", "score"), g["scores"][()]),
                "scores_replicate": (("row", "replicate", "score"), g["scores_replicate"][()]),
                "replicate_status": (("row", "replicate"), g["replicate_status"][()]),
                "seeds": (("row", "replicate"), g["seeds"][()])}
        coords = {"row": np.arange(n_rows), "score": score_names}
        if "params" in g:
            data["params"] = (("row", "param"), g["params"][()])
            coords["param"] = _names(g["params"])
        if "scores_subject" in g:
            data["scores_subject"] = (("row", "subject", "subject_score"),
                                      g["scores_subject"][()])
            coords["subject_score"] = _names(g["scores_subject"])
        for k in ("instance", "eval_index", "candidate_stage", "candidate_row", "objective_se"):
            if k in g:
                data[k] = (("row",), g[k][()])
        for k in ("scores_se", "scores_target2", "scores_target2_se"):
            if k in g:
                data[k] = (("row", "score"), g[k][()])
        attrs = {"stage": stage, "objective": self.objective, "file": self.path}
        for k in ("job_hash", "model", "created"):
            if k in self._f.attrs:
                attrs[k] = _text(self._f.attrs[k])
        ds = xr.Dataset(data, coords=coords, attrs=attrs)
        sense = g["scores"].attrs.get("sense")
        if sense is not None:
            ds["score_sense"] = (("score",), np.asarray(sense))
        return ds

    def n_regions(self, stage="sweep"):
        g = self.group(stage)
        if "fc" not in g:
            raise KeyError("%s: stage %s stores no FC (output.save_fc is off, or the stage "
                           "is an optimizer stage)" % (self.path, stage))
        return int(g["fc"].attrs["n_regions"])

    def fc(self, stage, row):
        """The full simulated FC (replicate 0) of one row, reading that row only."""
        n = self.n_regions(stage)
        return _full_fc(self.group(stage)["fc"][int(row)], n)

    def fc_rows(self, stage, rows):
        """Yield (row, full FC) for the given rows, one row read at a time."""
        for r in rows:
            yield int(r), self.fc(stage, r)

    def target_fc(self):
        """The target's group FC (/target/fc), or None without a target."""
        return self._f["target/fc"][()] if self.has_target else None

    def fit(self):
        """The job's answer: stage, row, objective (the loss), its standard error, and every
        model parameter per region."""
        g = self._f["fit"]
        names = _names(g["params"])
        stage = int(g["stage"][0])
        params = g["params"][()]
        return {"complete": int(g["state"][0]) == 1,
                "stage": STAGE_KINDS[stage] if 0 <= stage < 4 else None,
                "row": int(g["row"][0]),
                "objective": float(g["objective"][0]),
                "objective_se": float(g["objective_se"][0]),
                "params": {n: params[j] for j, n in enumerate(names)}}


def open_run(path):
    """Open a results file of `fcfit run` lazily (use as a context manager or call close())."""
    return Run(path)


def _full_fc(upper, n):
    m = np.eye(n)
    iu = np.triu_indices(n, k=1)
    m[iu] = upper
    m[(iu[1], iu[0])] = upper
    return m


# ---- older helpers (everything in memory) ------------------------------------------------------

def load(path):
    """Every attribute and dataset of a results file in a dict (small files; open_run reads
    lazily): {"attrs": {...}, "stages": {name: {dataset: array, dataset@attrs: {...},
    "attrs": {...}}}}. Reading it all also proves that every object reads back."""
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
    """The stages of a loaded run in run order (the fit group excluded)."""
    return [str(s) for s in run["attrs"].get("stages", [])]


def table(run, stage="sweep"):
    """A loaded stage as a list of dicts, one per row."""
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
    return _full_fc(s["fc"][row], int(s["fc@attrs"]["n_regions"]))


def fit(run):
    """The job's answer of a loaded run as a dict."""
    g = run["stages"]["fit"]
    names = [str(n) for n in g["params@attrs"]["names"]]
    stage = int(g["stage"][0])
    return {"complete": int(g["state"][0]) == 1,
            "stage": STAGE_KINDS[stage] if 0 <= stage < 4 else None,
            "row": int(g["row"][0]),
            "objective": float(g["objective"][0]),
            "objective_se": float(g["objective_se"][0]),
            "params": {n: g["params"][j] for j, n in enumerate(names)}}


def pending(run, stage="sweep"):
    """Indices of the rows whose status is 0 (not done) in a loaded run."""
    return [int(p) for p in np.flatnonzero(run["stages"][stage]["status"] == 0)]


# ---- comparison ---------------------------------------------------------------------------------

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


def _groups(f):
    return {name for name, g in f.items() if isinstance(g, h5py.Group)}


def compare(a_path, b_path, done_only=False):
    """Bitwise comparison of two results files, execution-only datasets excepted.

    With done_only, only the rows whose status is non-zero in A are compared (and not the
    per-stage summaries or the fit, which describe whole stages): A may be a partial file
    and B a finished run of the same job. Datasets are compared in blocks of rows, so memory
    stays small whatever the files' size. Returns a list of problems (empty when equal)."""
    problems = []
    with h5py.File(a_path, "r") as fa, h5py.File(b_path, "r") as fb:
        if fa.attrs.get("job_hash") != fb.attrs.get("job_hash"):
            problems.append("job_hash differs")
        ga, gb = _groups(fa), _groups(fb)
        if ga != gb:
            problems.append("groups differ: %s vs %s" % (sorted(ga), sorted(gb)))
        for name in sorted(ga & gb):
            sa, sb = fa[name], fb[name]
            rows = None
            if done_only:
                if "status" not in sa:
                    continue  # the fit group: only meaningful once the run is complete
                rows = np.flatnonzero(sa["status"][()] != 0)
            keys = set(sa) | set(sb)
            for k in sorted(keys - EXECUTION_ONLY):
                if done_only and k in STAGE_LEVEL:
                    continue
                if k not in sa or k not in sb:
                    problems.append("%s/%s missing in one file" % (name, k))
                    continue
                da, db = sa[k], sb[k]
                if da.shape != db.shape or da.dtype != db.dtype:
                    problems.append("%s/%s: shape or type differs (%s %s vs %s %s)"
                                    % (name, k, da.shape, da.dtype, db.shape, db.dtype))
                    continue
                diff = []
                if da.ndim == 0:
                    diff = _differing_rows(np.asarray(da[()]), np.asarray(db[()]))
                elif rows is not None:
                    for start in range(0, len(rows), BLOCK_ROWS):
                        idx = rows[start:start + BLOCK_ROWS]
                        d = _differing_rows(da[idx] if len(idx) else da[0:0],
                                            db[idx] if len(idx) else db[0:0])
                        diff += [int(idx[i]) for i in d]
                else:
                    for start in range(0, da.shape[0], BLOCK_ROWS):
                        stop = min(start + BLOCK_ROWS, da.shape[0])
                        diff += [start + i for i in _differing_rows(da[start:stop],
                                                                     db[start:stop])]
                if diff:
                    problems.append("%s/%s differs in rows %s%s" % (
                        name, k, diff[:10], " ..." if len(diff) > 10 else ""))
    return problems


def summary(path, out=sys.stdout):
    """A short text summary of a results file (reads the small datasets only)."""
    with open_run(path) as run:
        out.write("%s: objective %s%s\n" % (path, run.objective,
                                            "" if run.has_target else " (no target)"))
        for name in run.stages:
            g = run.group(name)
            st = g["status"][()]
            out.write("%s: %d of %d rows done, best row %d\n" % (
                name, int((st != 0).sum()), st.shape[0], int(g["best_row"][0])))
        f = run.fit()
        if f["complete"]:
            out.write("fit: %s row %d, objective %.6g\n" % (f["stage"], f["row"], f["objective"]))


def main(argv):
    if len(argv) in (4, 5) and argv[1] == "compare" and (len(argv) == 4 or
                                                          argv[2] == "--done-only"):
        problems = compare(argv[-2], argv[-1], done_only=len(argv) == 5)
        for p in problems:
            print(p)
        print("identical" if not problems else "DIFFERENT")
        return 0 if not problems else 1
    if len(argv) == 3 and argv[1] == "summary":
        try:
            summary(argv[2])
        except (OSError, ValueError) as e:
            sys.stderr.write("fcfit_results.py: %s\n" % e)
            return 2
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
