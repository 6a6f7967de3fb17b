#!/usr/bin/env python3
"""Relabel CTC ground-truth masks at random, independently per frame, so no identity leaks
into a tracker that is given them.

    relabel_masks.py SRC OUT [--seed 0]

SRC: a folder of label TIFFs (e.g. 01_GT/TRA with man_track###.tif) or one multi-page stack.
OUT: folder receiving mask###.tif (uint16), one per frame, labels a random permutation of
1..n per frame (n = objects in that frame). Uses the reference Python (tifffile, numpy).
"""
import argparse, os, re, sys
import numpy as np
import tifffile


def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if os.path.isdir(a.src):
        names = sorted((n for n in os.listdir(a.src) if n.lower().endswith((".tif", ".tiff"))), key=natural_key)
        frames = [tifffile.imread(os.path.join(a.src, n)) for n in names]
    else:
        stack = tifffile.imread(a.src)
        frames = [stack[i] for i in range(stack.shape[0])]
    if not frames:
        sys.exit("no TIFF frames in " + a.src)
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    digits = max(3, len(str(len(frames) - 1)))
    for t, f in enumerate(frames):
        ids = np.unique(f)
        ids = ids[ids > 0]
        lut = np.zeros(int(f.max()) + 1, dtype=np.uint32)
        lut[ids] = rng.permutation(len(ids)) + 1
        out = lut[f].astype(np.uint16 if len(ids) < 65536 else np.uint32)
        tifffile.imwrite(os.path.join(a.out, f"mask{t:0{digits}d}.tif"), out, compression="zlib")
    print(f"relabelled {len(frames)} frames into {a.out}")


if __name__ == "__main__":
    main()
