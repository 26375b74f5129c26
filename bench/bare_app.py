"""The baseline for bench/api.py: bare Starlette with the same driver (aiosqlite or
asyncpg) and no ORM, no validation framework, no dependency injection.

Two routes, so that the report can show both comparisons:
- /plain/expenses/: a plain INSERT or SELECT of a few columns, in autocommit: the floor;
- /api/expenses/: the same SQL finbot runs for the request, statement for statement:
  finbot's own statements (the token lookup, the page with its total and has-documents
  flags, the INSERT whose RETURNING says whether a budget watches the category),
  compiled here for the driver, with the same round trips (a read runs before any
  BEGIN; a write opens the transaction), and an answer of the same fields.
"""

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy.dialects import postgresql, sqlite
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.auth.repository import _USER_FOR_TOKEN
from core.expenses.repository import _INSERT, _PAGE

URL = os.environ["BENCH_BARE_URL"]  # "sqlite:///path" or "postgresql://..."
USER_ID = int(os.environ.get("BENCH_BARE_USER_ID", "1"))
# An expense in the base currency: its base_amount is its amount, its rate_date its date.
PLAIN_INSERT = (
    "INSERT INTO expenses (user_id, category, amount, currency, base_amount, rate_date, date,"
    " description, created_at) VALUES ({p}) RETURNING id"
)
PLAIN_SELECT = (
    "SELECT id, user_id, category, amount, date, description FROM expenses "
    "WHERE user_id = {p} ORDER BY date DESC, id DESC LIMIT 20"
)
TOKEN_TTL = timedelta(days=30)


def compiled(statement: Any, sqlite_driver: bool) -> tuple[str, tuple[str, ...]]:
    """A finbot statement's SQL for the driver, and its parameters' names in order."""
    dialect = sqlite.dialect(paramstyle="qmark") if sqlite_driver else postgresql.asyncpg.dialect()
    done = statement.compile(dialect=dialect)
    return str(done), tuple(done.positiontup or ())


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
    sqlite_driver = "sqlite" in state
    for name, hot in (("who", _USER_FOR_TOKEN), ("page", _PAGE), ("insert", _INSERT)):
        state[name] = compiled(hot.statement, sqlite_driver)
    yield
    if "sqlite" in state:
        await state["sqlite"].close()
    else:
        await state["pg"].close()


def _plain_row(row: Any, thousandths: bool) -> dict[str, Any]:
    amount = Decimal(row[3]).scaleb(-3) if thousandths else row[3]
    day = row[4] if isinstance(row[4], str) else row[4].isoformat()
    return {
        "id": row[0],
        "user_id": row[1],
        "category": row[2],
        "amount": float(amount),
        "date": day,
        "description": row[5],
    }


async def _plain_sqlite(body: Any) -> Any:
    conn = state["sqlite"]
    async with state["lock"]:
        if body is None:
            async with conn.execute(PLAIN_SELECT.format(p="?"), (USER_ID,)) as cursor:
                return [_plain_row(r, thousandths=True) for r in await cursor.fetchall()]
        args = (USER_ID, body["category"], int(body["amount"] * 1000), body["date"].isoformat(), "")
        sql = PLAIN_INSERT.format(p="?1, ?2, ?3, 'EUR', ?3, ?4, ?4, ?5, datetime('now')")
        async with conn.execute(sql, args) as cursor:
            return (await cursor.fetchone())[0]


async def _plain_postgres(body: Any) -> Any:
    async with state["pg"].acquire() as conn:
        if body is None:
            rows = await conn.fetch(PLAIN_SELECT.format(p="$1"), USER_ID)
            return [_plain_row(r, thousandths=False) for r in rows]
        sql = PLAIN_INSERT.format(p="$1, $2, $3, 'EUR', $3, $4, $4, $5, now()")
        return await conn.fetchval(sql, USER_ID, body["category"], body["amount"], body["date"], "")


def _number(value: Any) -> Any:
    return None if value is None else float(value)


def _expense(row: Any, thousandths: bool) -> dict[str, Any]:
    """An expense as finbot answers it (its fields, in its order)."""
    amount, base = row[3], row[5]
    if thousandths:
        amount, base = Decimal(amount).scaleb(-3), Decimal(base).scaleb(-3)
    return {
        "id": row[0],
        "user_id": row[1],
        "category": row[2],
        "amount": _number(amount),
        "currency": row[4],
        "base_amount": _number(base),
        "rate_date": str(row[6]),
        "date": str(row[7]),
        "description": row[8],
        "document_ids": [],
        "tags": [],
        "split": None,
        "household_id": row[9],
    }


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _new_expense(user_id: int, category: str, amount: Any, day: Any, now: Any) -> dict[str, Any]:
    """finbot's INSERT parameters for an expense in the base currency (amount and day as
    the driver takes them)."""
    return {
        "new_user_id": user_id,
        "new_category": category,
        "new_amount": amount,
        "new_currency": "EUR",
        "new_base_amount": amount,
        "new_rate_date": day,
        "new_date": day,
        "new_description": "",
        "new_created_at": now,
    }


def _arguments(names: tuple[str, ...], values: dict[str, Any]) -> list[Any]:
    return [values[name] for name in names]


async def _same_sql_sqlite(token: str, body: Any, limit: int) -> tuple[Any, int]:
    conn = state["sqlite"]
    who_sql, who_names = state["who"]
    digest = hashlib.sha256(token.encode()).hexdigest()
    since = _sqlite_time(_now() - TOKEN_TTL)
    async with state["lock"]:
        values: dict[str, Any] = {"token_hash": digest, "used_since": since}
        async with conn.execute(who_sql, _arguments(who_names, values)) as cursor:
            user = await cursor.fetchone()
        if body is None:
            page_sql, page_names = state["page"]
            values = {"owner_id": user[0], "limit": limit, "offset": 0}
            async with conn.execute(page_sql, _arguments(page_names, values)) as cursor:
                rows = await cursor.fetchall()
            return [_expense(r, thousandths=True) for r in rows], rows[0][-1] if rows else 0
        insert_sql, insert_names = state["insert"]
        thousandths = int(body["amount"] * 1000)
        day = body["date"].isoformat()
        values = _new_expense(user[0], body["category"], thousandths, day, _sqlite_time(_now()))
        await conn.execute("BEGIN IMMEDIATE")
        async with conn.execute(insert_sql, _arguments(insert_names, values)) as cursor:
            new_id = (await cursor.fetchone())[0]
        await conn.execute("COMMIT")
        row = (new_id, user[0], body["category"], thousandths, "EUR", thousandths, day, day)
        return _expense((*row, "", None), thousandths=True), 1


async def _same_sql_postgres(token: str, body: Any, limit: int) -> tuple[Any, int]:
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with state["pg"].acquire() as conn:
        who_sql, who_names = state["who"]
        values: dict[str, Any] = {"token_hash": digest, "used_since": _now() - TOKEN_TTL}
        user = await conn.fetchrow(who_sql, *_arguments(who_names, values))
        if body is None:
            page_sql, page_names = state["page"]
            values = {"owner_id": user[0], "limit": limit, "offset": 0}
            rows = await conn.fetch(page_sql, *_arguments(page_names, values))
            return [_expense(r, thousandths=False) for r in rows], rows[0][-1] if rows else 0
        insert_sql, insert_names = state["insert"]
        day = body["date"]
        values = _new_expense(user[0], body["category"], body["amount"], day, _now())
        async with conn.transaction():
            new_id = await conn.fetchval(insert_sql, *_arguments(insert_names, values))
        row = (new_id, user[0], body["category"], body["amount"], "EUR", body["amount"], day, day)
        return _expense((*row, "", None), thousandths=False), 1


def _answer(payload: Any, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload), status_code, headers=headers, media_type="application/json"
    )


def endpoint(same_sql: bool) -> Callable[[Request], Awaitable[Response]]:
    async def expenses(request: Request) -> Response:
        body = None
        if request.method == "POST":
            raw = await request.json()
            body = {
                "category": raw["category"],
                "amount": Decimal(str(raw["amount"])),
                "date": date.fromisoformat(raw["date"]),
            }
        sqlite_driver = "sqlite" in state
        if not same_sql:
            run = _plain_sqlite if sqlite_driver else _plain_postgres
            result = await run(body)
            if body is None:
                return JSONResponse(result)
            return JSONResponse({"id": result, "amount": float(body["amount"])}, status_code=201)
        token = request.headers["authorization"].removeprefix("Bearer ")
        limit = int(request.query_params.get("limit", "100"))
        same = _same_sql_sqlite if sqlite_driver else _same_sql_postgres
        answer, total = await same(token, body, limit)
        if body is None:
            return _answer(answer, 200, {"X-Total-Count": str(total)})
        return _answer(answer, 201)

    return expenses


app = Starlette(
    routes=[
        Route("/api/expenses/", endpoint(same_sql=True), methods=["GET", "POST"]),
        Route("/plain/expenses/", endpoint(same_sql=False), methods=["GET", "POST"]),
    ],
    lifespan=lifespan,
)
