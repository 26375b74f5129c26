"""Statement reading speed and memory: a generated bank CSV (semicolons, `1.234,56`,
DD.MM.YYYY, like a German bank export) of 10,000 and 100,000 rows, read from a file.

Prints, per size: seconds for `read_statement` (all rows collected) and the peak memory
traced by tracemalloc for streaming the rows (`iter_statement`, what an importer that writes
in batches would do) and for collecting them. Streaming stays flat in file size; collecting
grows only by the rows themselves.
Usage: python bench/imports_read.py [--sizes 10000 100000]
"""

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.imports import iter_statement, read_statement

MERCHANTS = ["REWE Markt GmbH", "UBER *TRIP 4X8Q", "Bäckerei Müller", "Amazon EU S.a.r.l."]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(
            '"Buchungstag";"Verwendungszweck";"Beguenstigter/Zahlungspflichtiger";"Betrag"\n'
        )
        for index in range(rows):
            day, month = index % 28 + 1, index // 28 % 12 + 1
            cents = (index * 7919) % 250_000 - 200_000
            amount = f"{cents / 100:_.2f}".replace(".", ",").replace("_", ".")
            merchant = MERCHANTS[index % len(MERCHANTS)]
            file.write(f'"{day:02d}.{month:02d}.2024";"Ref {index:08d}";"{merchant}";"{amount}"\n')


def measure(path: Path) -> tuple[float, int, int, int]:
    tracemalloc.start()
    with path.open("rb") as file:
        _kind, items = iter_statement(file)
        count = sum(1 for _ in items)
    _, streaming_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    started = time.perf_counter()
    with path.open("rb") as file:
        statement = read_statement(file)
    seconds = time.perf_counter() - started

    tracemalloc.start()
    with path.open("rb") as file:
        read_statement(file)
    _, collecting_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(statement.rows) == count
    return seconds, count, streaming_peak, collecting_peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"statement-{size}.csv"
            write_csv(path, size)
            megabytes = path.stat().st_size / 1e6
            seconds, count, streaming, collecting = measure(path)
            print(
                f"{size:>7} rows ({megabytes:5.1f} MB): read {count} rows in {seconds:5.2f} s "
                f"; peak memory (tracemalloc) streaming "
                f"{streaming / 1e6:6.2f} MB, collecting {collecting / 1e6:6.2f} MB"
            )


if __name__ == "__main__":
    main()
