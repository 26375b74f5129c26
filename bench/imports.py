"""Statement import speed and memory, through the real API in process.

A generated bank CSV (semicolons, `1.234,56`, DD.MM.YYYY, like a German export) of 10,000
rows is POSTed to /api/imports/ on SQLite and on PostgreSQL; prints the seconds for the
request (read in a worker process, dedupe keys claimed, entries created, committed) and
for a second POST of the same file (all duplicates); the reader process is started before
the clock runs, and the seconds that took are printed apart. Then, on SQLite, the peak
memory traced in the serving process while importing 10,000 and 50,000 rows through the
service: it holds the read rows (compact tuples) until they are written; the worker's own
memory is not traced.
Usage: python bench/imports.py [--rows 10000] [--postgres URL] [--no-postgres]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.db import Database
from core.imports.pool import shared_slots
from core.imports.service import ImportOptions, import_statement
from core.models import User
from finbot.processes import create_app
from migrations import upgrade

MERCHANTS = ["REWE Markt GmbH", "UBER *TRIP 4X8Q", "Bäckerei Müller", "Amazon EU S.a.r.l."]
PASSWORD = "correct horse battery"


def statement(rows: int, offset: int = 0) -> bytes:
    lines = ['"Buchungstag";"Verwendungszweck";"Beguenstigter/Zahlungspflichtiger";"Betrag"']
    for index in range(offset, offset + rows):
        day, month = index % 28 + 1, index // 28 % 12 + 1
        cents = (index * 7919) % 250_000 - 200_000 or 1
        amount = f"{cents / 100:_.2f}".replace(".", ",").replace("_", ".")
        merchant = MERCHANTS[index % len(MERCHANTS)]
        lines.append(f'"{day:02d}.{month:02d}.2024";"Ref {index:08d}";"{merchant}";"{amount}"')
    return ("\n".join(lines) + "\n").encode()


async def timed_imports(url: str, rows: int, folder: Path) -> tuple[float, float, int]:
    settings = Settings(
        _env_file=None,
        database_url=url,
        storage_dir=folder / "data",
        public_url="http://finbot.test",
        secret_key="bench-secret-key",
        max_upload_bytes=100 * 1024 * 1024,
    )
    app = create_app(settings)
    content = statement(rows)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://finbot.test", timeout=120
        ) as client:
            body = {"username": "bench", "email": "bench@example.org", "password": PASSWORD}
            await client.post("/api/auth/signup/", json=body)
            login = await client.post(
                "/api/auth/login/", json={"username": "bench", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            started = time.perf_counter()
            await shared_slots().run(os.getpid)  # the reader's process, started once
            print(f"reader process started in {time.perf_counter() - started:.2f} s")
            files = {"file": ("statement.csv", content)}
            started = time.perf_counter()
            first = await client.post("/api/imports/", headers=headers, files=files)
            first_seconds = time.perf_counter() - started
            assert first.status_code == 201, first.text
            started = time.perf_counter()
            again = await client.post("/api/imports/", headers=headers, files=files)
            again_seconds = time.perf_counter() - started
            assert again.json()["duplicates"] == rows, again.text
            return first_seconds, again_seconds, first.json()["created"]
    finally:
        await app.state.database.dispose()


async def peak_memory(url: str, rows: int, offset: int) -> int:
    """Peak bytes traced while importing `rows` rows through the service (file on disk)."""
    database = Database(url)
    with tempfile.TemporaryFile() as source:
        source.write(statement(rows, offset))
        source.seek(0)
        async with database.session() as session:
            user = (await session.execute(select(User).limit(1))).scalar_one()
            tracemalloc.start()
            imported = await import_statement(
                session, user, source, "m.csv", 10**9, ImportOptions()
            )
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert imported.expenses + imported.incomes == rows
    await database.dispose()
    return peak


async def admin(url: str, sql: str) -> None:
    database = Database(url, isolation_level="AUTOCOMMIT")
    async with database.engine.connect() as conn:
        await conn.exec_driver_sql(sql)
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sqlite_url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        upgrade(sqlite_url)
        first, again, created = asyncio.run(timed_imports(sqlite_url, args.rows, folder))
        print(
            f"sqlite:     {created} rows imported in {first:.2f} s; "
            f"the same file again (all duplicates) in {again:.2f} s"
        )
        if not args.no_postgres:
            database = f"bench_imports_{uuid.uuid4().hex[:8]}"
            asyncio.run(admin(args.postgres, f'CREATE DATABASE "{database}"'))
            pg_url = make_url(args.postgres).set(database=database)
            url = pg_url.render_as_string(hide_password=False)
            try:
                upgrade(url)
                first, again, created = asyncio.run(timed_imports(url, args.rows, folder))
                print(
                    f"postgresql: {created} rows imported in {first:.2f} s; "
                    f"the same file again (all duplicates) in {again:.2f} s"
                )
            finally:
                asyncio.run(admin(args.postgres, f'DROP DATABASE "{database}" WITH (FORCE)'))
        offset = 1_000_000
        for rows in (10_000, 50_000):
            peak = asyncio.run(peak_memory(sqlite_url, rows, offset))
            offset += rows
            print(f"memory:     {rows:>6} rows imported with a peak of {peak / 1e6:6.2f} MB traced")


if __name__ == "__main__":
    main()
