#!/usr/bin/env python3
"""Golden fixtures for SegmentationTests, computed once with scipy / scikit-image.

Run:  PY=$(../shared/reference/setup.sh); $PY scripts/make_seg_fixtures.py
Writes small JSON files to Tests/SegmentationTests/Fixtures/ (images as
{"width", "height", "data": row-major list}). Seeded; rerunning gives the same files.
Versions used are recorded in versions.json.
"""
import base64
import json
import os
import sys

import numpy as np
import scipy
import skimage
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.filters import threshold_otsu
from skimage.measure import label, regionprops
from skimage.morphology import disk, h_maxima, local_maxima, reconstruction
from skimage.segmentation import watershed

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SegmentationTests", "Fixtures")
rng = np.random.default_rng(20261121)


def img(a):
    """Row-major little-endian pixels, base64: exact and compact."""
    a = np.asarray(a)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    if a.dtype.kind in "iu" and a.dtype != np.uint8:
        a = a.astype("<u2" if a.min() >= 0 and a.max() < 65536 else "<i4")
    if a.dtype.kind == "f":
        a = a.astype("<f4" if a.dtype == np.float32 else "<f8")
    code = {"u1": "u1", "u2": "u2", "i4": "i4", "f4": "f4", "f8": "f8"}[a.dtype.str[1:]]
    return {"width": int(a.shape[1]), "height": int(a.shape[0]), "dtype": code,
            "b64": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()}


def save(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")


def blobs(h, w, n, rmin, rmax, noise=0.0):
    """Random overlapping disks (a bacteria-like binary mask)."""
    yy, xx = np.mgrid[0:h, 0:w]
    m = np.zeros((h, w), bool)
    for _ in range(n):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(rmin, rmax)
        m |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    if noise:
        m ^= rng.random((h, w)) < noise
    return m


def rods(h, w, n, length, width):
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    m = np.zeros((h, w), bool)
    for _ in range(n):
        cy, cx, th = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0, np.pi)
        u = np.array([np.cos(th), np.sin(th)])
        a = (xx - cx) * u[0] + (yy - cy) * u[1]
        b = -(xx - cx) * u[1] + (yy - cy) * u[0]
        half = length / 2 - width / 2
        ac = np.clip(a, -half, half)
        m |= (a - ac) ** 2 + b ** 2 <= (width / 2) ** 2
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    save("versions.json", {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__})

    # ---- Otsu
    cases = []
    a = np.concatenate([rng.normal(60, 10, 700), rng.normal(170, 20, 500)]).clip(0, 255).astype(np.uint8).reshape(30, 40)
    cases.append({"dtype": "uint8", "image": img(a), "threshold": int(threshold_otsu(a))})
    a = rng.integers(0, 256, (25, 31)).astype(np.uint8)
    cases.append({"dtype": "uint8", "image": img(a), "threshold": int(threshold_otsu(a))})
    a = np.concatenate([rng.normal(900, 150, 800), rng.normal(3000, 400, 400)]).clip(0, 65535).astype(np.uint16).reshape(30, 40)
    cases.append({"dtype": "uint16", "image": img(a), "threshold": int(threshold_otsu(a))})
    for k in range(4):
        a = np.concatenate([rng.normal(0.2, 0.05, 900), rng.normal(0.6 + 0.1 * k, 0.1, 300)]).astype(np.float32).reshape(30, 40)
        if k == 3:
            a = (rng.random((30, 40)) * 1000).astype(np.float32)
        cases.append({"dtype": "float32", "image": img(a), "threshold": float(threshold_otsu(a))})
    a = np.round(rng.normal(1000, 300, (30, 40))).astype(np.float32)  # integer-valued floats
    cases.append({"dtype": "float32", "image": img(a), "threshold": float(threshold_otsu(a))})
    save("otsu.json", cases)

    # ---- EDT
    cases = []
    for k, (density, sampling) in enumerate([(0.8, (1.0, 1.0)), (0.95, (1.0, 1.0)), (0.9, (0.5, 0.5)), (0.9, (1.0, 0.7)), (0.3, (1.0, 1.0))]):
        m = rng.random((23, 37)) < density
        if k == 1:
            m = blobs(40, 50, 6, 4, 12)
        d = ndi.distance_transform_edt(m, sampling=sampling)
        cases.append({"mask": img(m), "rowSpacing": sampling[0], "columnSpacing": sampling[1], "distance": img(d)})
    save("edt.json", cases)

    # ---- Gaussian (float32, as the pipeline feeds it)
    cases = []
    a = (rng.random((21, 33)) * 100).astype(np.float32)
    for sigma, mode in [(1.0, "reflect"), (2.5, "reflect"), (0.7, "nearest"), (6.0, "reflect"),
                        (0.3, "reflect"), (0.5, "nearest")]:   # radius 1 and 2 (the one-sweep passes)
        g = ndi.gaussian_filter(a, sigma, mode=mode)
        cases.append({"sigma": sigma, "mode": mode, "image": img(a), "smoothed": img(g)})
    save("gaussian.json", cases)

    # ---- binary morphology (scipy, border_value=0)
    m = blobs(40, 50, 8, 3, 10, noise=0.08)
    ops = []
    cross = ndi.generate_binary_structure(2, 1)
    for n in (1, 2, 3):
        ops.append({"op": "erosion", "element": "diamond", "radius": n, "result": img(ndi.binary_erosion(m, iterations=n))})
        ops.append({"op": "dilation", "element": "diamond", "radius": n, "result": img(ndi.binary_dilation(m, cross, iterations=n))})
    for r in (1, 2, 3, 5):
        ops.append({"op": "erosion", "element": "disk", "radius": r, "result": img(ndi.binary_erosion(m, structure=disk(r)))})
        ops.append({"op": "dilation", "element": "disk", "radius": r, "result": img(ndi.binary_dilation(m, structure=disk(r)))})
        ops.append({"op": "opening", "element": "disk", "radius": r, "result": img(ndi.binary_opening(m, structure=disk(r)))})
        ops.append({"op": "closing", "element": "disk", "radius": r, "result": img(ndi.binary_closing(m, structure=disk(r)))})
    for r in (1, 2):
        sq = np.ones((2 * r + 1, 2 * r + 1), bool)
        ops.append({"op": "erosion", "element": "square", "radius": r, "result": img(ndi.binary_erosion(m, structure=sq))})
        ops.append({"op": "opening", "element": "square", "radius": r, "result": img(ndi.binary_opening(m, structure=sq))})
    ops.append({"op": "fillHoles", "element": "disk", "radius": 0, "result": img(ndi.binary_fill_holes(m))})
    save("morphology.json", {"mask": img(m), "ops": ops})

    # ---- grey morphology (flat-field background)
    g = (rng.random((19, 26)) * 50).astype(np.float32)
    save("grey.json", {"image": img(g), "size": 5,
                       "closing": img(ndi.grey_closing(g, size=(5, 5))), "opening": img(ndi.grey_opening(g, size=(5, 5)))})

    # ---- labelling
    cases = []
    for k in range(3):
        m = rng.random((30, 40)) < (0.45 + 0.1 * k)
        cases.append({"mask": img(m), "four": img(label(m, connectivity=1)), "eight": img(label(m, connectivity=2))})
    save("label.json", cases)

    # ---- peak_local_max on EDTs (ties and plateaus abound)
    cases = []
    for k in range(3):
        m = rods(40, 48, 4, 22, 8) if k < 2 else blobs(40, 48, 5, 4, 10)
        d = ndi.distance_transform_edt(m).astype(np.float32)
        cc, _ = ndi.label(m)
        runs = []
        for md, fpr, use_labels, excl in [(3, 3, True, False), (1, 0, True, False), (4, 0, False, True), (5, 5, True, True)][k % 2::2] + [(2, 2, False, False)]:
            fp = disk(fpr) if fpr > 0 else None
            coords = peak_local_max(d, min_distance=md, footprint=fp, labels=cc if use_labels else None, exclude_border=excl)
            runs.append({"minDistance": md, "footprintDisk": fpr, "useLabels": use_labels, "excludeBorder": excl,
                         "peaks": [[int(c[1]), int(c[0])] for c in coords]})
        cases.append({"image": img(d), "labels": img(cc), "runs": runs})
    a = np.round(rng.random((30, 30)) * 5).astype(np.float32)
    coords = peak_local_max(a, min_distance=2, threshold_rel=0.5, exclude_border=False)
    cases.append({"image": img(a), "labels": None, "runs": [{"minDistance": 2, "footprintDisk": 0, "useLabels": False,
                  "excludeBorder": False, "thresholdRel": 0.5, "peaks": [[int(c[1]), int(c[0])] for c in coords]}]})
    save("peaks.json", cases)

    # ---- h-maxima, reconstruction and the baseline's hmax markers
    cases = []
    for k in range(3):
        m = rods(44, 52, 5, 24, 9) if k != 1 else blobs(44, 52, 6, 4, 11)
        d = ndi.distance_transform_edt(m).astype(np.float32)
        runs = []
        for h in ((0.5, 2.0) if k != 1 else (1.0,)):
            hm = h_maxima(d, np.float32(h))
            rec = reconstruction(d - np.float32(h), d, method="dilation")
            lm = local_maxima(rec, connectivity=2, allow_borders=True)
            markers, _ = ndi.label(lm & m, structure=np.ones((3, 3)))
            runs.append({"h": h, "hmaxima": img(hm), "reconstruction": img(rec.astype(np.float32)), "markers": img(markers)})
        cases.append({"distance": img(d), "mask": img(m), "runs": runs})
    save("hmaxima.json", cases)

    # ---- watershed
    cases = []
    for k in range(3):
        m = rods(40, 48, 5, 24, 9) if k != 2 else blobs(40, 48, 6, 4, 11)
        d = ndi.distance_transform_edt(m).astype(np.float32)
        rec = reconstruction(d - 1.0, d, method="dilation")
        markers, _ = ndi.label(local_maxima(rec, connectivity=2, allow_borders=True) & m, structure=np.ones((3, 3)))
        for conn in (1, 2):
            cases.append({"image": img(-d), "markers": img(markers), "mask": img(m), "connectivity": conn,
                          "labels": img(watershed(-d, markers, connectivity=conn, mask=m))})
    for k in range(4):
        # plateaus and ties everywhere: few grey levels, equal-valued adjacent markers
        a = rng.integers(0, 3 if k < 2 else 6, (28, 36)).astype(np.float32)
        mk = np.zeros(a.shape, np.int32)
        pts = rng.choice(a.size, 12, replace=False)
        mk.flat[pts] = np.arange(1, 13)
        if k == 1:
            mk.flat[pts[:6] + 1] = np.arange(13, 19)  # adjacent markers
        mask = None if k % 2 == 0 else (rng.random(a.shape) < 0.8)
        conn = 1 if k < 2 else 2
        lab = watershed(a, mk, connectivity=conn, mask=mask)
        cases.append({"image": img(a), "markers": img(mk), "mask": None if mask is None else img(mask),
                      "connectivity": conn, "labels": img(lab)})
    a = np.zeros((20, 25), np.float32)  # a flat image: pure (age) tie-breaking
    mk = np.zeros(a.shape, np.int32)
    mk[3, 4] = 1; mk[15, 20] = 2; mk[10, 12] = 3; mk[10, 13] = 4
    cases.append({"image": img(a), "markers": img(mk), "mask": None, "connectivity": 1, "labels": img(watershed(a, mk))})
    save("watershed.json", cases)

    # ---- regionprops
    m = rods(70, 80, 9, 28, 9) | blobs(70, 80, 3, 3, 8)
    lab = label(m, connectivity=1)
    inten = (rng.random(m.shape) * 1000).astype(np.float32)
    props = []
    for r in regionprops(lab, intensity_image=inten):
        props.append({"label": r.label, "area": int(r.area), "centroidY": float(r.centroid[0]), "centroidX": float(r.centroid[1]),
                      "bbox": [int(b) for b in r.bbox], "orientation": float(r.orientation),
                      "major": float(r.axis_major_length), "minor": float(r.axis_minor_length),
                      "perimeter": float(r.perimeter), "mean": float(r.intensity_mean),
                      "min": float(r.intensity_min), "max": float(r.intensity_max)})
    save("regionprops.json", {"labels": img(lab), "intensity": img(inten), "regions": props})

    # ---- the whole recipe: the reference pipeline's segment() (flat-field off: not bit-exact)
    sys.path.insert(0, os.environ.get("REFDIR", "/work/shared/reference"))
    try:
        import pipeline as ref
    except ImportError:
        print("reference pipeline not found; skipping recipe.json")
        return
    cases = []
    for k, markers_kind in enumerate(["hmax", "peak", "hmax"]):
        m = rods(64, 80, 6, 30, 9)
        im = np.where(m, 800.0, 200.0) + rng.normal(0, 40, m.shape)
        if k == 2:
            im = 1000 - im  # dark cells
        im = im.astype(np.float32)
        args = ref.parse_args(["--in", "x", "--out", "y", "--flatfield", "0", "--markers", markers_kind, "--px-um", "0.1"])
        lab, n = ref.segment(im, args, {s: 0.0 for s in ref.STAGES})
        cases.append({"image": img(im), "markers": markers_kind, "pixelSize": 0.1, "labels": img(lab), "count": n})
    save("recipe.json", cases)


if __name__ == "__main__":
    main()
