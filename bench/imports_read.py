"""Statement reading speed and memory: a generated bank CSV (semicolons, `1.234,56`,
DD.MM.YYYY, like a German bank export) and a CAMT.053 statement, each of 10,000 and 100,000
rows, read from a file.

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


def write_camt053(path: Path, entries: int) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
            "<Stmt><Acct><Ccy>EUR</Ccy></Acct>\n"
        )
        for index in range(entries):
            day, month = index % 28 + 1, index // 28 % 12 + 1
            file.write(
                f'<Ntry><Amt Ccy="EUR">{index % 5000}.{index % 100:02d}</Amt>'
                f"<CdtDbtInd>{'DBIT' if index % 3 else 'CRDT'}</CdtDbtInd>"
                f"<BookgDt><Dt>2024-{month:02d}-{day:02d}</Dt></BookgDt>"
                f"<AcctSvcrRef>REF{index:010d}</AcctSvcrRef>"
                f"<AddtlNtryInf>{MERCHANTS[index % len(MERCHANTS)]}</AddtlNtryInf></Ntry>\n"
            )
        file.write("</Stmt></BkToCstmrStmt></Document>\n")


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
        for size, (kind, write) in (
            (size, kind_writer)
            for kind_writer in (("csv", write_csv), ("camt053", write_camt053))
            for size in args.sizes
        ):
            path = Path(folder) / f"statement-{size}.{kind}"
            write(path, size)
            megabytes = path.stat().st_size / 1e6
            seconds, count, streaming, collecting = measure(path)
            print(
                f"{kind:>7} {size:>7} rows ({megabytes:5.1f} MB): read {count} rows in "
                f"{seconds:5.2f} s"
                f"; peak memory (tracemalloc) streaming "
                f"{streaming / 1e6:6.2f} MB, collecting {collecting / 1e6:6.2f} MB"
            )


if __name__ == "__main__":
    main()
