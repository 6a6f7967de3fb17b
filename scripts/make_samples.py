#!/usr/bin/env python3
"""Writes the Python-made parts of Samples/ (run by scripts/make-samples.sh):

  Samples/toy/disks.tif           the seed's toy: 100x100 uint8 binary canvas, disks at
                                  (20,20) r10, (35,35) r15, (60,60) r8 (first two overlap)
  Samples/toy/disks_speckled.tif  the same, each pixel set to 1 with probability 0.1 (seeded)
  Samples/ecoli-trpL-crop/        8 frames x 256x256 of ../shared/data/ecoli-trpL around the
                                  colony (img.tif, Deflate) and the matching gt_masks.tif

Needs numpy, scipy, scikit-image, tifffile, imagecodecs (PY=$(/work/shared/reference/setup.sh)).
It also prints what the toy should give (connected components, objects after the seed's
opening + EDT + watershed), which Samples/README.md states.
"""
import os
import sys

import numpy as np
import tifffile
from scipy import ndimage as ndi

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Samples")
DATA = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/ecoli-trpL"


def toy():
    out = os.path.join(ROOT, "toy")
    os.makedirs(out, exist_ok=True)
    yy, xx = np.mgrid[0:100, 0:100]
    canvas = np.zeros((100, 100), np.uint8)
    for (cy, cx, r) in [(20, 20, 10), (35, 35, 15), (60, 60, 8)]:
        canvas[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
    rng = np.random.default_rng(2024)
    speckled = canvas.copy()
    speckled[rng.random(canvas.shape) < 0.1] = 1
    tifffile.imwrite(os.path.join(out, "disks.tif"), canvas, compression=None)
    tifffile.imwrite(os.path.join(out, "disks_speckled.tif"), speckled, compression=None)

    from skimage.morphology import disk
    from skimage.segmentation import watershed
    from skimage.feature import peak_local_max

    def objects(mask):
        dist = ndi.distance_transform_edt(mask)
        cc, _ = ndi.label(mask)
        peaks = peak_local_max(dist, min_distance=5, labels=cc)
        markers = np.zeros_like(cc)
        for i, (y, x) in enumerate(peaks, 1):
            markers[y, x] = i
        lab = watershed(-dist, markers, mask=mask)
        return len(np.unique(lab)) - 1

    print("toy: foreground", int(canvas.sum()), "px; components", ndi.label(canvas)[1], "; objects", objects(canvas))
    opened = ndi.binary_opening(speckled.astype(bool), structure=disk(5))
    print("speckled: components", ndi.label(speckled)[1], "; after opening r5: components", ndi.label(opened)[1],
          "objects", objects(opened), "; pixels differing from the clean toy", int((opened != canvas.astype(bool)).sum()))


def crop():
    out = os.path.join(ROOT, "ecoli-trpL-crop")
    os.makedirs(out, exist_ok=True)
    img = tifffile.imread(os.path.join(DATA, "img.tif"))
    gt = tifffile.imread(os.path.join(DATA, "gt_masks.tif"))
    first, count, size = 11, 8, 256
    frames = slice(first, first + count)
    ys, xs = np.nonzero(gt[frames].max(axis=0))
    cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    y0 = int(np.clip(cy - size // 2, 0, img.shape[1] - size))
    x0 = int(np.clip(cx - size // 2, 0, img.shape[2] - size))
    sub = np.ascontiguousarray(img[frames, y0:y0 + size, x0:x0 + size])
    sub_gt = np.ascontiguousarray(gt[frames, y0:y0 + size, x0:x0 + size])
    lost = [int(len(np.unique(gt[t])) - len(np.unique(sub_gt[i]))) for i, t in enumerate(range(first, first + count))]
    tifffile.imwrite(os.path.join(out, "img.tif"), sub, compression="zlib", imagej=False)
    tifffile.imwrite(os.path.join(out, "gt_masks.tif"), sub_gt, compression="zlib", imagej=False)
    print(f"crop: frames {first}..{first + count - 1}, rows {y0}..{y0 + size - 1}, cols {x0}..{x0 + size - 1}; "
          f"cells per frame {[int(len(np.unique(f)) - 1) for f in sub_gt]}; GT cells cut off {lost}")


if __name__ == "__main__":
    toy()
    crop()
