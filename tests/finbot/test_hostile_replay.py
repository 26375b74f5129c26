"""The review's HIGH findings replayed (bench/hostile.py at its small scale, as a
subprocess against `finbot serve`): each input gets the clear answer SPEC 12 names,
and /healthz answers all the while. No timings are asserted; a request past the
bench's per-request limit is "timeout", which is no answer."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PER_REQUEST = 15  # seconds the bench waits for one answer before calling it "timeout"
CASES = 10  # rows the bench replays
# Every case at its limit, the server's start and stop, and the waits between cases.
HARD_LIMIT = CASES * (PER_REQUEST + 10) + 120


@pytest.fixture(scope="module")
def replay(database_url: str) -> dict[tuple[str, str], dict[str, Any]]:
    bench = [sys.executable, str(ROOT / "bench" / "hostile.py"), "--timeout", str(PER_REQUEST)]
    done = subprocess.run(
        [*bench, "--database-url", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HARD_LIMIT,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    results = json.loads(lines[-1].removeprefix("RESULT "))["results"]
    assert len(results) == CASES, done.stdout
    return {(row["finding"], row["case"]): row for row in results}


def answered(row: dict[str, Any], expected: set[str]) -> None:
    assert row["answer"] in expected, row
    # /healthz was asked at least once during the case, and every poll was answered.
    assert row["healthz_answered"] >= 1 and row["healthz_missed"] == 0, row


def test_h1_a_chat_message_over_the_limit_is_answered_too_long(replay):
    over = replay["H1", "chat over the limit"]
    answered(over, {"too_long"})
    assert "nothing was recorded" in over["body"]
    answered(replay["H1", "chat at the limit"], {"read"})


@pytest.mark.parametrize(
    "case", ["OFX <STMTTRN> x N", "MT940 :61: x N", "CAMT.053 <a> x N"], ids=str.split
)
def test_h2_a_hostile_statement_is_read_or_refused_naming_the_file(replay, case):
    row = replay["H2", case]
    answered(row, {"201", "422"})
    if row["answer"] == "422":
        assert "file" in row["body"], row


@pytest.mark.parametrize("case", ["newlines", 'sniffer ,"x'])
def test_h3_a_hostile_head_is_read_or_refused_naming_the_file(replay, case):
    row = replay["H3", case]
    answered(row, {"201", "422"})
    if row["answer"] == "422":
        assert "file" in row["body"], row


def test_h4_a_pdf_page_past_40_megapixels_is_not_a_receipt(replay):
    answered(replay["H4", "PDF render bomb reading"], {"404"})


def test_h5_a_pdf_with_a_line_of_tabs_is_read_or_not_a_receipt(replay):
    answered(replay["H5", "PDF tab line reading"], {"200", "404"})


def test_h6_slow_clients_keep_no_one_waiting_past_the_queue(replay):
    row = replay["H6", "slow clients, then GET"]
    answered(row, {"200", "503"})
    if row["answer"] == "503":
        assert row["body"].startswith("Retry-After: "), row
