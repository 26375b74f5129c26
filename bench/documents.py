"""Document throughput and memory: upload and fetch files through `finbot serve`,
on the local store and on S3 (a moto_server process).

For each store: 200 files of 1 MB (and 25 of 8 MB, to show that memory does not
grow with file size), 8 at a time. Prints upload and fetch MB/s, and the server
process's peak RSS (VmHWM) after each size: streaming keeps it flat.
Usage: python bench/documents.py [--files N] [--repeats R]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, clean_env, free_port, median, start, stop
from migrations import upgrade
from tests.support.moto import start_moto

CONCURRENCY = 8
MB = 1024 * 1024


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_size(url: str, token: str, size: int, count: int) -> tuple[float, float]:
    payload = os.urandom(size)
    headers = {"Authorization": f"Bearer {token}"}
    gate = asyncio.Semaphore(CONCURRENCY)
    links: list[str] = []
    async with aiohttp.ClientSession(url, headers=headers) as http:

        async def put(n: int) -> None:
            form = aiohttp.FormData()
            form.add_field("file", payload, filename=f"f{n}.bin")
            async with gate, http.post("/api/documents/upload/", data=form) as answer:
                assert answer.status == 201, await answer.text()
                links.append((await answer.json())["url"])

        began = time.perf_counter()
        await asyncio.gather(*(put(n) for n in range(count)))
        upload_rate = count * size / MB / (time.perf_counter() - began)

    async with aiohttp.ClientSession() as plain:

        async def get(link: str) -> None:
            async with gate, plain.get(link) as answer:
                assert answer.status == 200
                received = 0
                async for chunk in answer.content.iter_chunked(MB):
                    received += len(chunk)
                assert received == size

        began = time.perf_counter()
        await asyncio.gather(*(get(link) for link in links))
        fetch_rate = count * size / MB / (time.perf_counter() - began)
    return upload_rate, fetch_rate


def bench_store(label: str, workdir: Path, extra: dict[str, str], args: argparse.Namespace) -> None:
    database = f"sqlite+aiosqlite:///{workdir}/{label}.db"
    upgrade(database)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = clean_env(
        FINBOT_DATABASE_URL=database,
        FINBOT_PUBLIC_URL=url,
        FINBOT_STORAGE_DIR=str(workdir / f"{label}-data"),
        FINBOT_LOG_LEVEL="warning",
        FINBOT_MAX_UPLOAD_BYTES=str(64 * MB),
        **extra,
    )
    server = start(
        [str(BIN / "finbot"), "serve", "--port", str(port)], workdir, env, f"{url}/healthz"
    )
    try:
        body = {"username": "docbench", "email": "d@example.org", "password": "bench password"}
        httpx.post(f"{url}/api/auth/signup/", json=body).raise_for_status()
        token = httpx.post(f"{url}/api/auth/login/", json=body).json()["token"]
        for size, count in ((MB, args.files), (8 * MB, max(1, args.files // 8))):
            runs = [asyncio.run(run_size(url, token, size, count)) for _ in range(args.repeats)]
            up = median([r[0] for r in runs])
            down = median([r[1] for r in runs])
            rss = peak_rss_mb(server.pid)
            print(
                f"{label:6} {count:4} x {size // MB} MB   upload {up:7.1f} MB/s   "
                f"fetch {down:7.1f} MB/s   server peak RSS {rss:6.1f} MB"
            )
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bench_store("local", workdir, {}, args)

        moto, endpoint = start_moto()
        credentials = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        try:
            os.environ.update(credentials)
            boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
            bench_store(
                "s3",
                workdir,
                {"FINBOT_S3_BUCKET": "bench", "FINBOT_S3_ENDPOINT_URL": endpoint, **credentials},
                args,
            )
        finally:
            moto.terminate()
            moto.wait()


if __name__ == "__main__":
    main()
