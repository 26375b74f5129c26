"""The baseline for bench/api.py: bare Starlette with the same driver (aiosqlite or
asyncpg) and no ORM, no validation framework, no dependency injection.

Two routes, so that the report can show both comparisons:
- /plain/expenses/: only the INSERT or the SELECT, in autocommit;
- /api/expenses/: the same SQL work finbot does for the request, in one
  transaction: look up the bearer token's user, then INSERT or SELECT.
"""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import aiosqlite
import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

URL = os.environ["BENCH_BARE_URL"]  # "sqlite:///path" or "postgresql://..."
USER_ID = int(os.environ.get("BENCH_BARE_USER_ID", "1"))
# An expense in the base currency: its base_amount is its amount, its rate_date its date.
INSERT = (
    "INSERT INTO expenses (user_id, category, amount, currency, base_amount, rate_date, date,"
    " description, created_at) VALUES ({p}) RETURNING id"
)
SELECT = (
    "SELECT id, user_id, category, amount, date, description FROM expenses "
    "WHERE user_id = {p} ORDER BY date DESC, id DESC LIMIT 20"
)
WHO = (
    "SELECT users.id FROM users JOIN auth_tokens ON auth_tokens.user_id = users.id "
    "WHERE auth_tokens.token_hash = {p}"
)
state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    if URL.startswith("sqlite"):
        conn = await aiosqlite.connect(URL.removeprefix("sqlite:///"), isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=30000")
        state["sqlite"] = conn
        # One connection, one unit of work at a time (aiosqlite shares a thread anyway).
        state["lock"] = asyncio.Lock()
    else:
        state["pg"] = await asyncpg.create_pool(URL, min_size=5, max_size=20)
    yield
    if "sqlite" in state:
        await state["sqlite"].close()
    else:
        await state["pg"].close()


def _row(row: Any, cents: bool) -> dict[str, Any]:
    amount = Decimal(row[3]).scaleb(-3) if cents else row[3]  # SQLite: integer thousandths
    day = row[4] if isinstance(row[4], str) else row[4].isoformat()
    return {
        "id": row[0],
        "user_id": row[1],
        "category": row[2],
        "amount": float(amount),
        "date": day,
        "description": row[5],
    }


async def _sqlite(request: Request, body: Any, with_auth: bool) -> Any:
    conn = state["sqlite"]
    async with state["lock"]:
        if with_auth:
            await conn.execute("BEGIN")
            token = request.headers["authorization"].removeprefix("Bearer ")
            digest = hashlib.sha256(token.encode()).hexdigest()
            async with conn.execute(WHO.format(p="?"), (digest,)) as cursor:
                user_id = (await cursor.fetchone())[0]
        else:
            user_id = USER_ID
        if body is None:
            async with conn.execute(SELECT.format(p="?"), (user_id,)) as cursor:
                result: Any = [_row(r, cents=True) for r in await cursor.fetchall()]
        else:
            args = (
                user_id,
                body["category"],
                int(body["amount"] * 1000),
                body["date"].isoformat(),
                "",
            )
            sql = INSERT.format(p="?1, ?2, ?3, 'EUR', ?3, ?4, ?4, ?5, datetime('now')")
            async with conn.execute(sql, args) as cursor:
                result = (await cursor.fetchone())[0]
        if with_auth:
            await conn.execute("COMMIT")
    return result


async def _postgres(request: Request, body: Any, with_auth: bool) -> Any:
    async with state["pg"].acquire() as conn:
        transaction = conn.transaction() if with_auth else None
        if transaction is not None:
            await transaction.start()
            token = request.headers["authorization"].removeprefix("Bearer ")
            digest = hashlib.sha256(token.encode()).hexdigest()
            user_id = await conn.fetchval(WHO.format(p="$1"), digest)
        else:
            user_id = USER_ID
        if body is None:
            result: Any = [
                _row(r, cents=False) for r in await conn.fetch(SELECT.format(p="$1"), user_id)
            ]
        else:
            sql = INSERT.format(p="$1, $2, $3, 'EUR', $3, $4, $4, $5, now()")
            result = await conn.fetchval(
                sql, user_id, body["category"], body["amount"], body["date"], ""
            )
        if transaction is not None:
            await transaction.commit()
    return result


def endpoint(with_auth: bool) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def expenses(request: Request) -> JSONResponse:
        body = None
        if request.method == "POST":
            raw = await request.json()
            body = {
                "category": raw["category"],
                "amount": Decimal(str(raw["amount"])),
                "date": date.fromisoformat(raw["date"]),
            }
        run = _sqlite if "sqlite" in state else _postgres
        result = await run(request, body, with_auth)
        if body is None:
            return JSONResponse(result)
        return JSONResponse({"id": result, "amount": float(body["amount"])}, status_code=201)

    return expenses


app = Starlette(
    routes=[
        Route("/api/expenses/", endpoint(with_auth=True), methods=["GET", "POST"]),
        Route("/plain/expenses/", endpoint(with_auth=False), methods=["GET", "POST"]),
    ],
    lifespan=lifespan,
)
