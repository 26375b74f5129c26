"""Receipt reading speed and memory: generated receipt pictures through read_receipt.

First one at a time (seconds per receipt), then 4 at once (throughput, and the peak
memory of this process and of the largest Tesseract child). Prints the figures.
Usage: python bench/receipts.py [--receipts N]
"""

import argparse
import asyncio
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median
from core.receipts import ocr, read_receipt
from tests.support.receipts import GeneratedReceipt, generated_receipts


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class ChildMemory:
    """Samples the RSS of this process's children (the Tesseracts) every 20 ms.

    getrusage's figure for children is no use here: it counts a child's pages from
    before its exec, a copy of this whole process.
    """

    def __init__(self) -> None:
        self.peak_total_mb = 0.0
        self.peak_one_mb = 0.0
        self.most_at_once = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children_rss(self) -> list[float]:
        me = os.getpid()
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:
                continue
            ours = (
                int(fields.get("PPid", "0")) == me and fields.get("Name", "").strip() == "tesseract"
            )
            if ours and "VmRSS" in fields:
                found.append(int(fields["VmRSS"].split()[0]) / 1024)
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            children = self._children_rss()
            if children:
                self.peak_total_mb = max(self.peak_total_mb, sum(children))
                self.peak_one_mb = max(self.peak_one_mb, *children)
                self.most_at_once = max(self.most_at_once, len(children))

    def __enter__(self) -> "ChildMemory":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def read_all(
    receipts: list[GeneratedReceipt], at_once: int, quiet: bool = False
) -> tuple[float, list[float]]:
    ocr.OCR_CONCURRENCY = at_once
    ocr._gates.clear()
    timings: list[float] = []
    right = 0

    async def one(receipt: GeneratedReceipt) -> None:
        nonlocal right
        began = time.perf_counter()
        reading = await read_receipt(
            receipt.data,
            receipt.content_type,
            base_currency=receipt.base_currency,
            locale_hint=receipt.locale_hint,
        )
        timings.append(time.perf_counter() - began)
        right += reading is not None and reading.total == receipt.total

    began = time.perf_counter()
    await asyncio.gather(*(one(receipt) for receipt in receipts))
    wall = time.perf_counter() - began
    if not quiet:
        print(f"  totals right: {right}/{len(receipts)}")
    return wall, timings


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=12)
    args = parser.parse_args()
    if not ocr.ocr_available():
        sys.exit("Tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-eng)")
    pictures = [r for r in generated_receipts() if r.content_type.startswith("image/")]
    receipts = pictures[: args.receipts]
    sizes = sorted(len(r.data) // 1024 for r in receipts)
    print(f"{len(receipts)} receipt pictures, {sizes[0]}-{sizes[-1]} KB each")
    baseline = rss_mb()
    print(f"process RSS after imports: {baseline:.0f} MB")

    print("one at a time:")
    timings = []
    for receipt in receipts:
        _, [seconds] = await read_all([receipt], 1, quiet=True)
        timings.append(seconds)
    print(
        f"  {sum(timings) / len(timings):.2f} s per receipt "
        f"(median {median(timings):.2f} s, max {max(timings):.2f} s)"
    )

    print("4 at once:")
    with ChildMemory() as children:
        wall, timings = await read_all(receipts, 4)
    print(f"  {len(receipts) / wall:.2f} receipts/s, {wall / len(receipts):.2f} s per receipt")
    print(f"  peak RSS of this process: {peak_mb():.0f} MB")
    print(
        f"  Tesseracts: at most {children.most_at_once} at once, "
        f"{children.peak_one_mb:.0f} MB the largest, {children.peak_total_mb:.0f} MB together"
    )


if __name__ == "__main__":
    asyncio.run(main())
