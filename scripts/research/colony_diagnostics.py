#!/usr/bin/env python3
"""Diagnostics behind docs/colony-method.md §9 (contact edges, septa, overlapping synthetic rods).
Research only; the product is Swift. Needs the reference Python (PY=$(../shared/reference/setup.sh)).

  colony_diagnostics.py poles GT RES              pole-tip and side errors (px) of matched cells, free vs contact
  colony_diagnostics.py contacts IMG GT RES PX    share of pixels labelled in GT and in RES vs distance from the
                                                  contact line of the prototype's watershed
  colony_diagnostics.py pairs IMG GT RES PX       adjacent collinear result pairs: ridge on their contact, GT one or two cells
  colony_diagnostics.py overlap MOVIE_DIR RES     rod overlap (px, from gt_objects.csv) of adjacent GT pairs the
                                                  result merged vs kept apart (celltrack synth movies)

GT and RES are a multi-page TIFF or a folder of per-frame TIFFs; s, the ridge and the watershed come from
colony_prototype.py with default parameters.
"""
import csv
import glob
import os
import sys

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage.measure import regionprops
from skimage.morphology import disk
from skimage.segmentation import watershed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import colony_prototype as cp  # noqa: E402


def frames(path):
    if os.path.isdir(path):
        return [tifffile.imread(f) for f in sorted(glob.glob(os.path.join(path, "*.tif")))]
    a = tifffile.imread(path)
    return [a] if a.ndim == 2 else list(a)


def match(gt, res):
    """(gt label, result label) pairs with IoU > 0.5."""
    g = gt.ravel().astype(np.int64); r = res.ravel().astype(np.int64)
    ng, nr = g.max() + 1, r.max() + 1
    co = np.bincount(g * nr + r, minlength=ng * nr).reshape(ng, nr)
    ag, ar = co.sum(1), co.sum(0)
    out = []
    for gi in range(1, ng):
        if ag[gi] == 0 or nr < 2: continue
        ri = int(np.argmax(co[gi, 1:])) + 1
        inter = co[gi, ri]
        if inter / (ag[gi] + ar[ri] - inter) > 0.5: out.append((gi, ri))
    return out


def stages(img, px):
    """s, ridge_rel, watershed, per-marker core level and the interface, as the prototype computes them."""
    dbg = {}
    cp.segment(img, px, debug=dbg)
    p = cp.DEFAULTS; w = p["width_um"] / px
    s = dbg["s"]; markers = dbg["markers"]
    ws = watershed(s, markers, mask=dbg["fg"])
    n = int(markers.max())
    core = np.zeros(n + 1, np.float32)
    core[1:] = np.bincount(markers.ravel(), weights=s.ravel(), minlength=n + 1)[1:] / np.maximum(np.bincount(markers.ravel(), minlength=n + 1)[1:], 1)
    big = np.int32(2**30)
    hi = ndi.maximum_filter(ws, size=3); lo = ndi.minimum_filter(np.where(ws > 0, ws, big), size=3)
    itf = (ws > 0) & (lo < big) & (hi != lo)
    return dict(s=s, rr=dbg["ridge_rel"], ws=ws, core=core, itf=itf, ri=max(1, int(round(p["r_interface"] * w))))


def cmd_poles(gt_path, res_path):
    out = {"free": [], "contact": []}; sides = {"free": [], "contact": []}
    for G, R in zip(frames(gt_path), frames(res_path)):
        G = G.astype(np.int32); R = R.astype(np.int32)
        pg = {p.label: p for p in regionprops(G)}
        for g, r in match(G, R):
            p = pg[g]; cy, cx = p.centroid; c, s = np.cos(p.orientation), np.sin(p.orientation)
            ys, xs = np.nonzero(G == g); t = (ys - cy) * c + (xs - cx) * s; u = -(ys - cy) * s + (xs - cx) * c
            yr, xr = np.nonzero(R == r); tr = (yr - cy) * c + (xr - cx) * s; ur = -(yr - cy) * s + (xr - cx) * c
            W = p.axis_minor_length / 1.155
            oth = (G > 0) & (G != g)
            dist = ndi.distance_transform_edt(~oth) if oth.any() else None
            for coord, other, cr, ocr, store in ((t, u, tr, ur, out), (u, t, ur, tr, sides)):
                lim = W / 4 if store is out else W / 3
                for sign in (1, -1):
                    sel, selr = np.abs(other) < lim, np.abs(ocr) < lim
                    if not sel.any() or not selr.any(): continue
                    k = np.argmax(np.where(sel, sign * coord, -np.inf))
                    kind = "contact" if dist is not None and dist[ys[k], xs[k]] < 6 else "free"
                    store[kind].append((sign * cr[selr]).max() - (sign * coord[sel]).max())
    for k in out:
        a, b = np.array(out[k]), np.array(sides[k])
        print(f"{k:8s} poles n {len(a):4d} median {np.median(a):+.2f} px | sides n {len(b):4d} median {np.median(b):+.2f} px (result - GT, + = longer/wider)")


def cmd_contacts(img_path, gt_path, res_path, px):
    dist_tot = np.zeros(10); dist_gt = np.zeros(10); dist_res = np.zeros(10)
    for I, G, R in zip(frames(img_path), frames(gt_path), frames(res_path)):
        st = stages(I, px); s, ws, itf = st["s"], st["ws"], st["itf"]
        core = st["core"][ws]
        d = ndi.distance_transform_edt(~itf)
        zone = (d <= 6) & (ws > 0) & (s < cp.DEFAULTS["trim"] * core)
        b = np.clip(np.round(d[zone]).astype(int), 0, 9)
        np.add.at(dist_tot, b, 1); np.add.at(dist_gt, b, G[zone] > 0); np.add.at(dist_res, b, R[zone] > 0)
    print("distance from the contact line (px):  " + "  ".join(f"{k}" .rjust(5) for k in range(7)))
    print("  share labelled in GT               " + "  ".join(f"{dist_gt[k] / max(dist_tot[k], 1):5.2f}" for k in range(7)))
    print("  share labelled in RES              " + "  ".join(f"{dist_res[k] / max(dist_tot[k], 1):5.2f}" for k in range(7)))


def cmd_pairs(img_path, gt_path, res_path, px):
    for f, (I, G, R) in enumerate(zip(frames(img_path), frames(gt_path), frames(res_path))):
        G = G.astype(int); R = R.astype(int)
        rr = stages(I, px)["rr"]
        props = {p.label: p for p in regionprops(R)}
        for a in props:
            A = R == a; dA = ndi.binary_dilation(A, iterations=3)
            for b in np.unique(R[dA & (R != a) & (R > 0)]):
                if b <= a: continue
                B = R == b; line = dA & ndi.binary_dilation(B, iterations=3) & ~A & ~B
                if line.sum() < 3: continue
                pa, pb = props[a], props[b]
                ua = np.array([np.cos(pa.orientation), np.sin(pa.orientation)]); ub = np.array([np.cos(pb.orientation), np.sin(pb.orientation)])
                d = np.subtract(pb.centroid, pa.centroid); d /= np.linalg.norm(d)
                align, along = abs(ua @ ub), min(abs(ua @ d), abs(ub @ d))
                if align < 0.9 or along < 0.9: continue   # collinear, pole to pole
                same = np.bincount(G[A]).argmax() == np.bincount(G[B]).argmax()
                print(f"frame {f:2d} objects {a}-{b}: median ridge/darkness on the contact {np.median(rr[line]):.3f}  GT: {'one cell' if same else 'two cells'}")


def cmd_overlap(movie, res_path, px=0.065):
    def seg_dist(p, q):
        def pt(px_, py_, ax, ay, bx, by):
            dx, dy = bx - ax, by - ay; L = dx * dx + dy * dy
            t = 0 if L == 0 else max(0, min(1, ((px_ - ax) * dx + (py_ - ay) * dy) / L))
            return np.hypot(px_ - ax - t * dx, py_ - ay - t * dy)
        return min(pt(*p[:2], *q), pt(*p[2:], *q), pt(*q[:2], *p), pt(*q[2:], *p))
    rows = list(csv.DictReader(open(os.path.join(movie, "gt_objects.csv"))))
    G = frames(os.path.join(movie, "01_GT", "SEG")); R = frames(res_path)
    merged, apart = [], []
    for f, (g, r) in enumerate(zip(G, R)):
        g = g.astype(int); r = r.astype(int); geo = {}
        for row in rows:
            if int(row["frame"]) != f: continue
            x, y, a = float(row["center_x_px"]), float(row["center_y_px"]), float(row["angle_rad"])
            L, W = float(row["length_um"]) / px, float(row["width_um"]) / px; h = (L - W) / 2
            geo[int(row["track_id"])] = ((x - h * np.cos(a), y - h * np.sin(a), x + h * np.cos(a), y + h * np.sin(a)), W / 2)
        for a in np.unique(g)[1:]:
            A = g == a
            for b in np.unique(g[ndi.binary_dilation(A, iterations=3) & (g > 0) & (g != a)]):
                if b <= a or a not in geo or b not in geo: continue
                ov = geo[a][1] + geo[b][1] - seg_dist(geo[a][0], geo[b][0])
                ra, rb = np.bincount(r[A]).argmax(), np.bincount(r[g == b]).argmax()
                (merged if ra == rb and ra > 0 else apart).append(ov)
    for name, v in (("merged by the result", merged), ("kept apart", apart)):
        v = np.array(v)
        if len(v): print(f"adjacent GT pairs {name}: {len(v)}, rod overlap px median {np.median(v):.2f}, p90 {np.percentile(v, 90):.2f}, share > 1.7 px (drawn bodies overlap: no contact line) {np.mean(v > 1.7):.2f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "poles": cmd_poles(*args)
    elif cmd == "contacts": cmd_contacts(*args[:3], float(args[3]))
    elif cmd == "pairs": cmd_pairs(*args[:3], float(args[3]))
    elif cmd == "overlap": cmd_overlap(*args)
    else: raise SystemExit(__doc__)
