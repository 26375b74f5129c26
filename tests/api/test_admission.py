"""FIFO admission: at most `limit` short requests of a process run at once, the rest in
arrival order; files, passwords and the WebSocket are never queued."""

import asyncio
from typing import Any

import httpx

from api.admission import FifoAdmission, admitted_at_once


def counting_app():
    state: dict[str, Any] = {"running": 0, "most": 0, "order": []}

    async def app(scope, receive, send):
        state["running"] += 1
        state["most"] = max(state["most"], state["running"])
        state["order"].append(scope["path"])
        await asyncio.sleep(0.02)
        state["running"] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app, state


def gated_client(app: Any, limit: int) -> httpx.AsyncClient:
    gated = FifoAdmission(app, limit=limit)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gated), base_url="http://t")


async def test_at_most_the_limit_run_at_once_and_in_arrival_order():
    app, state = counting_app()
    async with gated_client(app, limit=3) as client:
        paths = [f"/api/expenses/{n}/" for n in range(12)]
        tasks = []
        for path in paths:
            tasks.append(asyncio.create_task(client.get(path)))
            await asyncio.sleep(0.001)  # arrival order
        answers = await asyncio.gather(*tasks)
    assert [a.status_code for a in answers] == [200] * 12
    assert state["most"] == 3
    assert state["order"] == paths


async def test_files_and_passwords_are_never_queued():
    app, state = counting_app()
    async with gated_client(app, limit=1) as client:
        paths = ["/api/imports/", "/api/documents/", "/api/export/", "/api/auth/login/"] * 2
        await asyncio.gather(*(client.get(path) for path in paths))
    assert state["most"] == len(paths)


def test_the_app_admits_by_its_database_fewer_at_once_on_sqlite(settings):
    """SQLite's writers take turns on one lock: more in flight would only queue there;
    PostgreSQL serves several at once."""
    from finbot.processes import create_app

    app = create_app(settings)
    [gate] = [m for m in app.user_middleware if m.cls is FifoAdmission]
    expected = 6 if settings.database_url.startswith("sqlite") else 12
    assert gate.kwargs["limit"] == admitted_at_once(settings.database_url) == expected
    assert admitted_at_once("sqlite+aiosqlite:///finbot.db") < admitted_at_once(
        "postgresql+asyncpg://postgres@127.0.0.1/finbot"
    )
