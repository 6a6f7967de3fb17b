#!/usr/bin/env python3
"""Orientation check of the colony prototype on the Omnipose test frames (../shared/data/odd-inputs/omnipose).
They have no truth, only model masks (masks/*_cp_masks.tif, Cellpose/Omnipose output), so the numbers
say "agrees with a neural network", nothing more.  w is taken from the model masks' median width
(minor axis / 1.155), i.e. pixel size = 1 um / w.  SEG/F1 use the same maths as seg_score.py.
usage: colony_odd_inputs.py [--set k=v ...] [--png DIR]   (writes overlays if --png is given)"""
import argparse, os, sys
import numpy as np, tifffile
from skimage.measure import regionprops
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import colony_prototype as cp  # noqa: E402

ROOT = "/work/shared/data/odd-inputs/omnipose/docs/test_files/"
NAMES = ["ec_5I_t141xy5c1.tif", "e1t1_crop.tif", "caulo_15.tif", "Sample000193.png", "Sample000252.png",
         "Sample000306.tiff"]


def score(g, r):
    g = g.astype(np.int64); r = r.astype(np.int64)
    gl = np.unique(g); gl = gl[gl > 0]; rl = np.unique(r); rl = rl[rl > 0]
    ga = {a: int((g == a).sum()) for a in gl}; ra = {b: int((r == b).sum()) for b in rl}
    js, tp = [], 0
    for a in gl:
        v, c = np.unique(r[g == a], return_counts=True)
        k = int(np.argmax(np.where(v > 0, c, -1)))
        if v[k] > 0 and c[k] > 0.5 * ga[a]:
            iou = c[k] / (ga[a] + ra[v[k]] - c[k]); js.append(iou); tp += iou > 0.5
        else:
            js.append(0.0)
    p = tp / max(len(rl), 1); rc = tp / max(len(gl), 1)
    return float(np.mean(js)), 2 * p * rc / max(p + rc, 1e-9), len(gl), len(rl)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--png")
    a = ap.parse_args()
    params = {k: float(v) for k, v in (kv.split("=") for kv in a.set)}
    for name in NAMES:
        img = cp.read_frames(ROOT + name)[0]
        model = tifffile.imread(ROOT + "masks/" + name.rsplit(".", 1)[0] + "_cp_masks.tif")
        w = float(np.median([r.axis_minor_length for r in regionprops(model.astype(np.int32))]) / 1.155)
        lab = cp.segment(img, 1.0 / w, params)
        seg, f1, ng, nr = score(model, lab)
        print(f"{name:24s} w={w:5.1f}px  vs model masks: SEG {seg:.3f} F1 {f1:.3f}  model {ng} / result {nr}")
        if a.png:
            from skimage.io import imsave
            from skimage.segmentation import find_boundaries
            im = img.astype(float); lo, hi = np.percentile(im, [0.5, 99.5])
            rgb = np.stack([np.clip((im - lo) / (hi - lo), 0, 1)] * 3, -1)
            rgb[find_boundaries(model, mode="inner")] = [1, 0.2, 0.2]
            rgb[find_boundaries(lab, mode="inner")] = [0.2, 1, 0.2]
            os.makedirs(a.png, exist_ok=True)
            imsave(os.path.join(a.png, name.rsplit(".", 1)[0] + ".png"), (rgb * 255).astype(np.uint8))


if __name__ == "__main__":
    main()
