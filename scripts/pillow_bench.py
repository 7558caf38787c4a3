#!/usr/bin/env python3
"""Pillow reference for `imgq bench images` (issue 4, target 4).

Runs the course pipeline the way a Python worker would:
    ImageEnhance.Brightness(im).enhance(1.8)
    -> im.filter(ImageFilter.GaussianBlur(2))
    -> im.convert("L")
    -> save as JPEG, quality 90 (into memory)
in PROCS worker processes (multiprocessing, fork). Images j = i, i+PROCS, ...
below COUNT go to worker i, each using file j % len(FILES), exactly as the Go
side shares them. Every worker reads its files and processes one image to warm
up, then all wait on a barrier; the wall time is max(end) - min(start) over the
workers (CLOCK_REALTIME, comparable across processes), so interpreter start-up
and imports are not counted.

Output on stdout: a line "p" per processed image (progress), then one JSON line.

    /usr/bin/python3 scripts/pillow_bench.py --procs 2 --count 40 a.jpg b.jpg

With --write-outputs DIR it times nothing: it runs the pipeline once on each
file, writes the result to DIR under the file's name, and prints one JSON line
listing them (the quality reference of bench/cmd/imagebench, issue 14).
"""
import argparse
import io
import json
import multiprocessing as mp
import os
import platform
import sys
import time

import PIL
from PIL import Image, ImageEnhance, ImageFilter


def course_jpeg(data, quality):
    """The pipeline; returns the JPEG in a BytesIO."""
    im = Image.open(io.BytesIO(data))
    im = ImageEnhance.Brightness(im).enhance(1.8)
    im = im.filter(ImageFilter.GaussianBlur(2))
    im = im.convert("L")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out


def course(data, quality):
    return course_jpeg(data, quality).getbuffer().nbytes


def worker(idx, procs, count, files, quality, progress, barrier, results):
    datas = []
    for f in files:
        with open(f, "rb") as fh:
            datas.append(fh.read())
    mine = list(range(idx, count, procs))
    if mine:
        course(datas[mine[0] % len(datas)], quality)  # warm-up, not timed
    barrier.wait(timeout=600)  # never hang if a sibling died
    t0, c0 = time.time_ns(), time.process_time_ns()
    out_bytes = 0
    for j in mine:
        out_bytes += course(datas[j % len(datas)], quality)
        if progress:
            os.write(1, b"p\n")
    t1, c1 = time.time_ns(), time.process_time_ns()
    results.put({"index": idx, "images": len(mine), "start_ns": t0, "end_ns": t1,
                 "cpu_ns": c1 - c0, "out_bytes": out_bytes})


def write_outputs(outdir, files, quality):
    os.makedirs(outdir, exist_ok=True)
    outs = []
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        dst = os.path.join(outdir, os.path.basename(f))
        with open(dst, "wb") as fh:
            fh.write(course_jpeg(data, quality).getbuffer())
        outs.append(dst)
    print(json.dumps({"pillow_version": PIL.__version__, "outputs": outs}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--count", type=int, help="images in all, shared among the processes (required unless --write-outputs)")
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--write-outputs", metavar="DIR", help="write each file's output to DIR (same name) and time nothing")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    if a.write_outputs is not None:
        write_outputs(a.write_outputs, a.files, a.quality)
        return
    if a.count is None:
        ap.error("--count is required (unless --write-outputs)")
    if a.procs < 1 or a.count < 1:
        ap.error("--procs and --count must be at least 1")
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(a.procs)
    results = ctx.Queue()
    ps = [ctx.Process(target=worker, args=(i, a.procs, a.count, a.files, a.quality,
                                           not a.no_progress, barrier, results))
          for i in range(a.procs)]
    for p in ps:
        p.start()
    rs = [results.get() for _ in ps]
    for p in ps:
        p.join()
        if p.exitcode != 0:
            sys.exit("pillow_bench: a worker failed (exit code %s)" % p.exitcode)
    rs.sort(key=lambda r: r["index"])
    n = sum(r["images"] for r in rs)
    wall = (max(r["end_ns"] for r in rs) - min(r["start_ns"] for r in rs)) / 1e9
    print(json.dumps({
        "pillow_version": PIL.__version__,
        "python": sys.executable,
        "python_version": platform.python_version(),
        "procs": a.procs,
        "images": n,
        "seconds": wall,
        "cpu_seconds": sum(r["cpu_ns"] for r in rs) / 1e9,
        "out_bytes": sum(r["out_bytes"] for r in rs),
        "workers": rs,
    }), flush=True)


if __name__ == "__main__":
    main()
