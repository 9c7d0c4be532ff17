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
  --not-out TEXT    stdout must not contain TEXT (repeatable)
  --may-write       allow the run to create or change files; without it, every file
                    of the directory must be byte-identical afterwards and no file may
                    appear (this is how "no output was created" and "an existing file
                    was left untouched" are checked)
  --creates PATH    PATH must exist afterwards (implies --may-write)

Setup:
  --fixtures DIR    directory whose files are copied in (repeatable)
  --copy FILE       one more file to copy in (exit 77, skipped, when it does not exist)
  --copy-as SRC=NAME  copy SRC in under the name NAME
  --gen NAME        generate a fixture: bad_magic.npy, two_datasets.h5, fifo.<ext> (a named
                    pipe), nul_byte.yaml (a job file with a NUL byte), absurd_shape.npy (a
                    header claiming 10^6 x 10^6 values, 8 TB), truncated.mat (sc6.csv as a level-5
                    .mat file cut at 300 of its 480 bytes), huge_cell.mat (a 65535 x 65535 cell
                    array in 176 bytes), sc6.zip / sc6.npz (sc6.csv and len6.csv as a TVB zip and
                    a NumPy archive; zip_as.dat is sc6.zip under another name), bomb.npz (a member claiming 1 GB from 50 bytes)
  An fcfit argument that is exactly @EMPTY@ is passed as an empty string (CMake drops empty
  arguments).
  --unescape        read backslash escapes (\x01, \t, ...) in the fcfit arguments, so that a
                    test can pass control characters
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
import stat
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
            if stat.S_ISFIFO(os.stat(p).st_mode):
                out[os.path.relpath(p, root)] = "fifo"
                continue
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


def mat5_double(name, a):
    """A level-5 MAT-file holding one real double matrix, uncompressed (MathWorks' format)."""
    import struct
    import numpy as np
    a = np.asarray(a, dtype="<f8")

    def elem(t, payload):
        return struct.pack("<II", t, len(payload)) + payload + b"\0" * (-len(payload) % 8)
    body = (elem(6, struct.pack("<II", 6, 0)) + elem(5, struct.pack("<ii", *a.shape)) +
            elem(1, name.encode()) + elem(9, a.tobytes(order="F")))
    header = b"MATLAB 5.0 MAT-file, fcfit test".ljust(116, b" ") + b"\0" * 8 + b"\x00\x01IM"
    return header + elem(14, body)


def gen_fixture(root, name):
    p = os.path.join(root, name)
    if name.startswith("fifo."):
        os.mkfifo(p)
    elif name == "nul_byte.yaml":
        with open(p, "wb") as f:
            f.write(b"model:\n  name: rww\n  rww:\n    G: 0.5\x00\nsim:\n  seed: 1\n")
    elif name == "absurd_shape.npy":
        hdr = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
        hdr = hdr.ljust(118, b" ") + b"\n"
        with open(p, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr + b"\0" * 64)
    elif name == "truncated.mat":
        import numpy as np
        data = mat5_double("sc", np.loadtxt(os.path.join(DEFAULT_FIXTURES, "sc6.csv"),
                                            delimiter=","))
        assert len(data) == 480
        with open(p, "wb") as f:
            f.write(data[:300])
    elif name == "huge_cell.mat":
        import struct
        body = (struct.pack("<II", 6, 8) + struct.pack("<II", 1, 0) +
                struct.pack("<II", 5, 8) + struct.pack("<ii", 65535, 65535) +
                struct.pack("<HH", 1, 1) + b"c\0\0\0")
        header = b"MATLAB 5.0 MAT-file, fcfit test".ljust(116, b" ") + b"\0" * 8 + b"\x00\x01IM"
        with open(p, "wb") as f:
            f.write(header + struct.pack("<II", 14, len(body)) + body)
    elif name in ("sc6.zip", "sc6.npz", "zip_as.dat"):
        import io
        import zipfile
        import numpy as np
        w = np.loadtxt(os.path.join(DEFAULT_FIXTURES, "sc6.csv"), delimiter=",")
        ln = np.loadtxt(os.path.join(DEFAULT_FIXTURES, "len6.csv"), delimiter=",")
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
            if not name.endswith(".npz"):
                for member, path in (("weights.txt", "sc6.csv"), ("tract_lengths.txt", "len6.csv")):
                    with open(os.path.join(DEFAULT_FIXTURES, path)) as f:
                        z.writestr("sc6/" + member, f.read().replace(",", " "))
                z.writestr("sc6/centres.txt", "".join(
                    "%s%d %g 0 0\n" % ("lr"[i % 2], i, 10.0 * i) for i in range(6)))
            else:
                for key, a in (("sc", w), ("lengths", ln)):
                    b = io.BytesIO()
                    np.save(b, a)
                    z.writestr(key + ".npy", b.getvalue())
    elif name == "bomb.npz":
        # A stored member whose central directory claims 1 GB, with 50 bytes of data.
        import struct
        import zipfile
        with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as z:
            z.writestr("sc.npy", b"\x93NUMPY" + b"\0" * 44)
        data = bytearray(open(p, "rb").read())
        cd = data.rfind(b"PK\x01\x02")
        data[cd + 24:cd + 28] = struct.pack("<I", 1 << 30)  # uncompressed size
        with open(p, "wb") as f:
            f.write(data)
    elif name == "bad_magic.npy":
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
    ap.add_argument("--not-out", action="append", default=[])
    ap.add_argument("--may-write", action="store_true")
    ap.add_argument("--creates", action="append", default=[])
    ap.add_argument("--fixtures", action="append", default=None)
    ap.add_argument("--copy", action="append", default=[])
    ap.add_argument("--copy-as", action="append", default=[])
    ap.add_argument("--unescape", action="store_true")
    ap.add_argument("--gen", action="append", default=[])
    ap.add_argument("--existing", action="append", default=[])
    if "--" not in argv:
        ap.error("missing '--' before the fcfit arguments")
    k = argv.index("--")
    opt = ap.parse_args(argv[:k])
    args = argv[k + 1:]
    if opt.unescape:
        args = [a.encode("latin-1").decode("unicode_escape") for a in args]
    args = ["" if a == "@EMPTY@" else a for a in args]

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
        for c in opt.copy_as:
            src, _, dst = c.partition("=")
            shutil.copy(src, os.path.join(root, dst))
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
        problems += check_text("stdout", out, opt.out, opt.out_re, opt.not_out)
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
