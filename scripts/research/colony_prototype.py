#!/usr/bin/env python3
"""Classical segmentation of touching rod-shaped bacteria in phase contrast ("--method colony"),
research prototype for issue 5.  Python is for research only; the product is the Swift port.

Every step uses an operation with a clear Swift counterpart in the Segmentation module:
median (histogram / nth-element), separable Gaussian and Gaussian derivatives, a square min filter
(separable), EDT, connected-component labelling, marker watershed with mask, per-label means (bincount).
One physical scale drives every size: the expected cell width  w = width_um / pixel_size  (px).
All thresholds are dimensionless (relative to the background texture or to the local cell contrast).
Deterministic: no randomness; ties in the watershed follow skimage's (value, age) order.

Usage:
  colony_prototype.py --in STACK_OR_DIR_OR_FILE --out DIR --pixel-size UM [--polarity dark|bright]
writes DIR/mask###.tif (uint16 labels) and prints per-frame seconds.
"""
from __future__ import annotations

import argparse
import glob
import os
import time

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage.morphology import disk
from skimage.segmentation import watershed

# Defaults.  Sizes are fractions of the cell width w (px); thresholds are dimensionless (in units of the
# background spread, or relative to the local cell darkness).
DEFAULTS = dict(
    width_um=1.0,       # expected cell width (E. coli ~1 um); w = width_um / pixel_size  (15.4 px at 0.065 um/px)
    sigma_smooth=1/16,  # Gaussian pre-smoothing, x w (~1 px): noise only, keeps the 3-5 px gaps between cells
    t_fg=3.0,           # foreground: darker than the background level by t_fg background sigmas
    r_open=1/8,         # binary opening radius, x w: removes 1-2 px specks and hairline bridges
    sigma_ridge=1/8,    # Hessian scale for the bright lines between cells, x w (~ the gap half-width)
    darkness_win=2.0,   # side (x w) of the square min filter giving the local cell darkness that normalises the ridge
    t_ridge=0.035,      # boundary pixel: ridge / local darkness >= t_ridge (cuts the foreground into cell cores)
    r_core=1/6,         # markers: cut foreground eroded by r_core x w (EDT > r_core w) -> one core per cell
    min_core=0.05,      # markers smaller than min_core x w^2 px are dropped (noise cores)
    trim=0.2,           # edge: keep pixels darker than trim x the mean level of the cell's core
    t_gap=0.05,         # gap: near another cell (r_interface), pixels with ridge / darkness >= t_gap are background
    r_interface=0.25,   # width (x w) of the zone around cell-cell contacts where the gap test applies
    min_area=1.0,       # objects smaller than min_area x w^2 px are dropped (debris, dark dots)
    t_obj=6.0,          # objects whose mean level is not darker than t_obj background sigmas are dropped (texture)
    bg_win=0.0,         # OPTIONAL local background (closing of min(s,0) with a bg_win x w square); 0 = off (see doc)
    flat_win=0.0,       # OPTIONAL flat field (closing on a 4x-binned copy, window flat_win x w); 0 = off (see doc)
)


def gaussian_hessian_min_eig(img, sigma):
    """Smallest eigenvalue of the Hessian of the Gaussian-smoothed image (separable Gaussian derivative
    filters d2/dx2, d2/dy2, d2/dxdy; closed-form 2x2 eigenvalue).  Strongly negative on thin BRIGHT lines:
    the halo lines between touching cells in phase contrast."""
    hxx = ndi.gaussian_filter(img, sigma, order=(0, 2))
    hyy = ndi.gaussian_filter(img, sigma, order=(2, 0))
    hxy = ndi.gaussian_filter(img, sigma, order=(1, 1))
    half_trace = 0.5 * (hxx + hyy)
    root = np.sqrt((0.5 * (hxx - hyy)) ** 2 + hxy ** 2)
    return half_trace - root


def grey_step(img):
    """Step between the grey levels a frame holds when its values are whole numbers in 0..65535 (the Swift
    `ColonySegmenter.greyStep`): the median gap (upper middle) between consecutive values that each hold at
    least 1 % of the most frequent value's pixels; 0 otherwise.  (Swift reads every statisticsRowStep-th row
    of frames over 4 MP; this reads all.)"""
    a = np.asarray(img, dtype=np.float64).ravel()
    if not (np.all(a >= 0) and np.all(a <= 65535) and np.all(a == np.floor(a))):
        return 0.0
    counts = np.bincount(a.astype(np.int64), minlength=65536)
    kept = np.nonzero((counts > 0) & (counts * 100 >= counts.max()))[0]
    gaps = np.sort(np.diff(kept))
    return float(gaps[len(gaps) // 2]) if len(gaps) else 1.0


def background_peak(s, bins=512, step=0.0):
    """Background level and spread from the histogram peak of the smoothed frame.
    Level = the fullest bin at or above the median bin (after a 5-bin box smoothing): for dark cells the
    background is the upper population, even when cells cover most of the frame.  When that is the median's
    bin itself, the median lies on the upper flank of its peak (halos pushed it up): the top of that peak.  Spread = the NARROWER of
    the two half-widths at half maximum / 1.1774 (= sigma of a Gaussian): cells widen the lower side, halos
    and illumination gradients the upper side, never both narrower than the true peak."""
    lo, hi = np.percentile(s, [0.5, 99.5])
    hist, edges = np.histogram(s, bins=bins, range=(lo, hi))
    hist = np.convolve(hist, np.ones(5) / 5, mode="same")
    med = int(np.searchsorted(edges, np.median(s), side="right")) - 1
    med = min(max(med, 0), bins - 1)
    k = med + int(np.argmax(hist[med:]))              # first maximal bin at or above the median
    if k == med:   # nothing above is fuller: the median is on the upper flank of its peak; climb to the top
        while k > 0 and hist[k - 1] > hist[k]:
            k -= 1
    half = hist[k] / 2
    width = edges[1] - edges[0]
    # with a grey step wider than a bin (8-bit frames, little smoothing: a comb of one tooth per level), the
    # walk goes on past a bin at or below half while a bin above half lies within one step
    step = step if width < 64 else 0.0     # Swift: widestGreyStep (16-bit bins skip the step's pass)
    reach = int(np.ceil(step / width)) if step > width else 1

    def goes_on(b, d):
        return any(hist[b + d * t] > half for t in range(reach) if 0 <= b + d * t < bins)
    j = k
    while j < bins - 1 and goes_on(j, 1):
        j += 1
    i = k
    while i > 0 and goes_on(i, -1):
        i -= 1
    level = edges[k] + width / 2
    half_width = min(j - k, k - i)
    if reach > 1 and ((j - k < reach) != (k - i < reach)):   # one side within the peak's own tooth: unmeasurable
        half_width = max(j - k, k - i)
    return float(level), float(max(half_width * width / 1.1774, width))


def drop_small(lab, min_px):
    """Remove labels with fewer than min_px pixels and renumber 1..n in label order (deterministic)."""
    counts = np.bincount(lab.ravel())
    keep = counts >= min_px
    keep[0] = False
    lut = np.zeros(counts.size, np.int32)
    lut[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return lut[lab]


def segment(img, pixel_size_um, params=None, polarity="dark", timings=None, debug=None):
    """Label image (int32, 0 = background) of one 2-D frame."""
    p = dict(DEFAULTS, **(params or {}))
    T = timings if timings is not None else {}
    tick = [time.perf_counter()]

    def lap(name):
        now = time.perf_counter(); T[name] = T.get(name, 0.0) + now - tick[0]; tick[0] = now

    w = p["width_um"] / pixel_size_um
    im = img.astype(np.float32)
    if polarity == "bright":          # fluorescence / bright cells: same machinery on the negative
        im = -im

    # 1. Normalise.  Smooth lightly (noise), then express the frame in units of the background: level and
    #    spread from the histogram peak (background_peak), so no absolute grey values and no dependence on
    #    how much of the frame the colony covers.  The spread includes the low-frequency texture of the
    #    agarose/illumination, which is what the foreground threshold must beat.
    s = ndi.gaussian_filter(im, p["sigma_smooth"] * w)
    if p["flat_win"] > 0:
        # OPTIONAL flat field: grey closing (removes dark cells) on a 4x block-mean copy with a window of
        # flat_win*w, Gaussian, bilinear upsampling; subtracted, so illumination gradients and halo-lit dense
        # regions do not widen the background peak.  Off by default: a compact colony wider than the window
        # survives the closing and is subtracted away (trpL: SEG 0.74 at 12 w).
        f = 4
        H, W = s.shape
        Hc, Wc = H // f * f, W // f * f
        small = s[:Hc, :Wc].reshape(Hc // f, f, Wc // f, f).mean(axis=(1, 3))
        k = max(3, int(round(p["flat_win"] * w / f)) | 1)
        flat = ndi.gaussian_filter(ndi.grey_closing(small, size=(k, k)), k / 4, mode="nearest")
        flat = ndi.zoom(flat, (H / flat.shape[0], W / flat.shape[1]), order=1, mode="nearest", grid_mode=True)[:H, :W]
        s = s - flat
    bg, texture = background_peak(s, step=grey_step(img))
    s_global = (s - bg) / max(texture, 1e-6)
    if p["bg_win"] > 0:
        # OPTIONAL local background: grey closing with a square wider than a cell (separable max then min
        # filter) fills every dark object narrower than the window; the image is clipped at the background
        # level first so the bright halo cannot raise the reference; a Gaussian removes the closing's steps.
        side = int(round(p["bg_win"] * w)) | 1
        clipped = np.minimum(s_global, 0.0)
        local = ndi.minimum_filter(ndi.maximum_filter(clipped, size=side), size=side)
        local = ndi.gaussian_filter(local, side / 4)
        s = s_global - local
    else:
        s = s_global
    lap("normalise")

    # 2. Foreground: clearly darker than the background, then a small opening (specks, 1-px bridges).
    fg = s < -p["t_fg"]
    fg = ndi.binary_opening(fg, structure=disk(max(1, int(round(p["r_open"] * w)))))
    lap("foreground")

    # 3. Boundary ridges: bright thin lines (halo between touching cells) = negative smallest Hessian
    #    eigenvalue at a scale ~ the gap, scale-normalised (x sigma^2).  Divided by the local darkness of
    #    the cells (square min filter over 2w, separable) so that the pale cells inside a colony and the
    #    very dark isolated ones use the same relative threshold.
    sr = p["sigma_ridge"] * w
    ridge = np.maximum(-gaussian_hessian_min_eig(s_global, sr), 0.0) * sr * sr
    win = int(round(p["darkness_win"] * w)) | 1
    darkness = np.maximum(-ndi.minimum_filter(s_global, size=win), p["t_fg"])
    ridge_rel = ridge / darkness
    lap("ridge")

    # 4. Markers: foreground minus boundary ridges, eroded by r_core*w (via the EDT) so that cells touching
    #    along a weak stretch of boundary keep separate cores; tiny cores are noise.
    cut = fg & (ridge_rel < p["t_ridge"])
    dist = ndi.distance_transform_edt(cut)
    markers, _ = ndi.label(dist > p["r_core"] * w)
    markers = drop_small(markers, p["min_core"] * w * w)
    lap("markers")

    # 5. Watershed on the normalised intensity inside the foreground: touching cells meet on the crest of
    #    the bright line between them (the intensity maximum), not on an EDT saddle.
    lab = watershed(s, markers, mask=fg)
    lap("watershed")

    # 6. Edge placement per cell: keep pixels darker than trim x the mean level of the cell's core
    #    (a relative edge, independent of contrast) and, within r_interface*w of a contact with another
    #    cell, not on the bright gap line (annotators leave the 3-5 px gap between touching cells as
    #    background; the outer edge is left to the trim test because the halo ridge bleeds inwards).
    #    Then drop debris smaller than min_area*w^2.
    n = int(markers.max())
    core_sum = np.bincount(markers.ravel(), weights=s.ravel(), minlength=n + 1)
    core_cnt = np.bincount(markers.ravel(), minlength=n + 1)
    core_level = np.zeros(n + 1, np.float32)
    core_level[1:] = core_sum[1:] / np.maximum(core_cnt[1:], 1)
    big = np.int32(2**30)
    lab_hi = ndi.maximum_filter(lab, size=3)
    lab_lo = ndi.minimum_filter(np.where(lab > 0, lab, big), size=3)
    interface = (lab > 0) & (lab_lo < big) & (lab_hi != lab_lo)
    if p["r_interface"] > 0:
        interface = ndi.binary_dilation(interface, structure=disk(max(1, int(round(p["r_interface"] * w)))))
    else:
        interface = np.ones_like(interface)
    keep = (s < p["trim"] * core_level[lab]) & ~(interface & (ridge_rel >= p["t_gap"]))
    lab = np.where(keep, lab, 0)
    lab = drop_small(lab, p["min_area"] * w * w)
    # 7. Objects must be clearly darker than the background on average (t_obj texture sigmas): removes
    #    faint texture blobs that passed the pixel threshold.
    n = int(lab.max())
    if n:
        obj_mean = np.bincount(lab.ravel(), weights=s.ravel(), minlength=n + 1)[1:] / np.bincount(lab.ravel(), minlength=n + 1)[1:]
        faint = np.concatenate([[False], obj_mean > -p["t_obj"]])
        lab = drop_small(np.where(faint[lab], 0, lab), 1)
    lap("edges+filter")
    if debug is not None:
        debug.update(s=s, ridge_rel=ridge_rel, fg=fg, cut=cut, markers=markers)
    return lab


def read_frames(path):
    """multi-page TIFF, a single 2-D TIFF/PNG, or a folder of *.tif (sorted)."""
    if os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, "*.tif")) + glob.glob(os.path.join(path, "*.tiff")))
        return [tifffile.imread(f) for f in files]
    if path.lower().endswith(".png"):
        from skimage.io import imread
        a = imread(path)
        if a.ndim == 3:  # RGB(A) -> grey
            a = a[..., :3].astype(np.float32).mean(-1)
        return [a]
    a = tifffile.imread(path)
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        a = a[..., :3].astype(np.float32).mean(-1)
    return [a] if a.ndim == 2 else [a[i] for i in range(a.shape[0])]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pixel-size", type=float, required=True, help="um per px")
    ap.add_argument("--polarity", choices=("dark", "bright"), default="dark")
    ap.add_argument("--set", action="append", default=[], help="override a default, e.g. --set t_ridge=0.04")
    a = ap.parse_args()
    params = {}
    for kv in a.set:
        k, v = kv.split("=")
        if k not in DEFAULTS:
            raise SystemExit(f"unknown parameter {k}")
        params[k] = float(v)
    os.makedirs(a.out, exist_ok=True)
    T = {}
    frames = read_frames(a.inp)
    t0 = time.perf_counter()
    for i, fr in enumerate(frames):
        lab = segment(fr, a.pixel_size, params, a.polarity, T)
        tifffile.imwrite(os.path.join(a.out, f"mask{i:03d}.tif"), lab.astype(np.uint16))
    total = time.perf_counter() - t0
    n = len(frames)
    print(f"frames {n}  {frames[0].shape}  seconds/frame {total / n:.3f}  stages(s/frame): "
          + " ".join(f"{k}={v / n:.3f}" for k, v in T.items()))


if __name__ == "__main__":
    main()
