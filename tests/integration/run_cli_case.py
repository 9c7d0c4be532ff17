#!/usr/bin/python3
"""Run the fcfit executable once in a fresh temporary directory and check what it did.

usage: run_cli_case.py FCFIT [options] -- ARG...

The temporary directory receives a copy of the fixture files (--fixtures, default
tests/data/cli), any generated binary fixtures (--gen) and any pre-existing files
(--existing); fcfit then runs there with ARG... as its arguments. Checks:

  --rc N            the exit code must be N (required)
  --err TEXT        stderr must contain TEXT (repeatable; case-sensitive)
  --err-re REGEX    stderr must match REGEX (re.search, multi-line; repeatable)
  --out TEXT        stdout must contain TEXT (repeatable)
  --out-re REGEX    stdout must match REGEX (repeatable)
  --not-err TEXT    stderr must not contain TEXT (repeatable)
  --may-write       allow the run to create or change files; without it, every file
                    of the directory must be byte-identical afterwards and no file may
                    appear (this is how "no output was created" and "an existing file
                    was left untouched" are checked)
  --creates PATH    PATH must exist afterwards (implies --may-write)

Setup:
  --fixtures DIR    directory whose files are copied in (repeatable)
  --copy FILE       one more file to copy in (exit 77, skipped, when it does not exist)
  --gen NAME        generate a binary fixture: bad_magic.npy, two_datasets.h5
  --existing PATH=KIND   create PATH before the run; KIND is text (a non-fcfit file),
                    simulate (an HDF5 file marked as an fcfit simulate output, which
                    fcfit may replace) or sweep (an HDF5 file of another kind)

On failure the directory is kept and its path printed. Exit code 0: pass, 1: fail,
77: skipped.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FIXTURES = os.path.normpath(os.path.join(HERE, "..", "data", "cli"))
SKIP = 77


class CaseFailure(Exception):
    pass


def snapshot(root):
    """Map relative path -> sha256 of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def diff_snapshots(before, after):
    """Human-readable list of what changed between two snapshots."""
    msgs = []
    for k in sorted(set(before) | set(after)):
        if k not in after:
            msgs.append("removed: " + k)
        elif k not in before:
            msgs.append("created: " + k)
        elif before[k] != after[k]:
            msgs.append("changed: " + k)
    return msgs


def gen_fixture(root, name):
    p = os.path.join(root, name)
    if name == "bad_magic.npy":
        # A .npy file whose first 6 bytes are not \x93NUMPY; the rest looks like a header.
        with open(p, "wb") as f:
            f.write(b"NUMPY\x93\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, "
                    b"'shape': (2, 2), }" + b" " * 60 + b"\n" + b"\0" * 32)
    elif name == "two_datasets.h5":
        import h5py
        import numpy as np
        w = np.loadtxt(os.path.join(DEFAULT_FIXTURES, "sc6.csv"), delimiter=",")
        with h5py.File(p, "w") as f:
            f["sc"] = w
            f["lengths/mm"] = np.loadtxt(os.path.join(DEFAULT_FIXTURES, "len6.csv"), delimiter=",")
    else:
        raise CaseFailure("unknown --gen fixture " + name)


def make_existing(root, spec):
    path, _, kind = spec.partition("=")
    p = os.path.join(root, path)
    if kind == "text":
        with open(p, "w") as f:
            f.write("precious results that are not an fcfit file\n1,2,3\n")
    elif kind in ("simulate", "sweep"):
        import h5py
        import numpy as np
        with h5py.File(p, "w") as f:
            f.attrs["fcfit_kind"] = kind
            f.attrs["job_hash"] = "0123456789abcdef"
            f["bold"] = np.arange(12.0).reshape(4, 3)
    else:
        raise CaseFailure("unknown --existing kind " + repr(kind))


def run_fcfit(fcfit, args, cwd, timeout=120, env=None):
    """Run fcfit; return (rc, stdout, stderr) as text."""
    try:
        r = subprocess.run([fcfit] + list(args), cwd=cwd, capture_output=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired as e:
        raise CaseFailure("fcfit did not finish within %d s: %s" % (timeout, " ".join(args))) from e
    return (r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"))


def describe_run(args, rc, out, err):
    return ("command: fcfit %s\nexit code: %d\n--- stdout ---\n%s--- stderr ---\n%s--------------"
            % (" ".join(args), rc, out, err))


def check_text(label, text, contains=(), regexes=(), absent=()):
    problems = []
    for s in contains:
        if s not in text:
            problems.append("%s does not contain %r" % (label, s))
    for r in regexes:
        if re.search(r, text, re.M) is None:
            problems.append("%s does not match /%s/" % (label, r))
    for s in absent:
        if s in text:
            problems.append("%s contains %r" % (label, s))
    return problems


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fcfit")
    ap.add_argument("--rc", type=int, required=True)
    ap.add_argument("--err", action="append", default=[])
    ap.add_argument("--err-re", action="append", default=[])
    ap.add_argument("--not-err", action="append", default=[])
    ap.add_argument("--out", action="append", default=[])
    ap.add_argument("--out-re", action="append", default=[])
    ap.add_argument("--may-write", action="store_true")
    ap.add_argument("--creates", action="append", default=[])
    ap.add_argument("--fixtures", action="append", default=None)
    ap.add_argument("--copy", action="append", default=[])
    ap.add_argument("--gen", action="append", default=[])
    ap.add_argument("--existing", action="append", default=[])
    if "--" not in argv:
        ap.error("missing '--' before the fcfit arguments")
    k = argv.index("--")
    opt = ap.parse_args(argv[:k])
    args = argv[k + 1:]

    for c in opt.copy:
        if not os.path.isfile(c):
            print("SKIP: %s does not exist" % c)
            return SKIP

    root = tempfile.mkdtemp(prefix="fcfit-cli-")
    ok = False
    try:
        for d in opt.fixtures if opt.fixtures is not None else [DEFAULT_FIXTURES]:
            for f in os.listdir(d):
                if os.path.isfile(os.path.join(d, f)):
                    shutil.copy(os.path.join(d, f), root)
        for c in opt.copy:
            shutil.copy(c, root)
        for g in opt.gen:
            gen_fixture(root, g)
        for e in opt.existing:
            make_existing(root, e)
        before = snapshot(root)

        rc, out, err = run_fcfit(os.path.abspath(opt.fcfit), args, root)

        problems = []
        if rc != opt.rc:
            problems.append("exit code %d, expected %d" % (rc, opt.rc))
        problems += check_text("stderr", err, opt.err, opt.err_re, opt.not_err)
        problems += check_text("stdout", out, opt.out, opt.out_re)
        if rc < 0 or "Sanitizer" in err or "Segmentation" in err:
            problems.append("fcfit crashed")
        for c in opt.creates:
            if not os.path.exists(os.path.join(root, c)):
                problems.append("%s was not created" % c)
        if not opt.may_write and not opt.creates:
            problems += ["the run must not touch files, but " + m
                         for m in diff_snapshots(before, snapshot(root))]
        if problems:
            print(describe_run(args, rc, out, err))
            print("FAIL:\n  " + "\n  ".join(problems))
            print("(files kept in %s)" % root)
            return 1
        print("PASS: fcfit %s -> exit %d" % (" ".join(args), rc))
        ok = True
        return 0
    except CaseFailure as e:
        print("FAIL: %s\n(files kept in %s)" % (e, root))
        return 1
    finally:
        if ok:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
