#!/usr/bin/env python3
"""Plot an fcfit results file: what the fit found and how it got there.

usage: fcfit_plot.py RESULTS.h5 [-o DIR] [--format png|pdf|svg]

Writes into DIR (default: plots/):
  fc.png           simulated FC of the fitted point next to the target's group FC, and their
                   upper triangles against each other
  sweep.png        the sweep landscape: the objective along one swept parameter (a curve per
                   value of a second one), or a heat map over two
  traces.png       each optimizer instance's best-so-far objective against its evaluations
                   (optimize and refine)
  regional.png     fitted regional parameters region by region (with the homogeneous value
                   they started from)
  validation.png   validated candidates: mean and standard error of the objective
Plots whose data the file lacks (no sweep, FC not saved, ...) are skipped with a message.

Needs numpy, h5py and matplotlib (Debian: apt install python3-h5py python3-numpy
python3-matplotlib).
"""
import argparse
import os
import sys

_APT = {"numpy": "python3-numpy", "h5py": "python3-h5py", "matplotlib": "python3-matplotlib"}
_missing = []
try:
    import numpy as np
except ImportError:  # reported below, with the way to get it
    _missing.append("numpy")
try:
    import h5py
except ImportError:
    _missing.append("h5py")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # reported below
    _missing.append("matplotlib")
if _missing:
    sys.stderr.write(
        "fcfit_plot.py needs %s, which this Python (%s, %s) does not have.\n"
        "On Debian/Ubuntu: sudo apt install %s, then run it with /usr/bin/python3 (the system "
        "Python that has them);\nor install them into this Python: %s -m pip install %s\n"
        % (" and ".join(_missing), sys.executable or "python3", sys.version.split()[0],
           " ".join(_APT[m] for m in _missing), sys.executable or "python3", " ".join(_missing)))
    sys.exit(2)

KINDS = ["sweep", "optimize", "refine", "validate"]


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def shown(f, loss):
    """What users read: a single higher-is-better score as itself, an expression as the loss."""
    if text(f.attrs.get("objective_better", "lower")) == "higher":
        return -np.asarray(loss)
    return np.asarray(loss)


def upper_to_matrix(u, n):
    m = np.eye(n)
    iu = np.triu_indices(n, k=1)
    m[iu] = u
    m[(iu[1], iu[0])] = u
    return m


def plot_fc(f, out, fmt):
    if "target" not in f:
        return "no target FC in the file"
    target = f["target/fc"][()]
    n = target.shape[0]
    fit = f["fit"]
    if int(fit["state"][0]) != 1 or int(fit["row"][0]) < 0:
        return "the fit is not complete"
    stage = KINDS[int(fit["stage"][0])]
    row = int(fit["row"][0])
    if "fc" not in f[stage]:
        # The fitted row's FC is stored for sweep and validate rows (output.save_fc).
        return "the %s stage stores no FC (output.save_fc)" % stage
    sim = upper_to_matrix(f[stage]["fc"][row], n)
    iu = np.triu_indices(n, k=1)
    r = np.corrcoef(sim[iu], target[iu])[0, 1]
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.4))
    for a, m, title in ((ax[0], sim, "simulated FC (%s row %d)" % (stage, row)),
                        (ax[1], target, "target FC (group)")):
        im = a.imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
        a.set_title(title)
        a.set_xlabel("region")
        a.set_ylabel("region")
        fig.colorbar(im, ax=a, fraction=0.046)
    ax[2].plot(target[iu], sim[iu], ".", ms=2, alpha=0.5)
    ax[2].set_xlabel("target FC")
    ax[2].set_ylabel("simulated FC")
    ax[2].set_title("upper triangles, r = %.3f" % r)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fc." + fmt))
    plt.close(fig)
    return None


def plot_sweep(f, out, fmt):
    if "sweep" not in f:
        return "no sweep stage"
    g = f["sweep"]
    names = [text(x) for x in g["params"].attrs["names"]]
    x = g["params"][()]
    ok = g["status"][()] == 1
    y = np.where(ok, shown(f, g["objective"][()]), np.nan)
    obj = text(f.attrs["objective"])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if len(names) == 1 or (len(names) >= 2 and len(np.unique(x[:, 1])) > 12):
        order = np.argsort(x[:, 0])
        ax.plot(x[order, 0], y[order], "o-")
        ax.set_xlabel(names[0])
        ax.set_ylabel(obj)
    elif len(names) >= 2:
        u0, u1 = np.unique(x[:, 0]), np.unique(x[:, 1])
        if len(u0) * len(u1) == x.shape[0] and len(u1) > 4:
            grid = np.full((len(u1), len(u0)), np.nan)
            for k in range(x.shape[0]):
                grid[np.searchsorted(u1, x[k, 1]), np.searchsorted(u0, x[k, 0])] = y[k]
            im = ax.imshow(grid, origin="lower", aspect="auto",
                           extent=(u0[0], u0[-1], u1[0], u1[-1]))
            fig.colorbar(im, ax=ax, label=obj)
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
        else:
            for v in u1:
                sel = x[:, 1] == v
                order = np.argsort(x[sel, 0])
                ax.plot(x[sel, 0][order], y[sel][order], "o-", label="%s = %g" % (names[1], v))
            ax.legend(fontsize=8)
            ax.set_xlabel(names[0])
            ax.set_ylabel(obj)
    ax.set_title("sweep landscape")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "sweep." + fmt))
    plt.close(fig)
    return None


def plot_traces(f, out, fmt):
    stages = [s for s in ("optimize", "refine") if s in f and "instance" in f[s]]
    if not stages:
        return "no optimizer stage"
    obj = text(f.attrs["objective"])
    higher = text(f.attrs.get("objective_better", "lower")) == "higher"
    fig, axes = plt.subplots(1, len(stages), figsize=(6.5 * len(stages), 4.3), squeeze=False)
    for ax, s in zip(axes[0], stages):
        g = f[s]
        st, inst = g["status"][()], g["instance"][()]
        loss = g["objective"][()]
        for i in sorted(set(inst[st != 0].tolist())):
            rows = np.flatnonzero((inst == i) & (st != 0))
            best = np.minimum.accumulate(loss[rows])
            ax.plot(np.arange(1, len(rows) + 1), -best if higher else best, label="instance %d" % i)
        ax.set_xlabel("evaluation")
        ax.set_ylabel("best-so-far " + obj)
        ax.set_title(s)
        if len(set(inst[st != 0].tolist())) <= 10:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "traces." + fmt))
    plt.close(fig)
    return None


def plot_regional(f, out, fmt):
    fit = f["fit"]
    if int(fit["state"][0]) != 1:
        return "the fit is not complete"
    p = fit["params"][()]
    names = [text(x) for x in fit["params"].attrs["names"]]
    varying = [j for j in range(p.shape[0]) if np.ptp(p[j]) > 0]
    if not varying:
        return "no regional parameter varies in the fit"
    base = f["refine/base_params"][()] if "refine" in f else None
    fig, axes = plt.subplots(len(varying), 1, figsize=(max(7, 0.12 * p.shape[1]), 3 * len(varying)),
                             squeeze=False)
    for ax, j in zip(axes[:, 0], varying):
        ax.bar(np.arange(p.shape[1]), p[j], color="tab:blue")
        if base is not None and np.isfinite(base[j]).all():
            ax.axhline(float(np.mean(base[j])), color="k", ls="--", lw=1,
                       label="start of refine")
            ax.legend(fontsize=8)
        ax.set_ylabel(names[j])
        ax.set_xlabel("region")
    axes[0, 0].set_title("fitted regional parameters")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "regional." + fmt))
    plt.close(fig)
    return None


def plot_validation(f, out, fmt):
    if "validate" not in f:
        return "no validate stage"
    g = f["validate"]
    ok = g["status"][()] != 0
    if not ok.any():
        return "no validated candidate yet"
    mean = shown(f, g["objective"][()])[ok]
    se = g["objective_se"][()][ok]
    cs, cr = g["candidate_stage"][()][ok], g["candidate_row"][()][ok]
    labels = ["%s %d" % (KINDS[s] if 0 <= s < 4 else "?", r) for s, r in zip(cs, cr)]
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(labels)), 4))
    ax.errorbar(np.arange(len(labels)), mean, yerr=se, fmt="o", capsize=4)
    ax.set_xticks(np.arange(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel("validated " + text(f.attrs["objective"]) + " (mean +- s.e.)")
    ax.set_title("validation with fresh noise seeds")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "validation." + fmt))
    plt.close(fig)
    return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("-o", "--output", default="plots", help="directory for the figures")
    ap.add_argument("--format", default="png", choices=["png", "pdf", "svg"])
    a = ap.parse_args(argv[1:])
    try:
        f = h5py.File(a.results, "r")
    except OSError as e:
        print("fcfit_plot.py: %s: %s" % (a.results, e), file=sys.stderr)
        return 2
    with f:
        if text(f.attrs.get("fcfit_kind", "")) != "run" or "fit" not in f:
            print("fcfit_plot.py: %s is not an fcfit run results file" % a.results,
                  file=sys.stderr)
            return 2
        os.makedirs(a.output, exist_ok=True)
        made = 0
        for name, fn in (("fc", plot_fc), ("sweep", plot_sweep), ("traces", plot_traces),
                         ("regional", plot_regional), ("validation", plot_validation)):
            why = fn(f, a.output, a.format)
            if why is None:
                print("wrote %s" % os.path.join(a.output, "%s.%s" % (name, a.format)))
                made += 1
            else:
                print("skipped %s: %s" % (name, why))
    return 0 if made > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
