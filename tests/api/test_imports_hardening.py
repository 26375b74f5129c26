"""Statement imports under hostile input: the file is read in a worker process before the
first write, holding no pooled connection and no writer lock; reading has a time limit and
a bounded number of readers; what a read hands back is bounded."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.imports import prepare as prepare_module
from core.imports import service
from core.imports.pool import ProcessSlots
from core.imports.prepare import FAILED_LISTED, START_FAILURES_MAX, ImportOptions, Refused
from tests.api.test_imports import everything, post_file

HEADER = b"Date,Description,Amount\n"
# Guards against a hang on code that holds the lock; not a measure of speed.
GUARD_SECONDS = 120
PID_FILE = "FINBOT_TEST_READER_PID_FILE"


def sleepy_prepare(*_: Any) -> Any:
    """A read that never ends, in the worker: it says which process it runs in, then sleeps."""
    Path(os.environ[PID_FILE]).write_text(str(os.getpid()))
    time.sleep(3600)


def reader_pid(*_: Any) -> int:
    return os.getpid()


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # killed; its parent's executor reaps it


async def until(condition: Any) -> None:
    """Poll a condition another process brings about (no event can carry it here)."""
    async with asyncio.timeout(GUARD_SECONDS):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


@pytest.fixture
def slots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A reader pool of the test's own, so its limits can be small; killed afterwards."""
    monkeypatch.setenv(PID_FILE, str(tmp_path / "reader.pid"))  # before any worker starts
    made: list[ProcessSlots] = []

    def make(**kwargs: Any) -> ProcessSlots:
        readers = ProcessSlots(**kwargs)
        made.append(readers)
        monkeypatch.setattr(service, "shared_slots", lambda: readers)
        return readers

    yield make
    for readers in made:
        readers.shutdown()


async def test_while_a_large_file_is_read_no_connection_is_held_and_other_writes_go_on(
    client: httpx.AsyncClient, alice: dict[str, str], app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hostile but legal: one good row, then many rows that fail (more than are listed).
    junk = b"not a date,X,-1\n" * 20_000
    content = HEADER + b"2024-01-02,TEA,-2.00\n" + junk
    engine = app.state.database.engine
    reading, go_on = asyncio.Event(), asyncio.Event()
    held: list[int] = []
    real = service.shared_slots()

    class Gated:
        """The real readers, stopped at the start of the read until the test lets go."""

        retry_after = real.retry_after

        async def run(self, *args: Any) -> Any:
            held.append(engine.pool.checkedout())
            reading.set()
            await go_on.wait()
            return await real.run(*args)

    monkeypatch.setattr(service, "shared_slots", Gated)
    importing = asyncio.create_task(post_file(client, alice, "big.csv", content))
    async with asyncio.timeout(GUARD_SECONDS):
        await reading.wait()
        # Another write of the same user meanwhile: it would wait for the writer lock
        # (SQLite), or for a connection, if the import held either.
        lunch = await client.post(
            "/api/expenses/",
            headers=alice,
            json={"category": "food", "amount": "9.99", "date": "2024-01-02"},
        )
    assert lunch.status_code == 201, lunch.text
    assert held == [0]  # authentication's connection went back before the read
    go_on.set()
    answer = await importing
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["created"] == 1
    assert len(body["failed"]) == FAILED_LISTED  # listed up to the cap, in line order
    assert [f["line"] for f in body["failed"]] == list(range(3, 3 + FAILED_LISTED))
    assert len((await everything(client, alice))[0]) == 2


async def test_a_file_whose_first_rows_all_fail_is_refused_naming_file(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    junk = b"not a date,X,-1\n" * (START_FAILURES_MAX + 200)
    answer = await post_file(client, alice, "junk.csv", HEADER + junk + b"2024-01-02,TEA,-2.00\n")
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "file"]
    assert f"in its first {START_FAILURES_MAX} rows" in answer.text
    assert await everything(client, alice) == ([], [])
    # Fewer failed rows before the first good one: the file is read, the failures listed.
    some = b"not a date,X,-1\n" * 10
    fine = await post_file(client, alice, "ok.csv", HEADER + some + b"2024-01-02,TEA,-2.00\n")
    assert fine.status_code == 201, fine.text
    assert (fine.json()["created"], len(fine.json()["failed"])) == (1, 10)


async def test_a_read_past_its_time_limit_is_killed_and_refused_naming_file(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    slots: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    readers = slots(slots=1, limit=GUARD_SECONDS)
    # Started, with this module imported (slow on a loaded machine): the limit then
    # counts the read alone.
    pid = await readers.run(reader_pid)
    readers.limit = 2.0
    monkeypatch.setattr(service, "prepare", sleepy_prepare)
    answer = await post_file(client, alice, "slow.csv", HEADER + b"2024-01-02,TEA,-2.00\n")
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "file"]
    assert "could not be read within 2 seconds" in answer.text
    await until(lambda: process_gone(pid))  # the worker was killed, not left to sleep
    assert await everything(client, alice) == ([], [])
    # The slot starts a fresh worker for the next file.
    monkeypatch.setattr(service, "prepare", prepare_module.prepare)
    readers.limit = GUARD_SECONDS
    again = await post_file(client, alice, "fine.csv", HEADER + b"2024-01-02,TEA,-2.00\n")
    assert again.status_code == 201, again.text


async def test_an_upload_that_finds_every_reader_busy_is_503_with_retry_after(
    client: httpx.AsyncClient, alice: dict[str, str], slots: Any, tmp_path: Path
) -> None:
    readers = slots(slots=1, wait=0.05, retry_after=7)
    busy = asyncio.create_task(readers.run(sleepy_prepare))
    await until((tmp_path / "reader.pid").exists)  # the only reader is taken
    content = HEADER + b"2024-01-02,TEA,-2.00\n"
    answer = await post_file(client, alice, "s.csv", content)
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "7"
    assert await everything(client, alice) == ([], [])
    busy.cancel()  # the caller gave up: its worker is killed and the slot is free again
    with pytest.raises(asyncio.CancelledError):
        await busy
    again = await post_file(client, alice, "s.csv", content)
    assert again.status_code == 201, again.text


def test_what_a_read_hands_back_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare_module, "ROWS_MAX", 5)
    rows = b"".join(b"2024-01-%02d,SHOP,-1.00\n" % day for day in range(1, 7))
    refused = prepare_module.prepare(HEADER + rows, ImportOptions(), "EUR", ())
    assert isinstance(refused, Refused) and refused.field == "file"
    assert "more than 5 transactions" in refused.message
    read = prepare_module.prepare(
        HEADER + rows[: rows.index(b"2024-01-06")], ImportOptions(), "EUR", ()
    )
    assert not isinstance(read, Refused) and len(read.rows) == 5
