"""Replay of the security review's HIGH findings (shared/reviews/2026-12-security.md)
against `finbot serve` as a real process (SQLite in a scratch directory, unless
--database-url), with the bot in long polling against a fake Bot API.

Each finding's input is sent once while another client polls GET /healthz every
50 ms. Prints, per input: the answer (HTTP status, or for H1 the bot's reply), the
wall time, and the median and max /healthz latency while it ran; a request that takes
longer than --timeout is "timeout", and the replay moves on. The last line is
`RESULT {json}` for tests/finbot/test_hostile_replay.py.

- H1: a chat message of "@" characters, sent to the bot (fake Bot API), over the 1,000-
  character limit; and one of exactly 1,000 (read, not refused as too long).
- H2: POST /api/imports/ of an OFX (`<STMTTRN></STMTTRN>` x N), an MT940 (`:61:` x N)
  and a CAMT.053 (`<a>` x N nested in an entry).
- H3: POST /api/imports/ of 64 KiB of newlines, and of `,"x` repeated.
- H4: a ~540-byte PDF of three blank pages of S x S points, uploaded to
  /api/documents/upload/, then GET /api/documents/{id}/reading/.
- H5: a PDF whose text layer has a line "a" + TAB x N + "x"; its reading.
- H6: K clients each trickle a POST /api/expenses/ body a byte at a time; meanwhile a
  normal GET /api/expenses/ is the answer timed.

--scale multiplies the review's sizes (each input stays past the limit it tests);
--full is --scale 1.
Usage: python bench/hostile.py [--scale 0.05 | --full] [--timeout 20] [--only H1,H4]
       [--database-url URL]
"""

import argparse
import asyncio
import contextlib
import functools
import io
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.fake_telegram import FakeTelegram
from tests.support.process import ServeProcess, clean_environment

TOKEN = "123456:HOSTILE-bench"
CHAT = 9_000_000 + uuid.uuid4().int % 1_000_000  # a chat no earlier run linked
PASSWORD = "a long hostile secret"
POLL_EVERY = 0.05
Action = Callable[[], Awaitable[tuple[str, str]]]  # (answer, the start of its body)


@dataclass
class Outcome:
    finding: str
    case: str
    size: str  # what was sent, in the review's terms
    answer: str  # an HTTP status, "too_long"/"read" for the bot, or "timeout"/"error: ..."
    seconds: float
    healthz_median_ms: float | None
    healthz_max_ms: float | None
    healthz_answered: int
    healthz_missed: int  # polls that got no answer within the timeout
    body: str = ""  # the start of the answer's body (an error names what was wrong)


# The inputs, built in full before anything is timed.


def ofx(records: int) -> bytes:
    header = (
        b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
        b"CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
    )
    return header + b"<OFX>" + b"<STMTTRN></STMTTRN>" * records


def mt940(lines: int) -> bytes:
    return b":20:X\n:25:Y\n" + b":61:\n" * lines


def camt053(depth: int) -> bytes:
    return (
        b"<Document><BkToCstmrStmt><Stmt><Ntry>"
        + b"<a>" * depth
        + b"</a>" * depth
        + b"</Ntry></Stmt></BkToCstmrStmt></Document>"
    )


def blank_pdf(side: int, pages: int = 3) -> bytes:
    """A PDF of `pages` empty pages of side x side points, written by hand (~540 bytes)."""
    kids = " ".join(f"{3 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        *[
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {side} {side}] >>".encode()
            for _ in range(pages)
        ],
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def tabbed_pdf(tabs: int) -> bytes:
    """A receipt-like text layer, and one line "a" + TAB x `tabs` + "x"."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(10, 20, "CORNER SHOP RECEIPT 2026-11-20")
    pdf.text(10, 30, "a" + "\t" * tabs + "x")
    return bytes(pdf.output())


# Measuring


class HealthPoller:
    """GET /healthz every POLL_EVERY seconds after the previous answer, on its own client."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self.latencies: list[float] = []
        self.missed = 0
        self._task: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout) as client:
            while True:
                began = time.perf_counter()
                try:
                    answer = await client.get("/healthz")
                    if answer.status_code == 200:
                        self.latencies.append(time.perf_counter() - began)
                    else:
                        self.missed += 1
                except httpx.HTTPError:
                    self.missed += 1
                await asyncio.sleep(POLL_EVERY)

    async def __aenter__(self) -> "HealthPoller":
        self._task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def measured(
    url: str,
    limit: float,
    finding: str,
    case: str,
    size: str,
    action: Action,
) -> Outcome:
    async with HealthPoller(url, limit) as health:
        began = time.perf_counter()
        body = ""
        try:
            answer, body = await asyncio.wait_for(action(), limit)
        except (TimeoutError, httpx.TimeoutException):
            answer = "timeout"
        except Exception as error:  # one finding's failure is its row, not the end
            answer, body = f"error: {type(error).__name__}", str(error)[:300]
        seconds = time.perf_counter() - began
        # One more poll after the answer: a loop that was frozen shows its last stall.
        await asyncio.sleep(POLL_EVERY * 2)
    latencies = [x * 1000 for x in health.latencies]
    return Outcome(
        finding=finding,
        case=case,
        size=size,
        answer=answer,
        seconds=round(seconds, 3),
        healthz_median_ms=round(statistics.median(latencies), 1) if latencies else None,
        healthz_max_ms=round(max(latencies), 1) if latencies else None,
        healthz_answered=len(latencies),
        healthz_missed=health.missed,
        body=body,
    )


# The replay


@dataclass
class Sizes:
    h1_chars: int
    ofx_records: int
    mt940_lines: int
    camt_depth: int
    newlines: int
    sniff_bytes: int
    pdf_side: int
    tabs: int
    slow_clients: int

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        def scaled(full: int, floor: int) -> int:
            return max(floor, round(full * scale))

        return cls(
            h1_chars=scaled(4096, 1024),  # Telegram's longest message; past the 1,000 limit
            ofx_records=scaled(500_000, 2_000),
            mt940_lines=scaled(2_000_000, 8_000),
            camt_depth=scaled(1_400_000, 5_000),  # about 10 MB, the upload cap
            newlines=scaled(65_536, 16_384),
            sniff_bytes=scaled(65_536, 16_384),
            # 4,000 pt is 278 MP at 300 dpi, and 69 MP even at 150 dpi: past 40 MP however
            # it is scaled (a smaller page may be read at a lower dpi, by OCR: slow, no bomb).
            pdf_side=scaled(14_400, 4_000),
            tabs=scaled(30_000, 1_500),
            slow_clients=scaled(24, 16),  # more than the admission gate's slots
        )


class Replay:
    def __init__(self, url: str, telegram: FakeTelegram, timeout: float) -> None:
        self.url, self.telegram, self.timeout = url, telegram, timeout
        self.client = httpx.AsyncClient(base_url=url, timeout=timeout)
        self.headers: dict[str, str] = {}

    async def sign_up(self) -> None:
        # A fresh name: the database may be one the caller keeps (--database-url).
        name = f"mallory{uuid.uuid4().hex[:8]}"
        body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
        signup = await self.client.post("/api/auth/signup/", json=body)
        assert signup.status_code == 201, signup.text
        login = await self.client.post("/api/auth/login/", json=body)
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}

    async def link_chat(self) -> None:
        code = (await self.client.post("/api/telegram/link/", headers=self.headers)).json()["code"]
        answer = await self.say(f"/start {code}")
        assert "linked" in answer, answer

    async def say(self, text: str) -> str:
        """The bot's reply to one private message (waits up to the timeout)."""
        before = len(self.telegram.sent(chat_id=CHAT))
        await self.telegram.push(self.telegram.message_update(CHAT, text))
        answers = await self.telegram.wait_for(chat_id=CHAT, count=before + 1, seconds=self.timeout)
        return str(answers[before].params["text"])

    async def chat(self, text: str) -> tuple[str, str]:
        try:
            reply = await self.say(text)
        except AssertionError:  # wait_for's way of saying no reply came in time
            return "timeout", ""
        return ("too_long" if "too long" in reply else "read"), reply[:300]

    async def upload_import(self, name: str, content: bytes) -> tuple[str, str]:
        files = {"file": (name, content, "application/octet-stream")}
        answer = await self.client.post("/api/imports/", headers=self.headers, files=files)
        return str(answer.status_code), answer.text[:300]

    async def reading_of_pdf(self, content: bytes) -> tuple[str, str]:
        files = {"file": ("receipt.pdf", content, "application/pdf")}
        upload = await self.client.post("/api/documents/upload/", headers=self.headers, files=files)
        if upload.status_code != 201:
            return f"upload {upload.status_code}", upload.text[:300]
        document_id = upload.json()["document_id"]
        reading = await self.client.get(
            f"/api/documents/{document_id}/reading/", headers=self.headers
        )
        return str(reading.status_code), reading.text[:300]

    async def slow_clients(self, count: int) -> tuple[str, str]:
        """`count` connections trickle a POST body; a normal gated request's status."""
        host, port = self.url.removeprefix("http://").split(":")
        writers: list[asyncio.StreamWriter] = []
        stop = asyncio.Event()

        async def trickle() -> None:
            try:
                _, writer = await asyncio.open_connection(host, int(port))
            except OSError:
                return
            writers.append(writer)
            writer.write(
                b"POST /api/expenses/ HTTP/1.1\r\nHost: finbot\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
            while not stop.is_set():
                try:
                    writer.write(b" ")
                    await writer.drain()
                except OSError:
                    return  # the server closed it: what the fix may well do
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1)

        tasks = [asyncio.create_task(trickle()) for _ in range(count)]
        try:
            await asyncio.sleep(0.5)  # every slow client has sent its headers
            answer = await self.client.get("/api/expenses/", headers=self.headers)
            retry = answer.headers.get("Retry-After")
            return str(answer.status_code), f"Retry-After: {retry}" if retry else ""
        finally:
            stop.set()
            for writer in writers:
                writer.close()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def settled(self, seconds: float = 120) -> None:
        """Until /healthz answers at once: a request given up on may still hold the server,
        and the next finding is timed on its own."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await self.client.get("/healthz", timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
        print(f"(the server did not settle within {seconds:.0f} s)", flush=True)

    async def run(self, sizes: Sizes, only: set[str]) -> list[Outcome]:
        await self.sign_up()
        await self.link_chat()
        cases: list[tuple[str, str, str, Action]] = []

        def case(finding: str, name: str, size: str, action: Action) -> None:
            if not only or finding in only:
                cases.append((finding, name, size, action))

        over = "@" * sizes.h1_chars
        case("H1", "chat over the limit", f"'@' x {sizes.h1_chars}", lambda: self.chat(over))
        case("H1", "chat at the limit", "'@' x 1000", lambda: self.chat("@" * 1000))
        files = {
            "ofx": ofx(sizes.ofx_records),
            "mt940": mt940(sizes.mt940_lines),
            "camt": camt053(sizes.camt_depth),
            "newlines": b"\n" * sizes.newlines,
            "sniff": (b',"x' * (sizes.sniff_bytes // 3 + 1))[: sizes.sniff_bytes],
        }
        for name, label, count in [
            ("ofx", "OFX <STMTTRN> x N", sizes.ofx_records),
            ("mt940", "MT940 :61: x N", sizes.mt940_lines),
            ("camt", "CAMT.053 <a> x N", sizes.camt_depth),
        ]:
            content = files[name]
            size = f"N={count:,} ({len(content) / 1e6:.2f} MB)"
            case("H2", label, size, functools.partial(self.upload_import, f"s.{name}", content))
        case(
            "H3",
            "newlines",
            f"{sizes.newlines:,} B",
            lambda: self.upload_import("s.txt", files["newlines"]),
        )
        case(
            "H3",
            'sniffer ,"x',
            f"{sizes.sniff_bytes:,} B",
            lambda: self.upload_import("s.csv", files["sniff"]),
        )
        bomb = blank_pdf(sizes.pdf_side)
        case(
            "H4",
            "PDF render bomb reading",
            f"3 pages {sizes.pdf_side} pt ({len(bomb)} B)",
            lambda: self.reading_of_pdf(bomb),
        )
        tabbed = tabbed_pdf(sizes.tabs)
        case(
            "H5",
            "PDF tab line reading",
            f"TAB x {sizes.tabs:,}",
            lambda: self.reading_of_pdf(tabbed),
        )
        case(
            "H6",
            "slow clients, then GET",
            f"K={sizes.slow_clients}",
            lambda: self.slow_clients(sizes.slow_clients),
        )
        outcomes = []
        for finding, name, size, action in cases:
            await self.settled()
            outcome = await measured(self.url, self.timeout, finding, name, size, action)
            print_row(outcome)
            outcomes.append(outcome)
        return outcomes


HEAD = (
    f"{'':3} {'input':26} {'size':30} {'answer':>10} {'seconds':>8}"
    f" {'healthz median ms':>18} {'max ms':>9} {'polls':>7}"
)


def print_row(outcome: Outcome) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    polls = f"{outcome.healthz_answered}" + (
        f"/{outcome.healthz_missed}!" if outcome.healthz_missed else ""
    )
    print(
        f"{outcome.finding:3} {outcome.case:26} {outcome.size:30} {outcome.answer:>10}"
        f" {outcome.seconds:8.2f} {ms(outcome.healthz_median_ms):>18}"
        f" {ms(outcome.healthz_max_ms):>9} {polls:>7}",
        flush=True,
    )


async def main(args: argparse.Namespace) -> list[Outcome]:
    scale = 1.0 if args.full else args.scale
    sizes = Sizes.at(scale)
    only = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    telegram = await FakeTelegram().start()
    with tempfile.TemporaryDirectory(prefix="finbot-hostile-") as folder:
        server = ServeProcess(Path(folder) / "serve")
        extra = {
            "FINBOT_TELEGRAM_BOT_TOKEN": TOKEN,
            "FINBOT_TELEGRAM_API_URL": telegram.url,
            "FINBOT_PUBLIC_URL": server.url,
            "FINBOT_LOG_LEVEL": "warning",
        }
        if args.database_url:
            extra["FINBOT_DATABASE_URL"] = args.database_url
        server.env = clean_environment(**extra)
        # The server's start polls synchronously; the fake Bot API must keep answering.
        await asyncio.to_thread(server.__enter__)
        replay = Replay(server.url, telegram, args.timeout)
        try:
            print(f"finbot serve at {server.url}; scale {scale}; timeout {args.timeout} s")
            print(HEAD, flush=True)
            return await replay.run(sizes, only)
        finally:
            await replay.client.aclose()
            await asyncio.to_thread(server.stop)
            await telegram.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05, help="of the review's sizes")
    parser.add_argument("--full", action="store_true", help="the review's sizes (--scale 1)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
    parser.add_argument("--only", default="", help="findings to replay, e.g. H1,H4")
    parser.add_argument("--database-url", default="", help="default: SQLite in a scratch dir")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    results = asyncio.run(main(arguments))
    payload: dict[str, Any] = {"results": [asdict(outcome) for outcome in results]}
    print("RESULT " + json.dumps(payload), flush=True)
