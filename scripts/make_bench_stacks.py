#!/usr/bin/env python3
"""Writes uint16 TIFF stacks for scripts/bench.sh (not part of the tests).

    make_bench_stacks.py --out DIR [--size 2048] [--frames 32] [--big-frames 128]

Content looks like fluorescence/phase microscopy rather than pure noise, so the compressed
sizes are realistic: a smooth background, a few hundred bright rods that drift between frames,
and Poisson-like noise. Writes stack_none.tif, stack_deflate.tif, stack_zstd.tif (--frames
pages each) and big_none.tif (--big-frames pages, uncompressed, ~1 GB at the defaults).
Deterministic (fixed seed). Skips files that already exist with the expected page count.
"""
import argparse
import os

import numpy as np
import tifffile


def frames(size, count, seed=7):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    background = 800 + 300 * np.sin(xx / size * 3.1) * np.cos(yy / size * 2.3)
    rods = np.zeros((size, size), np.float32)
    for _ in range(size // 8):
        cy, cx = rng.integers(8, size - 8, 2)
        length = rng.integers(6, 16)
        rods[cy - 2:cy + 2, max(0, cx - length):cx + length] += 2500
    noise_bank = [rng.normal(0, 40, (size, size)).astype(np.float32) for _ in range(4)]
    for t in range(count):
        shifted = np.roll(rods, (t % 17, (3 * t) % 23), axis=(0, 1))
        yield np.clip(background + shifted + noise_bank[t % 4], 0, 65535).astype(np.uint16)


def write(path, size, count, compression):
    if os.path.exists(path):
        try:
            with tifffile.TiffFile(path) as tf:
                if len(tf.pages) == count:
                    return
        except Exception:
            pass
    tmp = path + ".partial"
    with tifffile.TiffWriter(tmp, bigtiff=size * size * 2 * count > 2**31) as tw:
        for frame in frames(size, count):
            tw.write(frame, compression=compression, photometric="minisblack", rowsperstrip=64)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--big-frames", type=int, default=128)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, compression in [("none", None), ("deflate", "deflate"), ("zstd", "zstd")]:
        write(os.path.join(a.out, f"stack_{name}.tif"), a.size, a.frames, compression)
    write(os.path.join(a.out, "big_none.tif"), a.size, a.big_frames, None)
    write(os.path.join(a.out, "quarter_none.tif"), a.size, a.big_frames // 4, None)
    for n in sorted(f for f in os.listdir(a.out) if f.endswith(".tif")):
        print(f"{n}: {os.path.getsize(os.path.join(a.out, n)) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
