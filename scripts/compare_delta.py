#!/usr/bin/env python3
"""Compare celltrack's divisions with DeLTA's mother/daughter pairs on the mother-machine test
movie shipped with DeLTA (shared/data/mothermachine-delta).

    compare_delta.py CELLTRACK_BINARY DATA_DIR WORK_DIR [--config FILE]

For every chamber (roiNN_labels.tif, DeLTA's own tracked labels, 10 frames) the labels are
relabelled at random per frame, linked by `celltrack track`, and each DeLTA division event
(daughter d of mother m first seen at frame t, with m present at t-1 and t) is looked up in the
result: it agrees when the objects of d and m at t are the two daughters of the track holding m
at t-1. Prints per-position and total agreement (recall of DeLTA's events, precision of ours).
"""
import csv, os, subprocess, sys
import numpy as np
import tifffile


def majority(labels_a, labels_b, value):
    """Label of labels_b covering most pixels of value in labels_a (0 if none)."""
    v = labels_b[labels_a == value]
    v = v[v > 0]
    if v.size == 0:
        return 0
    ids, counts = np.unique(v, return_counts=True)
    return int(ids[np.argmax(counts)])


def main():
    binary, data, work = sys.argv[1:4]
    extra = sys.argv[4:]   # e.g. --config FILE
    rng = np.random.default_rng(0)
    totals = dict(delta=0, agree=0, ours=0, ours_ok=0)
    for pos in ("000001", "000002"):
        rows = list(csv.DictReader(open(os.path.join(data, "derived", f"movie_mothermachine_tif_Position{pos}_cells.csv"))))
        roi_dir = os.path.join(data, "derived", f"mothermachine_Position{pos}_rois")
        rois = sorted({r["roi"] for r in rows})
        stats = dict(delta=0, agree=0, ours=0, ours_ok=0)
        for roi in rois:
            stack = tifffile.imread(os.path.join(roi_dir, f"{roi}_labels.tif"))
            masks = os.path.join(work, pos, roi, "masks")
            res = os.path.join(work, pos, roi, "res")
            os.makedirs(masks, exist_ok=True)
            for t in range(stack.shape[0]):
                f = stack[t]
                ids = np.unique(f); ids = ids[ids > 0]
                lut = np.zeros(int(f.max()) + 1, dtype=np.uint16)
                lut[ids] = rng.permutation(len(ids)) + 1
                tifffile.imwrite(os.path.join(masks, f"mask{t:03d}.tif"), lut[f])
            subprocess.run([binary, "track", "--masks", masks, "--db", res + ".sqlite", "--quiet", "--ctc-out", res, "--interval", "5"] + extra,
                           check=True, stdout=subprocess.DEVNULL)
            ours = [tifffile.imread(os.path.join(res, f"mask{t:03d}.tif")) for t in range(stack.shape[0])]
            parent = {}
            children = {}
            begin = {}
            for line in open(os.path.join(res, "res_track.txt")):
                L, B, E, P = map(int, line.split())
                parent[L] = P; begin[L] = B
                if P:
                    children.setdefault(P, []).append(L)
            # DeLTA events (frames are 1-based in the csv).
            events = set()
            for r in rows:
                if r["roi"] != roi or r["mother"] == "0" or r["frame"] != r["first_frame"]:
                    continue
                d, m, t = int(r["cell"]), int(r["mother"]), int(r["frame"]) - 1
                if t < 1 or not (stack[t - 1] == m).any() or not (stack[t] == m).any():
                    continue
                events.add((m, d, t))
            for m, d, t in sorted(events):
                stats["delta"] += 1
                a = majority(stack[t], ours[t], d)
                b = majority(stack[t], ours[t], m)
                p = majority(stack[t - 1], ours[t - 1], m)
                if a and b and a != b and p and parent.get(a) == p and parent.get(b) == p:
                    stats["agree"] += 1
            # Our divisions, checked against DeLTA's.
            for P, kids in children.items():
                if len(kids) != 2:
                    continue
                t = begin[kids[0]]
                stats["ours"] += 1
                dm = majority(ours[t - 1], stack[t - 1], P)
                k0 = majority(ours[t], stack[t], kids[0])
                k1 = majority(ours[t], stack[t], kids[1])
                if dm and ((dm, k1, t) in events and k0 == dm or (dm, k0, t) in events and k1 == dm):
                    stats["ours_ok"] += 1
        print(f"Position{pos}: {len(rois)} chambers; DeLTA divisions {stats['delta']}, also ours {stats['agree']}; "
              f"our divisions {stats['ours']}, also DeLTA's {stats['ours_ok']}")
        for k in totals:
            totals[k] += stats[k]
    rec = totals["agree"] / max(totals["delta"], 1)
    prec = totals["ours_ok"] / max(totals["ours"], 1)
    print(f"total: DeLTA divisions {totals['delta']}, ours {totals['ours']}; agreement recall {rec:.3f} precision {prec:.3f}")


if __name__ == "__main__":
    main()
