#!/usr/bin/env python3
"""Writes the ImageIO test fixtures with an independent writer (tifffile + imagecodecs).

Run once with the reference Python (PY=$(/work/shared/reference/setup.sh)):

    $PY scripts/make_tiff_fixtures.py [--ecoli /work/shared/data/ecoli-trpL/img.tif]

Output: Tests/ImageIOTests/Fixtures/*.tif, series/ (a per-frame folder), and expected.json with
the exact pixel values every reader must return (grey float, in the file's units:
RGB -> 0.2125 R + 0.7154 G + 0.0721 B as skimage.color.rgb2gray, palette -> luminance of the
colour map / 257), plus metadata. The e. coli crop is stored with per-frame checksums only.
Deterministic: numpy Generator with a fixed seed.
"""
import argparse
import json
import os
import shutil

import numpy as np
import tifffile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "ImageIOTests", "Fixtures")
rng = np.random.default_rng(20261121)
expected = {}


def grey_of(page):
    """Grey value of one decoded page array as our reader defines it."""
    a = np.asarray(page)
    if a.ndim == 3:  # (Y, X, S) chunky RGB(A)
        a = a.astype(np.float64)
        return 0.2125 * a[..., 0] + 0.7154 * a[..., 1] + 0.0721 * a[..., 2]
    return a.astype(np.float64)


def record(name, frames, **meta):
    """frames: list of 2-D float arrays (one per frame)."""
    h, w = frames[0].shape
    entry = {"frames": len(frames), "width": w, "height": h,
             "grey": [[float(v) for v in f.ravel()] for f in frames]}
    entry.update(meta)
    expected[name] = entry


def write(name, data, frames=None, **kwargs):
    path = os.path.join(OUT, name)
    tifffile.imwrite(path, data, **kwargs)
    return path


def write_stack(name, pages, **kwargs):
    """One TIFF page per 2-D array (tifffile would store a (3|4, Y, X) array as samples)."""
    path = os.path.join(OUT, name)
    with tifffile.TiffWriter(path, bigtiff=kwargs.pop("bigtiff", False), byteorder=kwargs.pop("byteorder", None)) as tw:
        for page in pages:
            tw.write(page, photometric="minisblack", **kwargs)
    return path


def values(dtype, shape):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (rng.standard_normal(shape) * 1000).astype(dt)
    info = np.iinfo(dt)
    lo, hi = max(info.min, -(2**40)), min(info.max, 2**40)
    v = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64 if dt.kind == "i" or dt.itemsize < 8 else np.uint64)
    v = v.astype(dt)
    v.flat[0] = info.min
    v.flat[1] = info.max if info.max <= 2**40 else v.flat[1]
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ecoli", default="/work/shared/data/ecoli-trpL/img.tif")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    for entry in os.listdir(OUT):
        p = os.path.join(OUT, entry)
        if entry.endswith((".tif", ".tiff", ".json")):
            os.remove(p)
        elif os.path.isdir(p):
            shutil.rmtree(p)

    H, W = 9, 13  # odd sizes: no accidental alignment

    # One per pixel type (uncompressed, 3 strips).
    for dtype in ["uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "float32", "float64"]:
        a = values(dtype, (H, W))
        write(f"type_{dtype}.tif", a, rowsperstrip=4)
        record(f"type_{dtype}.tif", [grey_of(a)], sampleType=dtype, compression="none")

    # 1-bit (bilevel), width not a multiple of 8.
    bits = rng.integers(0, 2, size=(H, W)).astype(bool)
    write("bilevel_1bit.tif", bits)
    record("bilevel_1bit.tif", [bits.astype(np.float64)], sampleType="uint1", compression="none")

    # Compressions and predictors (uint16 smooth ramp + noise so predictors matter).
    yy, xx = np.mgrid[0:H, 0:W]
    ramp16 = (yy * 700 + xx * 300 + rng.integers(0, 50, size=(H, W))).astype(np.uint16)
    for comp, pred, name in [
        ("lzw", None, "comp_lzw.tif"), ("lzw", 2, "comp_lzw_pred2.tif"),
        ("deflate", None, "comp_deflate.tif"), ("deflate", 2, "comp_deflate_pred2.tif"),
        ("zstd", None, "comp_zstd.tif"), ("zstd", 2, "comp_zstd_pred2.tif"),
        ("packbits", None, "comp_packbits.tif"),
    ]:
        write(name, ramp16, compression=comp, predictor=pred, rowsperstrip=4)
        record(name, [grey_of(ramp16)], sampleType="uint16", compression=comp, predictor=pred or 1)
    ramp8 = (ramp16 // 40).astype(np.uint8)
    write("comp_packbits_uint8.tif", ramp8, compression="packbits")
    record("comp_packbits_uint8.tif", [grey_of(ramp8)], sampleType="uint8", compression="packbits")
    f32 = (ramp16.astype(np.float32) / 7.0 - 100.0).astype(np.float32)
    write("comp_deflate_pred3_float32.tif", f32, compression="deflate", predictor=3)
    record("comp_deflate_pred3_float32.tif", [grey_of(f32)], sampleType="float32", compression="deflate", predictor=3)
    f64 = ramp16.astype(np.float64) / 3.0
    write("comp_zstd_pred3_float64.tif", f64, compression="zstd", predictor=3)
    record("comp_zstd_pred3_float64.tif", [grey_of(f64)], sampleType="float64", compression="zstd", predictor=3)
    i16 = (ramp16.astype(np.int32) - 3000).astype(np.int16)
    write("comp_lzw_pred2_int16.tif", i16, compression="lzw", predictor=2)
    record("comp_lzw_pred2_int16.tif", [grey_of(i16)], sampleType="int16", compression="lzw", predictor=2)

    # Tiles (partial edge tiles), uncompressed and Deflate; big-endian; BigTIFF.
    big = values("uint16", (35, 40))
    write("tiled_uint16.tif", big, tile=(16, 16))
    record("tiled_uint16.tif", [grey_of(big)], sampleType="uint16", compression="none", tiled=True)
    write("tiled_deflate_float32.tif", big.astype(np.float32), tile=(16, 32), compression="deflate", predictor=3)
    record("tiled_deflate_float32.tif", [grey_of(big)], sampleType="float32", compression="deflate", tiled=True)
    write("bigendian_uint16.tif", ramp16, byteorder=">", compression="deflate", predictor=2)
    record("bigendian_uint16.tif", [grey_of(ramp16)], sampleType="uint16", bigEndian=True)
    be32 = values("float32", (H, W))
    write("bigendian_float32.tif", be32, byteorder=">")
    record("bigendian_float32.tif", [grey_of(be32)], sampleType="float32", bigEndian=True)
    stack = values("uint16", (3, H, W))
    write_stack("bigtiff_stack.tif", stack, bigtiff=True, compression="zstd")
    record("bigtiff_stack.tif", [grey_of(p) for p in stack], sampleType="uint16", bigTIFF=True)

    # Colour: RGB chunky/planar, RGBA, 16-bit planar RGB, palette.
    rgb = values("uint8", (H, W, 3))
    write("rgb_chunky.tif", rgb, photometric="rgb")
    record("rgb_chunky.tif", [grey_of(rgb)], sampleType="uint8", channels=3,
           red=[float(v) for v in rgb[..., 0].ravel()])
    write("rgb_planar.tif", np.moveaxis(rgb, -1, 0), photometric="rgb", planarconfig="separate", compression="lzw")
    record("rgb_planar.tif", [grey_of(rgb)], sampleType="uint8", channels=3)
    rgba = values("uint8", (H, W, 4))
    write("rgba_chunky.tif", rgba, photometric="rgb", extrasamples=["unassalpha"], compression="deflate")
    record("rgba_chunky.tif", [grey_of(rgba)], sampleType="uint8", channels=4)
    rgb16 = values("uint16", (H, W, 3))
    write("rgb16_planar_tiled.tif", np.moveaxis(rgb16, -1, 0), photometric="rgb", planarconfig="separate", tile=(16, 16))
    record("rgb16_planar_tiled.tif", [grey_of(rgb16)], sampleType="uint16", channels=3, tiled=True)
    cmap = rng.integers(0, 65536, size=(3, 256)).astype(np.uint16)
    idx = rng.integers(0, 256, size=(H, W)).astype(np.uint8)
    write("palette_uint8.tif", idx, photometric="palette", colormap=cmap)
    lut = (0.2125 * cmap[0].astype(np.float64) + 0.7154 * cmap[1] + 0.0721 * cmap[2]) / 257.0
    record("palette_uint8.tif", [lut[idx]], sampleType="uint8", labels=[int(v) for v in idx.ravel()])

    # ImageJ hyperstack: 3 frames x 2 channels, 0.1 um pixels, 120 s interval.
    hyper = values("uint16", (3, 2, H, W))
    write("imagej_hyperstack.tif", hyper, imagej=True, resolution=(10.0, 10.0),
          metadata={"axes": "TCYX", "unit": "um", "finterval": 120.0})
    record("imagej_hyperstack.tif", [grey_of(hyper[t, 0]) for t in range(3)], sampleType="uint16",
           channels=2, pixelSizeUm=0.1, frameIntervalMin=2.0,
           channel1=[[float(v) for v in hyper[t, 1].ravel()] for t in range(3)])
    # OME-TIFF, channel-fastest (TCYX -> DimensionOrder XYZCT) and time-fastest (CTYX -> XYZTC).
    ome = values("uint16", (3, 2, H, W))
    write("ome_tcyx.ome.tif", ome, ome=True,
          metadata={"axes": "TCYX", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.2, "TimeIncrement": 30.0, "TimeIncrementUnit": "s"})
    record("ome_tcyx.ome.tif", [grey_of(ome[t, 0]) for t in range(3)], sampleType="uint16", channels=2,
           pixelSizeUm=0.2, frameIntervalMin=0.5, channel1=[[float(v) for v in ome[t, 1].ravel()] for t in range(3)])
    write("ome_ctyx.ome.tif", np.ascontiguousarray(np.moveaxis(ome, 1, 0)), ome=True,
          metadata={"axes": "CTYX", "PhysicalSizeX": 200.0, "PhysicalSizeXUnit": "nm"})
    record("ome_ctyx.ome.tif", [grey_of(ome[t, 0]) for t in range(3)], sampleType="uint16", channels=2,
           pixelSizeUm=0.2, channel1=[[float(v) for v in ome[t, 1].ravel()] for t in range(3)])

    # Plain multi-page stack with resolution in pixels per cm (0.25 um pixels).
    plain = values("uint16", (4, H, W))
    write_stack("stack_resolution_cm.tif", plain, compression="deflate", resolution=(40000.0, 40000.0),
                resolutionunit="CENTIMETER")
    record("stack_resolution_cm.tif", [grey_of(p) for p in plain], sampleType="uint16", pixelSizeUm=0.25)

    # ImageJ's large-stack format: one page directory, images=3, images back to back after it.
    contiguous = values("uint16", (3, H, W))
    for order, name in [("<", "imagej_contiguous_le.tif"), (">", "imagej_contiguous_be.tif")]:
        path = write(name, contiguous[0], byteorder=order, metadata=None,
                     description="ImageJ=1.11a\nimages=3\nframes=3\nloop=false\n")
        with open(path, "ab") as f:
            f.write(contiguous[1:].astype(contiguous.dtype.newbyteorder(order)).tobytes())
        record(name, [grey_of(p) for p in contiguous], sampleType="uint16", bigEndian=order == ">")
    path = write("bad_imagej_contiguous_truncated.tif", contiguous[0], metadata=None,
                 description="ImageJ=1.11a\nimages=3\nframes=3\nloop=false\n")
    with open(path, "ab") as f:
        f.write(contiguous[1].tobytes())  # one image missing

    # A folder of per-frame files: natural order t1 < t2 < t10; other files skipped.
    series = os.path.join(OUT, "series")
    os.makedirs(series)
    for n in [10, 1, 2]:
        tifffile.imwrite(os.path.join(series, f"t{n}.tif"), np.full((2, 3), n, dtype=np.uint8))
    with open(os.path.join(series, "notes.txt"), "w") as f:
        f.write("not an image; the reader must skip this file\n")
    expected["series"] = {"frames": 3, "width": 3, "height": 2, "firstValues": [1.0, 2.0, 10.0]}

    # Labels.
    lab64 = np.zeros((H, W), dtype=np.int64)
    lab64[1:4, 2:6] = 3
    lab64[5:8, 7:12] = 70000
    write("labels_int64.tif", lab64)
    expected["labels_int64.tif"] = {"labels": [int(v) for v in lab64.ravel()], "width": W, "height": H}
    neg = lab64.astype(np.int32)
    neg[0, 0] = -1
    write("labels_negative_int32.tif", neg)
    write("labels_float32.tif", lab64.astype(np.float32))

    # Bad inputs.
    with open(os.path.join(OUT, "bad_not_a_tiff.tif"), "w") as f:
        f.write("this is plain text, not a TIFF image\n")
    open(os.path.join(OUT, "bad_empty.tif"), "wb").close()
    noisy = rng.integers(0, 65535, size=(3, 64, 64)).astype(np.uint16)
    tmp = os.path.join(OUT, "tmp_full.tif")
    write_stack("tmp_full.tif", noisy, compression="deflate")
    with open(tmp, "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "bad_truncated.tif"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    with open(os.path.join(OUT, "bad_truncated_header.tif"), "wb") as f:
        f.write(data[:6])
    os.remove(tmp)
    with tifffile.TiffWriter(os.path.join(OUT, "bad_mixed_sizes.tif")) as tw:
        tw.write(np.zeros((8, 10), dtype=np.uint16))
        tw.write(np.zeros((8, 12), dtype=np.uint16))
    write("bad_complex64.tif", (rng.standard_normal((4, 5)) + 1j).astype(np.complex64))
    write("bad_float16.tif", rng.standard_normal((4, 5)).astype(np.float16))

    # Crop of real data: ecoli-trpL frames 0-2, rows 330:394, cols 480:544, Deflate.
    if os.path.exists(args.ecoli):
        with tifffile.TiffFile(args.ecoli) as tf:
            crop = np.stack([tf.pages[i].asarray()[330:394, 480:544] for i in range(3)])
        write_stack("ecoli_trpL_crop.tif", crop, compression="deflate")
        idx = np.arange(1, 64 * 64 + 1, dtype=np.float64)
        expected["ecoli_trpL_crop.tif"] = {
            "frames": 3, "width": 64, "height": 64,
            "sums": [int(p.astype(np.uint64).sum()) for p in crop],
            "weightedSums": [float((p.astype(np.float64).ravel() * idx).sum()) for p in crop],
            "firstPixels": [int(p.flat[0]) for p in crop],
        }

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=0, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(dp, n)) for dp, _, fs in os.walk(OUT) for n in fs)
    print(f"wrote {len(os.listdir(OUT))} entries, {total / 1024:.0f} KB, into {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
