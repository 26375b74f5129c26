"""The scheduler's jobs with the clock moved: each notification once, only where due."""

import asyncio
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import (
    AuthToken,
    Budget,
    Expense,
    Goal,
    Income,
    LoginFailure,
    Notification,
    PasswordReset,
    TelegramLinkCode,
    User,
)
from scheduler import jobs
from scheduler.jobs import run_job
from tests.conftest import aiosqlite_threads_finished
from tests.support.process import clean_environment, finbot_command


@pytest.fixture
async def db(app) -> Database:
    return app.state.database


async def add_user(db: Database, name: str, timezone: str = "UTC", **flags: bool) -> int:
    async with db.session() as session:
        user = User(username=name, email=f"{name}@example.org", timezone=timezone, **flags)
        session.add(user)
        await session.flush()
        return user.id


async def bulk(db: Database, *rows: object) -> None:
    """Straight into the tables, as a bulk import would: no service, no alerts."""
    async with db.session() as session:
        session.add_all(rows)


async def notes(db: Database, kind: str | None = None) -> list[Notification]:
    async with db.session() as session:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list((await session.execute(query)).scalars())


def expense(user_id: int, amount: str, day: date, category: str = "food") -> Expense:
    return Expense(user_id=user_id, category=category, amount=Decimal(amount), date=day)


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


async def test_budget_sweep_alerts_imported_spending_once_per_period(db):
    ana = await add_user(db, "ana")
    bob = await add_user(db, "bob")
    await bulk(
        db,
        Budget(user_id=ana, category="Food", limit=Decimal(100), period="monthly"),
        Budget(user_id=ana, category="rent", limit=Decimal(1000), period="monthly"),
        Budget(user_id=bob, category="food", limit=Decimal(100), period="weekly"),
        expense(ana, "85", date(2026, 11, 3)),
        expense(ana, "999", date(2026, 10, 31)),  # last month: not this period
        expense(ana, "100", date(2026, 11, 3), category="rent"),  # 10 %: nothing
        expense(bob, "150", date(2026, 11, 24)),  # 150 %: both thresholds
    )
    assert await jobs.budget_sweep(db, None, NOW) == 3
    messages = sorted((n.user_id, n.message) for n in await notes(db))
    assert messages == [
        (ana, "Food: 85.00 of 100.00 EUR spent this month (85 %)"),
        (bob, "food: 150.00 of 100.00 EUR spent this week (150 %)"),
        (bob, "food: 150.00 of 100.00 EUR spent this week (150 %)"),
    ]
    assert await jobs.budget_sweep(db, None, NOW) == 0  # twice: nothing new
    # The next month is a new period: spending there alerts again.
    await bulk(db, expense(ana, "90", date(2026, 12, 2)))
    assert await jobs.budget_sweep(db, None, NOW + timedelta(days=7)) == 1


async def test_budget_sweep_follows_each_users_timezone(db):
    # 2026-11-30 23:30 UTC is already December 1st in Tokyo.
    tokyo = await add_user(db, "kenji", "Asia/Tokyo")
    await bulk(
        db,
        Budget(user_id=tokyo, category="food", limit=Decimal(10), period="daily"),
        expense(tokyo, "9", date(2026, 12, 1)),
    )
    assert await jobs.budget_sweep(db, None, datetime(2026, 11, 30, 14, 0, tzinfo=UTC)) == 0
    assert await jobs.budget_sweep(db, None, datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == 1


async def test_goal_reminder_a_week_ahead_and_a_note_when_missed(db):
    ana = await add_user(db, "ana")
    await bulk(
        db,
        Goal(user_id=ana, target_amount=Decimal(500), saved_amount=Decimal(100),
             description="bike", deadline=date(2026, 12, 1)),
        Goal(user_id=ana, target_amount=Decimal(50), saved_amount=Decimal(50),
             description="done", deadline=date(2026, 11, 28)),
        Goal(user_id=ana, target_amount=Decimal(900), saved_amount=Decimal(0),
             description="far", deadline=date(2027, 6, 1)),
    )  # fmt: skip
    assert await jobs.goal_check(db, None, NOW) == 1
    [reminder] = await notes(db)
    assert reminder.message == "Goal bike: 6 days left, 400.00 EUR to go."
    assert await jobs.goal_check(db, None, NOW + timedelta(hours=1)) == 0
    assert await jobs.goal_check(db, None, NOW + timedelta(days=7)) == 1  # deadline passed
    assert (await notes(db))[-1].message == (
        "Goal bike passed its deadline (2026-12-01) 400.00 EUR short."
    )
    assert await jobs.goal_check(db, None, NOW + timedelta(days=8)) == 0


async def test_weekly_summary_on_each_users_monday_morning(db):
    tokyo = await add_user(db, "kenji", "Asia/Tokyo")
    london = await add_user(db, "ana", "Europe/London")
    quiet = await add_user(db, "zoe", "UTC", weekly_summary=False)
    await add_user(db, "idle", "UTC")  # nothing spent or earned: no summary at all
    last_week = date(2026, 11, 18)
    await bulk(
        db,
        expense(tokyo, "120", last_week),
        expense(tokyo, "30", last_week, category="taxi"),
        expense(tokyo, "100", date(2026, 11, 11)),  # the week before
        Income(user_id=tokyo, source="pay", amount=Decimal(1000), date=last_week),
        Budget(user_id=tokyo, category="taxi", limit=Decimal(20), period="weekly"),
        expense(london, "10", last_week),
        expense(quiet, "10", last_week),
    )
    monday_tokyo_morning = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo
    assert await jobs.weekly_summary(db, None, monday_tokyo_morning) == 1
    [summary] = await notes(db, "summary")
    assert summary.user_id == tokyo
    assert summary.dedupe_key == "summary:weekly:2026-11-16:2026-11-22"
    assert summary.message == (
        "Your week (2026-11-16 – 2026-11-22): spent 150.00 EUR (+50 % vs the period before), "
        "income 1000.00 EUR, net 850.00 EUR. Top: food 120.00, taxi 30.00. "
        "Over budget: taxi (30.00 of 20.00). "
        "Safe to spend: 93.75 EUR a day for the 8 days to 30 Nov."
    )
    assert await jobs.weekly_summary(db, None, monday_tokyo_morning + timedelta(minutes=30)) == 0
    # London's Monday 09:00 comes later; the opted-out user never gets one.
    assert await jobs.weekly_summary(db, None, datetime(2026, 11, 23, 8, 59, tzinfo=UTC)) == 0
    assert await jobs.weekly_summary(db, None, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) == 1
    # A run missed at 09:00 is made up later that day, once; not on Wednesday.
    assert await jobs.weekly_summary(db, None, datetime(2026, 11, 23, 20, 0, tzinfo=UTC)) == 0
    assert await jobs.weekly_summary(db, None, NOW) == 0
    assert {n.user_id for n in await notes(db, "summary")} == {tokyo, london}


async def test_monthly_summary_on_the_first(db):
    ana = await add_user(db, "ana")
    await bulk(db, expense(ana, "42", date(2026, 11, 5)))
    assert await jobs.monthly_summary(db, None, datetime(2026, 11, 30, 9, 30, tzinfo=UTC)) == 0
    assert await jobs.monthly_summary(db, None, datetime(2026, 12, 1, 9, 30, tzinfo=UTC)) == 1
    [summary] = await notes(db, "summary")
    assert summary.message.startswith(
        "Your month (2026-11-01 – 2026-11-30): spent 42.00 EUR (nothing the period before)"
    )


async def test_summaries_can_be_switched_off_through_the_api(client, alice):
    answer = await client.patch("/api/auth/me/", headers=alice, json={"weekly_summary": False})
    assert answer.json()["weekly_summary"] is False
    assert answer.json()["monthly_summary"] is True


async def test_a_failing_job_is_logged_not_raised(tmp_path, caplog):
    broken = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db")
    assert await run_job("budget-sweep", broken, None, NOW) is None
    assert "job budget-sweep failed" in caplog.text
    await broken.dispose()
    await aiosqlite_threads_finished()


async def test_two_scheduler_processes_run_the_same_slot_once(db, empty_database):
    users = [await add_user(db, f"user{n}", "Europe/Lisbon") for n in range(20)]
    await bulk(db, *(expense(u, "10", date(2026, 11, 18)) for u in users))
    env = clean_environment(FINBOT_DATABASE_URL=empty_database)
    command = [*finbot_command(), "scheduler", "run-once", "weekly-summary", "budget-sweep",
               "--now", "2026-11-23T09:15:00+00:00"]  # fmt: skip

    def both() -> list[subprocess.CompletedProcess[str]]:
        started = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
            for _ in range(2)
        ]  # fmt: skip
        return [
            subprocess.CompletedProcess(p.args, p.wait(timeout=120), p.communicate()[0])
            for p in started
        ]

    results = await asyncio.to_thread(both)
    assert all(r.returncode == 0 for r in results), [r.stdout for r in results]
    made = sum(int(r.stdout.split("weekly-summary: ")[1].split()[0]) for r in results)
    assert made == 20
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "summary")
        )
    assert count == 20


def test_run_once_refuses_unknown_jobs_and_bad_times() -> None:
    env = clean_environment()
    unknown = subprocess.run(
        [*finbot_command(), "scheduler", "run-once", "nonsense"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 2 and "unknown job(s): nonsense" in unknown.stderr
    bad_time = subprocess.run(
        [*finbot_command(), "scheduler", "run-once", "goal-check", "--now", "yesterday"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad_time.returncode == 2 and "ISO-8601" in bad_time.stderr


async def test_purge_deletes_expired_logins_resets_and_link_codes_only(db):
    user = await add_user(db, "ana")
    minute = timedelta(minutes=1)
    await bulk(
        db,
        LoginFailure(key="ana", at=NOW - timedelta(minutes=16)),  # past the lockout window
        LoginFailure(key="ana", at=NOW - minute),  # still counts toward a lockout
        PasswordReset(user_id=user, token_hash="used", expires_at=NOW + minute, used_at=NOW),
        PasswordReset(user_id=user, token_hash="expired", expires_at=NOW - minute),
        PasswordReset(user_id=user, token_hash="valid", expires_at=NOW + minute),
        TelegramLinkCode(code="used", user_id=user, expires_at=NOW + minute, used_at=NOW),
        TelegramLinkCode(code="expired", user_id=user, expires_at=NOW - minute),
        TelegramLinkCode(code="valid", user_id=user, expires_at=NOW + minute),
    )
    assert await run_job("purge", db, None, NOW) == 5
    async with db.session() as session:
        failures = list((await session.execute(select(LoginFailure.at))).scalars())
        resets = set((await session.execute(select(PasswordReset.token_hash))).scalars())
        codes = set((await session.execute(select(TelegramLinkCode.code))).scalars())
    assert failures == [NOW - minute]
    assert resets == {"valid"}
    assert codes == {"valid"}
    assert await run_job("purge", db, None, NOW) == 0


async def test_purge_deletes_tokens_unused_for_longer_than_the_ttl(db, monkeypatch):
    monkeypatch.setenv("FINBOT_TOKEN_TTL_DAYS", "10")
    user = await add_user(db, "ana")
    day = timedelta(days=1)
    await bulk(
        db,
        AuthToken(user_id=user, token_hash="stale", last_used_at=NOW - 10 * day - day),
        AuthToken(user_id=user, token_hash="fresh", last_used_at=NOW - 10 * day + day),
    )
    assert await run_job("purge", db, None, NOW) == 1
    async with db.session() as session:
        left = set((await session.execute(select(AuthToken.token_hash))).scalars())
    assert left == {"fresh"}
