"""Statement files built to stall a reader: the shapes of the December 2026 security review
(H2, H3, M4, L1) and the ones found auditing the readers' and their libraries' patterns.

Prints, per shape and size, the median of --repeat runs of `read_statement` (in a child
process, so a reader that hangs is cut off at --timeout) in CPU seconds of the reading process
(wall seconds beside them: on a shared machine CPU time is the steadier measure), what came of
it, and the ratio of the largest size's CPU time to the smallest's: about 10 for 1 MB and
10 MB means linear.

--root reads another copy of the code, e.g. the code before the fix:
    mkdir /tmp/old && git archive HEAD core | tar -x -C /tmp/old
    python bench/statements_hostile.py --root /tmp/old --sizes 64K 256K
Usage: python bench/statements_hostile.py [--sizes 1M 10M] [--shapes ofx_stmttrn ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OFX_V1_HEADER = (
    b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    b"CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
CAMT_OPEN = b"<Document><BkToCstmrStmt><Stmt>"


def _times(unit: bytes, size: int, prefix: bytes = b"") -> int:
    return max(1, (size - len(prefix)) // len(unit))


def ofx_stmttrn(size: int) -> bytes:  # H2
    start = OFX_V1_HEADER + b"<OFX>"
    return start + b"<STMTTRN></STMTTRN>" * _times(b"<STMTTRN></STMTTRN>", size, start)


def ofx_xml_declaration(size: int) -> bytes:  # ofxtools' <?xml pattern: polynomial on blanks
    return b"<?xml" + b" " * (size - 10) + b"<OFX>"


def ofx_header_blanks(size: int) -> bytes:  # ofxtools' v1 header pattern: quadratic on blanks
    return b"OFXHEADER:100\n" + b" " * (size - 21) + b"\n<OFX>"


def ofx_open_cdata(size: int) -> bytes:  # ofxtools' CDATA pattern: rescans the line per opener
    start = OFX_V1_HEADER + b"<OFX>"
    return start + b"<A><![CDATA[" * _times(b"<A><![CDATA[", size, start)


def ofx_amounts(size: int) -> bytes:  # L1: one good transaction, then NaN/Infinity/1E+30
    start = OFX_V1_HEADER + b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR<BANKTRANLIST>"
    good = b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1.00<FITID>G<NAME>A</STMTTRN>\n"
    bad = b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>NaN<FITID>B<NAME>A</STMTTRN>\n"
    end = b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    return start + good + bad * _times(bad, size, start + end) + end


def mt940_statement_lines(size: int) -> bytes:  # H2
    start = b":20:X\n:25:Y\n"
    return start + b":61:\n" * _times(b":61:\n", size, start)


def mt940_amounts(size: int) -> bytes:  # L1: 15-digit amounts fit :61:, not finbot
    start = b":20:X\n:25:Y\n:28C:1\n:60F:C240101EUR0,00\n"
    line = b":61:2401020102D99999999999999,NTRFNONREF\n:86:A\n"
    return start + line * _times(line, size, start)


def camt_nested(size: int) -> bytes:  # H2
    start = CAMT_OPEN + b"<Ntry>"
    count = _times(b"<a></a>", size, start)
    return start + b"<a>" * count + b"</a>" * count


def camt_wide_entry(size: int) -> bytes:  # many elements in one entry, each kept
    start = CAMT_OPEN + b"<Ntry><Amt>1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>"
    unit = b"<NtryDtls><TxDtls><RmtInf><Ustrd>x</Ustrd></RmtInf></TxDtls></NtryDtls>"
    end = b"<BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"
    return start + unit * _times(unit, size, start + end) + end


def camt_amounts(size: int) -> bytes:  # L1
    entry = (
        b"<Ntry><Amt>Infinity</Amt><CdtDbtInd>DBIT</CdtDbtInd>"
        b"<BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>\n"
    )
    good = entry.replace(b"Infinity", b"1.00")
    end = b"</Stmt></BkToCstmrStmt></Document>"
    return CAMT_OPEN + good + entry * _times(entry, size, CAMT_OPEN + end) + end


def detect_newlines(size: int) -> bytes:  # H3
    return b"\n" * size


def detect_mt940_blanks(size: int) -> bytes:  # H3: blank lines, then no MT940 after all
    return b" \n" * (size // 2) + b"x"


def csv_sniffer_quotes(size: int) -> bytes:  # H3
    return b',"x' * (size // 3)


def csv_junk_dates(size: int) -> bytes:  # M4
    start = b"date,amount,description\n"
    return start + b"x,1,a\n" * _times(b"x,1,a\n", size, start)


def csv_distinct_junk_dates(size: int) -> bytes:  # M4, each date a new miss for strptime
    start = b"date,amount,description\n"
    count = _times(b"9999999,1,a\n", size, start)
    return start + b"".join(b"%07d,1,a\n" % (index % 10_000_000) for index in range(count))


def csv_wide_row(size: int) -> bytes:  # M4
    return b"a" + b";" * (size - 1)


def csv_open_parens(size: int) -> bytes:  # header words: `\(.*?\)` on `(((...`
    cell = b"(" * 100_000
    row = b";".join([cell] * 5) + b"\n"
    return row * _times(row, size)


def csv_big_cells(size: int) -> bytes:  # L1: a 200 KB cell is a failed row
    good = b"2024-01-02,-1.00,Shop\n"
    big = b"2024-01-02,-1.00," + b"a" * 200_000 + b"\n"
    start = b"date,amount,description\n" + good
    return start + big * _times(big, size, start)


def csv_amounts(size: int) -> bytes:  # L1
    good = b"2024-01-02,-1.00,Shop\n"
    rows = b"".join(
        b"2024-01-02,%s,Shop\n" % amount
        for amount in (b"-1e30", b"NaN", b"Infinity", b"-100000000000000000000000000000.00")
    )
    start = b"date,amount,description\n" + good
    return start + rows * _times(rows, size, start)


def qif_long_date(size: int) -> bytes:  # quiffen hands D to dateutil
    return b"!Type:Bank\nD" + b"1 " * ((size - 20) // 2) + b"\nT-1.00\n^\n"


def qif_category_path(size: int) -> bytes:  # quiffen makes a category per `:`
    return b"!Type:Bank\nD01/02/2024\nT-1.00\nL" + b"a:" * ((size - 40) // 2) + b"a\n^\n"


def qif_long_records(size: int) -> bytes:  # quiffen joins address lines one by one
    return b"!Type:Bank\nD01/02/2024\nT-1.00\n" + b"Aaddress\n" * ((size - 30) // 9) + b"^\n"


def qif_split_categories(size: int) -> bytes:  # the costliest record within the limits
    splits = b"".join(b"Sa:b:c:d:e:f:g:h\n$-0.01\nEnote\n" for _ in range(32))
    record = b"D01/02/2024\nT-0.32\nPShop\nLa:b:c:d:e:f:g:h\n" + splits + b"^\n"
    return b"!Type:Bank\n" + record * _times(record, size, b"!Type:Bank\n")


def qif_records(size: int) -> bytes:
    record = b"D01/02/2024\nT-1e30\nPShop\n^\n"
    start = b"!Type:Bank\nD01/02/2024\nT-1.00\nPShop\n^\n"
    return start + record * _times(record, size, start)


SHAPES: dict[str, Callable[[int], bytes]] = {
    function.__name__: function
    for function in (
        ofx_stmttrn,
        ofx_xml_declaration,
        ofx_header_blanks,
        ofx_open_cdata,
        ofx_amounts,
        mt940_statement_lines,
        mt940_amounts,
        camt_nested,
        camt_wide_entry,
        camt_amounts,
        detect_newlines,
        detect_mt940_blanks,
        csv_sniffer_quotes,
        csv_junk_dates,
        csv_distinct_junk_dates,
        csv_wide_row,
        csv_open_parens,
        csv_big_cells,
        csv_amounts,
        qif_long_date,
        qif_category_path,
        qif_long_records,
        qif_split_categories,
        qif_records,
    )
}
# Shapes whose start is not what detection reads as their format: the format is given, as a
# client may.
FORMAT = {"ofx_xml_declaration": "ofx", "ofx_header_blanks": "ofx"}


def _size(text: str) -> int:
    units = {"K": 1024, "M": 1024 * 1024}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def _one(shape: str, size: int) -> None:
    """In the child: read once, print {seconds, outcome} as JSON."""
    import logging

    logging.disable(logging.CRITICAL)  # mt-940 logs each tag it cannot read, with its text
    from core.exceptions import Invalid
    from core.imports import read_statement

    data = SHAPES[shape](size)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        statement = read_statement(data, format=FORMAT.get(shape))
        outcome = f"{len(statement.rows)} rows, {len(statement.failures)} failed"
    except Invalid as error:
        outcome = f"422 {error.field}: {str(error)[:70]}"
    except Exception as error:  # what the service would answer with a 500
        outcome = f"500 {type(error).__name__}: {str(error)[:60]}"
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"cpu": cpu, "wall": wall, "outcome": outcome}))


def _measure(
    root: Path, shape: str, size: int, timeout: float
) -> tuple[tuple[float, float] | None, str]:
    command = [sys.executable, __file__, "--one", shape, str(size), "--root", str(root)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"still running after {timeout:.0f} s"
    if done.returncode != 0:
        return None, f"crashed: {done.stderr.strip().splitlines()[-1:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return (float(result["cpu"]), float(result["wall"])), str(result["outcome"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "10M"])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    if args.one:
        _one(args.one[0], int(args.one[1]))
        return
    sizes = [_size(size) for size in args.sizes]
    print(f"code from {args.root}; median of {args.repeat}; ratio = largest / smallest size")
    for shape in args.shapes:
        medians: list[float | None] = []
        for size in sizes:
            runs: list[tuple[float, float]] = []
            outcome = ""
            for _ in range(args.repeat):
                seconds, outcome = _measure(args.root, shape, size, args.timeout)
                if seconds is None:
                    break
                runs.append(seconds)
            median = statistics.median(cpu for cpu, _ in runs) if len(runs) == args.repeat else None
            medians.append(median)
            shown = "          -           "
            if median is not None:
                wall = statistics.median(wall for _, wall in runs)
                shown = f"{median:8.3f} cpu-s {wall:7.2f} s"
            print(f"{shape:24} {size / 1024:>8.0f} KiB {shown}  {outcome}")
        first, last = medians[0], medians[-1]
        if len(sizes) > 1 and first is not None and last is not None:
            print(
                f"{shape:24} ratio {last / max(first, 1e-6):6.1f} for {sizes[-1] / sizes[0]:.0f}x"
            )


if __name__ == "__main__":
    main()
