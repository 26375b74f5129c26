"""Chat throughput: 2,000 text updates ("coffee 4.50") posted to finbot's webhook
(`finbot serve` in webhook mode, against a fake Bot API server), beside a bare
aiogram echo bot doing the same round trip. 50 chats, one update in flight per
chat. Prints updates/s, p50/p99 from posting the update to its reply having
reached the Bot API, the server's CPU time per update, and the ratio (median of
repeats). Then a steady run:
30 updates/s (Telegram's own per-bot send limit) spread over the 50 chats, for
--steady seconds; its reply p50/p99 is what a person in a busy bot feels.
With --workers N, `finbot serve --workers N` (every worker takes updates in webhook
mode; their conversation state is shared through Redis, --redis).
Usage: python bench/bot.py [--updates N] [--repeats R] [--steady S] [--database URL]
       [--workers N] [--redis URL]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, clean_env, free_port, median, percentile, start, stop
from migrations import upgrade
from tests.support.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-token"
SECRET = "bench-secret"
CHATS = 50


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its children (workers) have used so far,
    from Linux's /proc."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, ticks = {pid}, 0
    for _ in range(3):  # serve → uvicorn's workers (and their helpers)
        tree |= {child for child, (parent, _) in stats.items() if parent in tree}
    ticks = sum(stats[member][1] for member in tree if member in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


async def drive(
    telegram: FakeTelegram, url: str, updates: int, headers: dict[str, str], pid: int
) -> tuple[float, list[float], float]:
    """Updates/s, each update's latency, and the server's CPU milliseconds per update."""
    latencies: list[float] = []
    cpu_before = cpu_seconds(pid)
    per_chat = updates // CHATS
    async with aiohttp.ClientSession(headers=headers) as http:

        async def chat(chat_id: int) -> None:
            for _ in range(per_chat):
                update = telegram.message_update(chat_id, "coffee 4.50")
                before = telegram.messages_to(chat_id)
                began = time.perf_counter()
                async with http.post(url, json=update) as answer:
                    assert answer.status == 200, await answer.text()
                    # Telegram makes the call a webhook's answer carries
                    await telegram.webhook_answered(answer.content_type, await answer.read())
                await telegram.replied(chat_id, before + 1)
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(chat(1000 + n) for n in range(CHATS)))
        elapsed = time.perf_counter() - began
        cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / (per_chat * CHATS)
        return per_chat * CHATS / elapsed, latencies, cpu_ms


STEADY_RATE = 30  # updates/s


async def steady(
    telegram: FakeTelegram, url: str, seconds: float, headers: dict[str, str]
) -> list[float]:
    """Updates sent on a fixed clock, whatever the replies do; each one's latency."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(headers=headers) as http:

        async def one(chat_id: int) -> None:
            update = telegram.message_update(chat_id, "coffee 4.50")
            before = telegram.messages_to(chat_id)
            began = time.perf_counter()
            async with http.post(url, json=update) as answer:
                assert answer.status == 200, await answer.text()
                # Telegram makes the call a webhook's answer carries
                await telegram.webhook_answered(answer.content_type, await answer.read())
            await telegram.replied(chat_id, before + 1)
            latencies.append(time.perf_counter() - began)

        tasks = []
        start_at = time.perf_counter()
        for n in range(int(seconds * STEADY_RATE)):
            delay = start_at + n / STEADY_RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(1000 + n % CHATS)))
        await asyncio.gather(*tasks)
    return latencies


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    telegram = await FakeTelegram().start()
    database = args.database or f"sqlite+aiosqlite:///{workdir}/bot.db"
    port, echo_port = free_port(), free_port()
    webhook = f"http://127.0.0.1:{port}/api/telegram/webhook/"
    env = clean_env(
        FINBOT_DATABASE_URL=database,
        FINBOT_TELEGRAM_BOT_TOKEN=TOKEN,
        FINBOT_TELEGRAM_API_URL=telegram.url,
        FINBOT_TELEGRAM_WEBHOOK_URL=webhook,
        FINBOT_TELEGRAM_WEBHOOK_SECRET=SECRET,
        FINBOT_STORAGE_DIR=str(workdir / "data"),
        FINBOT_LOG_LEVEL="warning",
    )
    if args.workers > 1:
        env["FINBOT_REDIS_URL"] = args.redis
    command = [str(BIN / "finbot"), "serve", "--port", str(port), "--no-scheduler"]
    finbot = await asyncio.to_thread(
        start, [*command, "--workers", str(args.workers)], workdir, env,
        f"http://127.0.0.1:{port}/healthz",
    )  # fmt: skip
    echo_env = clean_env(
        ECHO_TOKEN=TOKEN, ECHO_API_URL=telegram.url, ECHO_PORT=str(echo_port),
        PYTHONPATH=str(ROOT),
    )  # fmt: skip
    echo = await asyncio.to_thread(
        start, [sys.executable, "-m", "bench.echo_bot"], workdir, echo_env,
        f"http://127.0.0.1:{echo_port}/",
    )  # fmt: skip
    hook_headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with aiohttp.ClientSession(headers=hook_headers) as http:
            for n in range(CHATS):  # every chat has an account before the clock starts
                async with http.post(webhook, json=telegram.message_update(1000 + n, "/start")):
                    pass
        runs: dict[str, list[tuple[float, list[float], float]]] = {"finbot": [], "echo": []}
        for _ in range(args.repeats):
            runs["finbot"].append(
                await drive(telegram, webhook, args.updates, hook_headers, finbot.pid)
            )
            runs["echo"].append(
                await drive(
                    telegram, f"http://127.0.0.1:{echo_port}/webhook", args.updates, {}, echo.pid
                )
            )
        steady_latencies = await steady(telegram, webhook, args.steady, hook_headers)
    finally:
        await asyncio.to_thread(stop, finbot)
        await asyncio.to_thread(stop, echo)
        await telegram.stop()
    rates = {}
    for name, measured in runs.items():
        rates[name] = median([r for r, _, _ in measured])
        p50 = median([percentile(lat, 0.5) for _, lat, _ in measured]) * 1000
        p99 = median([percentile(lat, 0.99) for _, lat, _ in measured]) * 1000
        cpu = median([cpu for _, _, cpu in measured])
        print(
            f"{name:7} {rates[name]:7.0f} updates/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
            f"   cpu {cpu:5.2f} ms/update"
        )
    print(f"ratio   {rates['finbot'] / rates['echo']:.2f} (finbot / bare aiogram echo, updates/s)")
    if not steady_latencies:
        return
    print(
        f"steady  {STEADY_RATE} updates/s over {CHATS} chats, {len(steady_latencies)} updates: "
        f"p50 {percentile(steady_latencies, 0.5) * 1000:6.1f} ms   "
        f"p99 {percentile(steady_latencies, 0.99) * 1000:6.1f} ms (limit 100)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steady", type=float, default=20, help="seconds of the steady run")
    parser.add_argument("--database", help="a SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="finbot serve --workers")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="with --workers > 1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(os.environ.get("BENCH_WORKDIR", tmp))
        upgrade(args.database or f"sqlite+aiosqlite:///{workdir}/bot.db")
        asyncio.run(main_async(args, workdir))


if __name__ == "__main__":
    main()
