"""Hostile receipts: time and peak memory of reading them, before and after the limits.

Each case runs in a child process of its own (so its peak RSS is its own), once with the
receipt code of `--before` (a git revision: its core/receipts/ocr.py and extract.py,
loaded from `git show`) and once with the working tree's. A child has an address-space
cap (`--memory-gb`) and a time-out (`--timeout`), so the old code's gigabytes and minutes
end as "refused by the cap" or "> timeout" instead of taking the machine.

Cases:
  h4-pdf       a 535-byte PDF of three blank 14,400-point pages, read_receipt()
  h5-tabs      a text layer of 20 readable characters and "a" + 30,000 tabs + "x", extracted
  h5-amounts   40,000 lines "x 1.00" with no total label, extracted
  m5-png       a 6,300 x 6,300 PNG of 10-pixel text lines: decoded and prepare()d (the
               clean-up before Tesseract, where the old code scaled it to 357 MP)

Usage: python bench/receipts_hostile.py [--before REV] [--cases h4-pdf,...] [--timeout S]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("h4-pdf", "h5-tabs", "h5-amounts", "m5-png")
# The commit before the limits (H4, H5, M5 of the December 2026 review).
BEFORE = "783e335cf07a5b81a38a4d1514dfb5474d67f897"
PNG_SIDE = 6300


def _m5_png(path: Path) -> None:
    from PIL import Image, ImageDraw

    from tests.support.receipts import font

    picture = Image.new("L", (PNG_SIDE, PNG_SIDE), 255)
    draw = ImageDraw.Draw(picture)
    face = font("DejaVuSans.ttf", 10)
    row = "Bread 1.20  Milk 0.99  Eggs 2.49  Coffee 7.80  " * 30
    for y in range(20, PNG_SIDE - 20, 16):
        draw.text((20, y), row, font=face, fill=0)
    picture.save(path, "PNG", optimize=True)


def _load_old(revision: str, into: Path) -> None:
    """The old ocr.py and extract.py as modules old_extract and old_ocr in `into`."""
    extract = subprocess.run(
        ["git", "show", f"{revision}:core/receipts/extract.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ocr = subprocess.run(
        ["git", "show", f"{revision}:core/receipts/ocr.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ocr = ocr.replace(
        "from core.receipts.extract import extract_reading",
        "from old_extract import extract_reading",
    )
    (into / "old_extract.py").write_text(extract)
    (into / "old_ocr.py").write_text(ocr)


def child(case: str, which: str, old_dir: str, png: str) -> None:
    """Run one case in this process; print a JSON line of what happened."""
    import asyncio

    if which == "before":
        sys.path.insert(0, old_dir)
        import old_extract as extract
        import old_ocr as ocr
    else:
        from core.receipts import extract, ocr
    from tests.support.receipts import blank_pdf

    began = time.perf_counter()
    outcome: object
    try:
        if case == "h4-pdf":
            outcome = asyncio.run(
                ocr.read_receipt(blank_pdf(), "application/pdf", base_currency="EUR")
            )
        elif case == "h5-tabs":
            text = "CORNER MARKET 12.00\n" + "a" + "\t" * 30000 + "x\n"
            outcome = extract.extract_reading(text, base_currency="EUR")
        elif case == "h5-amounts":
            outcome = extract.extract_reading("x 1.00\n" * 40000, base_currency="EUR")
        else:
            from PIL import Image

            picture = Image.open(png)
            picture.load()
            prepared = ocr.prepare(picture)
            megapixels = prepared.width * prepared.height / 1e6
            outcome = f"{prepared.width}x{prepared.height} = {megapixels:.0f} MP"
    except BaseException as error:  # a bench reports whatever ended it
        outcome = f"{type(error).__name__}: {str(error)[:60]}"
    elapsed = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, "outcome": str(outcome)[:70]}))


def run(case: str, which: str, old_dir: str, png: str, timeout: float, memory_gb: float) -> dict:
    def cap() -> None:
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, __file__, "--child", case, which, old_dir, png]
    began = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, preexec_fn=cap, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "outcome": f"> {timeout:.0f} s, stopped"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        wall = time.perf_counter() - began
        tail = (done.stderr.strip().splitlines() or ["?"])[-1][:60]
        return {
            "seconds": wall,
            "peak_mb": None,
            "outcome": f"died (exit {done.returncode}, {memory_gb:g} GB cap): {tail}",
        }
    return dict(json.loads(lines[-1]))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default=BEFORE, help="git revision of the old code")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space cap")
    parser.add_argument("--after-only", action="store_true")
    args = parser.parse_args()
    cases = [case for case in args.cases.split(",") if case]
    with tempfile.TemporaryDirectory() as scratch:
        old_dir = Path(scratch)
        _load_old(args.before, old_dir)
        png = old_dir / "m5.png"
        if "m5-png" in cases:
            _m5_png(png)
            print(f"m5-png: {png.stat().st_size / 1e6:.1f} MB PNG, {PNG_SIDE}x{PNG_SIDE}")
        print(f"{os.cpu_count()} CPUs; cap {args.memory_gb:g} GB, time-out {args.timeout:g} s")
        header = f"{'case':<11} {'code':<7} {'seconds':>8} {'peak MB':>8}  outcome"
        print(header)
        print("-" * len(header))
        for case in cases:
            for which in ("after",) if args.after_only else ("before", "after"):
                got = run(case, which, str(old_dir), str(png), args.timeout, args.memory_gb)
                seconds = "-" if got["seconds"] is None else f"{got['seconds']:.2f}"
                peak = "-" if got["peak_mb"] is None else f"{got['peak_mb']:.0f}"
                print(f"{case:<11} {which:<7} {seconds:>8} {peak:>8}  {got['outcome']}", flush=True)


if __name__ == "__main__":
    main()
