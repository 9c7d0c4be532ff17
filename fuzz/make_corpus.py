#!/usr/bin/python3
"""Write the seed corpus of the fuzz targets into fuzz/corpus/<target>/.

usage: /usr/bin/python3 fuzz/make_corpus.py

Seeds are small valid inputs of every shape a loader accepts (and a few it must refuse),
so that the fuzzer starts from the interesting parts of each format. The files are
committed; rerun this script only to change them. Needs numpy and h5py (Debian
python3-numpy, python3-h5py). The .mat files are written by hand from the published
MAT-file format (level 4 and level 5), so that no MATLAB or scipy is needed.
"""
import io
import os
import shutil
import struct
import zipfile
import zlib

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- MAT-file level 5 ---------------------------------------------------------------------
MI = {"int8": 1, "uint8": 2, "int16": 3, "uint16": 4, "int32": 5, "uint32": 6, "single": 7,
      "double": 9, "int64": 12, "uint64": 13, "matrix": 14, "compressed": 15}
MX = {"cell": 1, "struct": 2, "char": 4, "sparse": 5, "double": 6, "single": 7, "int8": 8,
      "uint8": 9, "int16": 10, "uint16": 11, "int32": 12, "uint32": 13, "int64": 14,
      "uint64": 15}
NP = {"double": "f8", "single": "f4", "int8": "i1", "uint8": "u1", "int16": "i2",
      "uint16": "u2", "int32": "i4", "uint32": "u4", "int64": "i8", "uint64": "u8"}


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def element(e, mi, payload, small_ok=True):
    if small_ok and len(payload) <= 4 and mi != MI["matrix"]:
        return struct.pack(e + "HH", mi, len(payload)) + payload + b"\0" * (4 - len(payload))
    return struct.pack(e + "II", mi, len(payload)) + pad8(payload)


def mat5_header(e="<", text=b"MATLAB 5.0 MAT-file, written by fcfit fuzz/make_corpus.py"):
    return text.ljust(116, b" ") + b"\0" * 8 + struct.pack(e + "H", 0x0100) + (
        b"IM" if e == "<" else b"MI")


def mat5_numeric(name, a, mx="double", stored="double", e="<", logical=False, cplx=None):
    a = np.asarray(a)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    flags = MX[mx] | (0x200 if logical else 0) | (0x800 if cplx is not None else 0)
    body = element(e, MI["uint32"], struct.pack(e + "II", flags, 0), small_ok=False)
    body += element(e, MI["int32"], struct.pack(e + "%di" % a.ndim, *a.shape), small_ok=False)
    body += element(e, MI["int8"], name.encode())
    data = np.asarray(a, dtype=np.dtype(NP[stored]).newbyteorder(e)).tobytes(order="F")
    body += element(e, MI[stored], data)
    if cplx is not None:
        body += element(e, MI[stored], np.asarray(cplx, dtype=np.dtype(NP[stored]).newbyteorder(
            e)).tobytes(order="F"))
    return element(e, MI["matrix"], body)


def mat5_cell(name, items, e="<"):
    body = element(e, MI["uint32"], struct.pack(e + "II", MX["cell"], 0), small_ok=False)
    body += element(e, MI["int32"], struct.pack(e + "ii", 1, len(items)), small_ok=False)
    body += element(e, MI["int8"], name.encode())
    for it in items:
        body += it
    return element(e, MI["matrix"], body)


def mat5_struct(name, fields, e="<"):
    body = element(e, MI["uint32"], struct.pack(e + "II", MX["struct"], 0), small_ok=False)
    body += element(e, MI["int32"], struct.pack(e + "ii", 1, 1), small_ok=False)
    body += element(e, MI["int8"], name.encode())
    body += element(e, MI["int32"], struct.pack(e + "i", 8))
    body += element(e, MI["int8"], b"".join(k.encode().ljust(8, b"\0") for k, _ in fields))
    for _, v in fields:
        body += v
    return element(e, MI["matrix"], body)


def mat5_char(name, s, e="<"):
    body = element(e, MI["uint32"], struct.pack(e + "II", MX["char"], 0), small_ok=False)
    body += element(e, MI["int32"], struct.pack(e + "ii", 1, len(s)), small_ok=False)
    body += element(e, MI["int8"], name.encode())
    body += element(e, MI["uint16"], np.frombuffer(s.encode(), dtype="u1").astype(
        np.dtype("u2").newbyteorder(e)).tobytes())
    return element(e, MI["matrix"], body)


def compress(elem, e="<"):
    z = zlib.compress(elem)
    return struct.pack(e + "II", MI["compressed"], len(z)) + z


# ---- MAT-file level 4 ---------------------------------------------------------------------
def mat4(name, a, prec=0, big=False):
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    e = ">" if big else "<"
    mopt = (1000 if big else 0) + 10 * prec
    dt = {0: "f8", 1: "f4", 2: "i4", 3: "i2", 4: "u2", 5: "u1"}[prec]
    hdr = struct.pack(e + "5i", mopt, a.shape[0], a.shape[1], 0, len(name) + 1)
    return hdr + name.encode() + b"\0" + a.astype(np.dtype(dt).newbyteorder(e)).tobytes(order="F")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    w = np.array([[0.0, 0.5, 0.25], [0.5, 0.0, 1.0], [0.25, 1.0, 0.0]])
    r = np.array([[1.5, -2.25], [1e-300, 4.0 / 3.0], [6.02214076e23, -0.0]])

    # text
    put("matrix_text", "comma.csv", b"0,0.5,0.25\n0.5,0,1\n0.25,1,0\n")
    put("matrix_text", "tabs.tsv", b"1\t2\t3\n4\t5\t6\n")
    put("matrix_text", "blanks_comments.txt",
        b"# a comment\n\n 1.5  -2.25 # trailing\n1e-300 1.3333333333333333\r\n6.02e23 -0\n")
    put("matrix_text", "bom_crlf.csv", b"\xef\xbb\xbf1,2\r\n3,4\r\n")
    put("matrix_text", "special.txt", b"nan inf -inf\n0x1p-3 1e999 .5\n")
    put("matrix_text", "ragged.csv", b"1,2,3\n4,5\n")
    put("matrix_text", "trailing_delim.csv", b"1,2,\n3,4,\n")

    # npy
    def npy(a, order="C"):
        b = io.BytesIO()
        np.save(b, np.asarray(a, order=order))
        return b.getvalue()
    put("matrix_npy", "f8_2d.npy", npy(w))
    put("matrix_npy", "f4_1d.npy", npy(np.arange(5, dtype="f4")))
    put("matrix_npy", "i8_fortran.npy", npy(np.arange(6, dtype="i8").reshape(2, 3), order="F"))
    put("matrix_npy", "u1.npy", npy(np.arange(4, dtype="u1").reshape(2, 2)))
    put("matrix_npy", "bool.npy", npy(np.array([[True, False], [False, True]])))
    put("matrix_npy", "big_endian.npy", npy(w.astype(">f8")))
    put("matrix_npy", "v2.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 118) +
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".ljust(117) + b"\n" +
        np.array([1.0, 2.0]).tobytes())

    # mat (variables are named a, b, ... so that the target's ":a" finds one)
    put("matrix_mat", "v5_double.mat", mat5_header() + mat5_numeric("a", r))
    put("matrix_mat", "v5_uint8_storage.mat",
        mat5_header() + mat5_numeric("a", np.array([[1, 2], [3, 4]]), stored="uint8"))
    put("matrix_mat", "v5_compressed.mat", mat5_header() + compress(mat5_numeric("a", w)))
    put("matrix_mat", "v5_two_vars.mat", mat5_header() + mat5_numeric("a", w) +
        mat5_numeric("b", np.arange(3.0), mx="single", stored="single"))
    put("matrix_mat", "v5_logical.mat",
        mat5_header() + mat5_numeric("a", np.eye(2), mx="uint8", stored="uint8", logical=True))
    put("matrix_mat", "v5_big_endian.mat", mat5_header(">") + mat5_numeric("a", w, e=">"))
    put("matrix_mat", "v5_cell_struct_char.mat", mat5_header() +
        mat5_cell("c", [mat5_numeric("", [1.0, 2.0]), mat5_char("", "hi")]) +
        mat5_struct("s", [("f", mat5_numeric("", [3.0]))]) + mat5_char("t", "text") +
        compress(mat5_numeric("a", w)))
    put("matrix_mat", "v5_complex.mat",
        mat5_header() + mat5_numeric("a", [1.0, 2.0], cplx=[0.5, 0.25]))
    put("matrix_mat", "v4_double.mat", mat4("a", r))
    put("matrix_mat", "v4_two_big_endian.mat", mat4("a", w, big=True) + mat4("b", [1, 2, 3],
                                                                            prec=5, big=True))
    # v7.3: an HDF5 file with a 512-byte MATLAB header in the user block.
    tmp = os.path.join(OUT, "tmp73.mat")
    with h5py.File(tmp, "w", userblock_size=512) as f:
        d = f.create_dataset("a", data=w.T)
        tid = h5py.h5t.C_S1.copy()  # matio wants a NULLTERM string of exactly the class name
        tid.set_size(6)
        tid.set_strpad(h5py.h5t.STR_NULLTERM)
        aid = h5py.h5a.create(d.id, b"MATLAB_class", tid, h5py.h5s.create(h5py.h5s.SCALAR))
        aid.write(np.array(b"double", dtype="S6"), mtype=tid)  # same type: no conversion
    with open(tmp, "r+b") as f:
        f.write(mat5_header(text=b"MATLAB 7.3 MAT-file, written by fcfit")[:124] +
                struct.pack("<H", 0x0200) + b"IM")
    with open(tmp, "rb") as f:
        put("matrix_mat", "v73_double.mat", f.read())
    os.remove(tmp)

    # h5
    def h5(fill):
        tmp = os.path.join(OUT, "tmp.h5")
        with h5py.File(tmp, "w") as f:
            fill(f)
        with open(tmp, "rb") as f:
            data = f.read()
        os.remove(tmp)
        return data
    put("matrix_h5", "one_2d.h5", h5(lambda f: f.create_dataset("a", data=w)))
    put("matrix_h5", "int_1d.h5", h5(lambda f: f.create_dataset("a", data=np.arange(4))))
    put("matrix_h5", "gzip_chunked.h5", h5(lambda f: f.create_dataset(
        "a", data=r, chunks=(1, 2), compression="gzip", shuffle=True)))

    def several(f):
        f["a"] = w
        f["b"] = np.arange(3.0)
        f.create_group("g")["c"] = np.ones((2, 2), dtype="f4")
        f["s"] = np.bytes_("text")
    put("matrix_h5", "several.h5", h5(several))

    # zip and npz
    def zipped(members, method=zipfile.ZIP_DEFLATED):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", method) as z:
            for name, data in members:
                z.writestr(name, data)
        return b.getvalue()
    tvb = [("weights.txt", b"0 0.5 0.25\n0.5 0 1\n0.25 1 0\n"),
           ("tract_lengths.txt", b"0 10 20\n10 0 30\n20 30 0\n"),
           ("centres.txt", b"lA -10 0 0\nrA 10 0 0\nlB -20 5 1\n")]
    put("matrix_zip", "tvb_deflated.zip", zipped(tvb))
    put("matrix_zip", "tvb_stored.zip", zipped(tvb, zipfile.ZIP_STORED))
    put("matrix_zip", "tvb_labels.zip", zipped(tvb[:2] + [("region_labels.txt", b"lA\nrA\nlB\n")]))
    put("matrix_zip", "npz_one.zip", zipped([("a.npy", npy(w))], zipfile.ZIP_STORED))
    put("matrix_zip", "npz_two.zip", zipped([("a.npy", npy(w)), ("b.npy", npy(np.arange(3)))]))

    # job text
    jobs = {
        "minimal.yaml": b"model:\n  name: rww\n",
        "good.yaml": b"model:\n  name: rww\n  rww:\n    G: 0.5\nconnectome:\n  synthetic:\n"
                     b"    n_regions: 8\nsim:\n  duration_s: 60\n  transient_s: 10\n  seed: 7\n"
                     b"target:\n  synthetic: true\nlog:\n  level: warning\n",
        "dotted.yaml": b"sim.dt_ms: 0.1\nbold.tr_s: 0.72\nmodel.name: mpr\nmodel.mpr.eta: -4.6\n",
        "regional.yaml": b"model: {name: rww, rww: {w: [0.9, 1.0, 1.1], G: {file: g.csv}}}\n",
        "sweep.yaml": b"sweep:\n  params:\n    model.rww.G: {linspace: [0.1, 1.5, 8]}\n"
                      b"    model.rww.w: {map: m.csv, offset: 0.9, slope: {values: [0, 1]}}\n"
                      b"  sampler: grid\n",
        "paths.yaml": b"connectome:\n  weights: 'sc dir/sc.h5:/w'\n  lengths: len.npy\n"
                      b"target:\n  fc: [fc1.csv, fc2.csv]\n  bold: \"b\\x01.csv\"\n",
        "sets.yaml": b"model:\n  name: hopf\n#set model.hopf.a=-0.02\n#set target.fc=[a.csv, b.csv]\n"
                     b"#set sweep.params={model.hopf.G: {values: [1, 2]}}\n",
        "anchors.yaml": b"a: &x 1\n",
        "two_docs.yaml": b"sim:\n  seed: 1\n---\nsim:\n  seed: 2\n",
        "bold_peak.yaml": b"model: {name: hopf, hopf: {omega: {from_bold_peak: [0.04, 0.07]}}}\n",
    }
    for name, text in jobs.items():
        put("job_text", name, text)


if __name__ == "__main__":
    main()
