"""Many writers at once: every expense lands, counts and totals agree exactly."""

import asyncio
from decimal import Decimal

import httpx


async def test_100_concurrent_expense_posts_all_land(app, alice):
    amounts = [Decimal(f"{n}.{n % 100:02d}") for n in range(1, 101)]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as client:

        async def post(amount: Decimal) -> int:
            answer = await client.post(
                "/api/expenses/",
                headers=alice,
                json={"category": "load", "amount": str(amount), "date": "2026-06-15"},
            )
            return answer.status_code

        statuses = await asyncio.gather(*(post(a) for a in amounts))
        assert statuses == [201] * 100

        listed = await client.get("/api/expenses/?limit=1000", headers=alice)
        assert listed.headers["X-Total-Count"] == "100"
        assert len(listed.json()) == 100
        report = await client.get(
            "/api/reports/summary/?from=2026-06-01&to=2026-06-30", headers=alice
        )
        assert report.json(parse_float=Decimal)["total_expenses"] == sum(amounts)
