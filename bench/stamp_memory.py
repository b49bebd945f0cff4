"""How much memory and time stamping a large report takes, and streaming the stamped copy.

    .venv/bin/python bench/stamp_memory.py [--size-mb 50] [--runs 3]

``--size-mb`` takes one or more sizes (``--size-mb 5 50``). For each, a report of about that size
is generated (pages of text, a small logo shared by every page, and one image of random,
incompressible pixels per page), then each measurement runs in a fresh interpreter so that peaks
do not mix: stamping the file once with ``stamp_pdf`` file to file, and reading the stamped copy
in 64 KiB chunks as a streamed download does. Peak memory is the child's peak resident set
(VmHWM), which includes the interpreter and its imports; the baselines show that part, so the
difference is what the work itself costs. Figures are medians of ``--runs`` runs.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 64 * 1024
IMAGE_SIDE = 296  # 296 x 296 RGB is about 256 KiB per page
LICENCE_LINE = (
    "Licensed to Jo Evans, Eastbridge Borough Council · order INS-2026-000012 · 26 November 2026"
)


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux, from VmHWM: ``ru_maxrss`` survives exec,
    so a child would report at least what the parent held when it forked."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# Children: each prints one JSON object and exits. Imports happen here, not at the top, because
# what an interpreter has imported is part of what is measured.


def child_baseline_libraries() -> dict:
    import pypdf  # noqa: F401
    import reportlab.pdfgen.canvas  # noqa: F401

    return {"peak_mb": peak_rss_mb()}


def child_baseline_portal() -> dict:
    # Importing the stamping module imports the portal package, and with it the whole app.
    import portal.downloads.stamp  # noqa: F401

    return {"peak_mb": peak_rss_mb()}


def child_generate(path: str, size_mb: str) -> dict:
    """Write a report of about ``size_mb`` megabytes; in a child, so the parent stays small."""
    from PIL import Image
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    # Binary image streams, as real reports have, rather than ReportLab's ASCII85 text (+25%).
    rl_config.useA85 = 0
    per_page = IMAGE_SIDE * IMAGE_SIDE * 3
    pages = max(1, round(float(size_mb) * 1024 * 1024 / per_page))
    logo = ImageReader(Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)))
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"Benchmark report ({size_mb} MB)")
    for number in range(1, pages + 1):
        canvas.drawImage(logo, 480, 760, 60, 60)
        pixels = Image.frombytes("RGB", (IMAGE_SIDE, IMAGE_SIDE), os.urandom(per_page))
        canvas.drawImage(ImageReader(pixels), 72, 300, 400, 400)
        canvas.setFont("Helvetica", 11)
        for row in range(12):
            canvas.drawString(72, 260 - row * 14, f"Page {number}, paragraph line {row + 1}.")
        canvas.showPage()
    canvas.save()
    Path(path).write_bytes(buffer.getvalue())
    return {"pages": pages}


def child_stamp(source: str, target: str) -> dict:
    from portal.downloads.stamp import stamp_pdf

    started = time.perf_counter()
    with open(source, "rb") as source_file, open(target, "wb") as target_file:
        pages = stamp_pdf(source_file, target_file, licence_line=LICENCE_LINE, licensee="Jo Evans")
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb(), "pages": pages}


def child_stream(path: str) -> dict:
    import portal.downloads.stamp  # noqa: F401  (the same imports as the baseline)

    started = time.perf_counter()
    sent = 0
    with open(path, "rb") as stamped:
        while chunk := stamped.read(CHUNK):
            sent += len(chunk)
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb(), "bytes": sent}


CHILDREN = {
    "generate": child_generate,
    "baseline-libraries": child_baseline_libraries,
    "baseline-portal": child_baseline_portal,
    "stamp": child_stamp,
    "stream": child_stream,
}


# The parent: generates the reports, runs the children, prints the table.


def run_child(mode: str, *arguments: str) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    finished = subprocess.run(  # noqa: S603 (our own script, our own interpreter)
        [sys.executable, __file__, "--child", mode, *arguments],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=ROOT,
    )
    return json.loads(finished.stdout.strip().splitlines()[-1])


def median_of(runs: int, mode: str, *arguments: str) -> dict:
    results = [run_child(mode, *arguments) for _ in range(runs)]
    return {key: statistics.median(result[key] for result in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, nargs="+", default=[50.0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        mode, *arguments = options.child
        print(json.dumps(CHILDREN[mode](*arguments)))
        return

    runs = options.runs
    libraries = median_of(runs, "baseline-libraries")["peak_mb"]
    portal = median_of(runs, "baseline-portal")["peak_mb"]
    print(f"Peak RSS of a fresh interpreter (median of {runs} runs):")
    print(f"  after importing pypdf and reportlab      {libraries:7.1f} MB")
    print(f"  after importing portal.downloads.stamp   {portal:7.1f} MB  (the app package)")
    print()
    header = (
        f"{'source':>9} {'pages':>5} {'stamped':>9} | {'stamp time':>10} {'peak':>8} "
        f"{'+work':>8} | {'stream time':>11} {'peak':>8} {'+work':>7}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as directory:
        for size_mb in options.size_mb:
            source = Path(directory) / f"report-{size_mb:g}mb.pdf"
            target = Path(directory) / f"stamped-{size_mb:g}mb.pdf"
            pages = run_child("generate", str(source), f"{size_mb:g}")["pages"]
            stamp = median_of(runs, "stamp", str(source), str(target))
            stream = median_of(runs, "stream", str(target))
            print(
                f"{source.stat().st_size / 1e6:7.1f}MB {pages:5d} "
                f"{target.stat().st_size / 1e6:7.1f}MB | "
                f"{stamp['seconds']:9.2f}s {stamp['peak_mb']:6.1f}MB "
                f"{stamp['peak_mb'] - portal:+6.1f}MB | "
                f"{stream['seconds']:10.3f}s {stream['peak_mb']:6.1f}MB "
                f"{stream['peak_mb'] - portal:+5.1f}MB"
            )
            source.unlink()
            target.unlink()
    print()
    print("+work: peak above the baseline with portal.downloads.stamp imported.")


if __name__ == "__main__":
    main()
