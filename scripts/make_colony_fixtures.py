#!/usr/bin/env python3
"""Fixture for the colony tests (SegmentationTests/ColonyTests.swift), computed once.

Run:  PY=$(../shared/reference/setup.sh); $PY scripts/make_colony_fixtures.py
Writes Tests/SegmentationTests/Fixtures/colony_trpl.json: a 128x128 crop of frame 2 of
Samples/ecoli-trpL-crop (itself a crop of ecoli-trpL; licence in Samples/ecoli-trpL-crop/SOURCE.txt
and Fixtures/colony_trpl.SOURCE.txt), its ground-truth masks, the colony prototype's labels at
0.065 um/px (scripts/research/colony_prototype.py, default parameters) and the prototype's SEG on
the crop (mean Jaccard of GT objects matched > 50 %).
"""
import base64
import json
import os
import sys

import numpy as np
import tifffile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "research"))
import colony_prototype as cp  # noqa: E402

ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "Tests", "SegmentationTests", "Fixtures", "colony_trpl.json")
FRAME, ROWS, COLS = 2, (64, 192), (96, 224)


def img(a, code):
    a = np.ascontiguousarray(np.asarray(a).astype("<" + code))
    return {"width": int(a.shape[1]), "height": int(a.shape[0]), "dtype": code,
            "b64": base64.b64encode(a.tobytes()).decode()}


def relabel(a):
    """Labels 1..n in raster order of first pixel."""
    out = np.zeros(a.shape, np.int32)
    flat = a.ravel()
    _, first = np.unique(flat, return_index=True)
    order = [v for _, v in sorted((i, flat[i]) for i in first if flat[i] != 0)]
    for k, v in enumerate(order, 1):
        out[a == v] = k
    return out


def seg(gt, res):
    scores = []
    for g in range(1, gt.max() + 1):
        m = gt == g
        ids, counts = np.unique(res[m], return_counts=True)
        best = 0.0
        for r, c in zip(ids, counts):
            if r != 0 and c > 0.5 * m.sum():
                best = c / np.logical_or(m, res == r).sum()
        scores.append(best)
    return float(np.mean(scores))


def main():
    im = tifffile.imread(os.path.join(ROOT, "Samples", "ecoli-trpL-crop", "img.tif"))[FRAME]
    gt = tifffile.imread(os.path.join(ROOT, "Samples", "ecoli-trpL-crop", "gt_masks.tif"))[FRAME]
    sl = (slice(*ROWS), slice(*COLS))
    im, gt = im[sl], relabel(gt[sl])
    lab = relabel(cp.segment(im, 0.065))
    s = seg(gt, lab)
    obj = {"image": img(im, "u2"), "gt": img(gt, "u1"), "prototype": img(lab, "u1"),
           "pixel_size": 0.065, "prototype_seg": round(s, 6),
           "gt_objects": int(gt.max()), "prototype_objects": int(lab.max())}
    with open(OUT, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(OUT, os.path.getsize(OUT), "bytes; prototype SEG", round(s, 4), "objects", lab.max(), "gt", gt.max())


if __name__ == "__main__":
    main()
