#!/usr/bin/env python3
"""Write a per-frame folder of label images in which every connected component has its own id.
DeLTA's full-frame labels_###.tif reuse the same id in different chambers; seg_score.py needs unique ids.
usage: relabel_components.py OUT_DIR IN_FILE...   (writes OUT_DIR/man_seg###.tif in argument order)"""
import os, sys
import numpy as np, tifffile
from scipy import ndimage as ndi

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for i, f in enumerate(sys.argv[2:]):
    lab = tifffile.imread(f)
    res = np.zeros(lab.shape, np.uint16)
    nxt = 1
    for v in np.unique(lab[lab > 0]):          # sorted ids -> deterministic numbering
        cc, n = ndi.label(lab == v)
        res[cc > 0] = (cc[cc > 0] + nxt - 1).astype(np.uint16)
        nxt += n
    tifffile.imwrite(os.path.join(out, f"man_seg{i:03d}.tif"), res)
