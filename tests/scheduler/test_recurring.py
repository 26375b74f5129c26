"""post-recurring with the clock moved: each occurrence once, on the user's local day."""

import asyncio
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.currencies.ecb import DailyRate
from core.currencies.service import ensure_rates_loaded
from core.db import Database
from core.models import (
    Budget,
    Expense,
    Household,
    HouseholdMember,
    Income,
    Notification,
    RecurringEntry,
    RecurringPosting,
    User,
)
from core.periods import local_today
from core.recurring.schemas import RecurringCreate
from core.recurring.service import post_due, recurring
from scheduler.jobs import run_job
from tests.core.rates_support import set_rates
from tests.support.process import clean_environment, finbot_command

# Entries start in 2031 so that creating them (today, by the real clock) posts nothing
# and the job's moved clock alone decides.
START = date(2031, 1, 1)  # a Wednesday


@pytest.fixture
async def db(app) -> Database:
    return app.state.database


async def add_user(db: Database, name: str, timezone: str = "UTC") -> int:
    async with db.session() as session:
        user = User(username=name, email=f"{name}@example.org", timezone=timezone)
        session.add(user)
        await session.flush()
        return user.id


async def add_entry(db: Database, user_id: int, **fields: object) -> int:
    values: dict[str, object] = {
        "kind": "expense",
        "category": "rent",
        "amount": "900",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=3",
        "start": START,
        **fields,
    }
    async with db.session() as session:
        user = await session.get(User, user_id)
        assert user is not None
        entry = await recurring.create(session, user, RecurringCreate.model_validate(values))
        return entry.id


async def post(db: Database, when: str) -> int | None:
    return await run_job("post-recurring", db, None, datetime.fromisoformat(when))


async def expense_dates(db: Database, user_id: int | None = None) -> list[date]:
    async with db.session() as session:
        query = select(Expense.date).order_by(Expense.date, Expense.id)
        if user_id is not None:
            query = query.where(Expense.user_id == user_id)
        return list((await session.execute(query)).scalars())


async def stored(db: Database, entry_id: int) -> RecurringEntry:
    async with db.session() as session:
        entry = await session.get(RecurringEntry, entry_id)
        assert entry is not None
        return entry


async def notes(db: Database, kind: str) -> list[str]:
    async with db.session() as session:
        query = select(Notification.message).where(Notification.kind == kind)
        return list((await session.execute(query.order_by(Notification.id))).scalars())


async def test_posts_on_the_3rd_once_and_moves_next_date(db):
    ana = await add_user(db, "ana")
    entry = await add_entry(db, ana, description="flat")
    assert await post(db, "2031-01-02T23:59:00+00:00") == 0
    assert await expense_dates(db) == []
    assert await post(db, "2031-01-03T00:01:00+00:00") == 1
    assert await post(db, "2031-01-03T18:00:00+00:00") == 0  # a rerun the same day
    assert await expense_dates(db) == [date(2031, 1, 3)]
    async with db.session() as session:
        posted = (await session.execute(select(Expense))).scalar_one()
    assert (posted.user_id, posted.category, posted.amount, posted.description) == (
        ana,
        "rent",
        Decimal("900.00"),
        "flat",
    )
    assert (await stored(db, entry)).next_date == date(2031, 2, 3)


async def test_the_31st_the_last_day_and_fridays(db):
    ana = await add_user(db, "ana")
    on_31st = await add_entry(db, ana, category="a31", rrule="FREQ=MONTHLY;BYMONTHDAY=31")
    last = await add_entry(db, ana, category="last", rrule="FREQ=MONTHLY;BYMONTHDAY=-1")
    fridays = await add_entry(db, ana, category="gym", rrule="FREQ=WEEKLY;BYDAY=FR")
    assert await post(db, "2031-03-01T12:00:00+00:00") == 1 + 2 + 9
    async with db.session() as session:
        rows = (await session.execute(select(Expense.category, Expense.date))).all()
    by_category: dict[str, list[date]] = {}
    for category, day in sorted(rows, key=lambda row: row[1]):
        by_category.setdefault(category, []).append(day)
    assert by_category["a31"] == [date(2031, 1, 31)]  # no 31 February
    assert by_category["last"] == [date(2031, 1, 31), date(2031, 2, 28)]
    assert by_category["gym"] == [date(2031, 1, d) for d in (3, 10, 17, 24, 31)] + [
        date(2031, 2, d) for d in (7, 14, 21, 28)
    ]
    assert (await stored(db, on_31st)).next_date == date(2031, 3, 31)
    assert (await stored(db, last)).next_date == date(2031, 3, 31)
    assert (await stored(db, fridays)).next_date == date(2031, 3, 7)


async def test_catch_up_after_two_missed_months(db):
    ana = await add_user(db, "ana")
    await add_entry(db, ana)
    await add_entry(db, ana, kind="income", category=None, source="salary", amount="2500",
                    rrule="FREQ=MONTHLY;BYMONTHDAY=25")  # fmt: skip
    assert await post(db, "2031-01-03T12:00:00+00:00") == 1
    # Down from 4 January to 5 March: February's and March's rent, January's and
    # February's salary, each once.
    assert await post(db, "2031-03-05T12:00:00+00:00") == 4
    assert await post(db, "2031-03-05T13:00:00+00:00") == 0
    assert await expense_dates(db) == [date(2031, 1, 3), date(2031, 2, 3), date(2031, 3, 3)]
    async with db.session() as session:
        incomes = (await session.execute(select(Income.date).order_by(Income.date))).scalars()
        assert list(incomes) == [date(2031, 1, 25), date(2031, 2, 25)]


async def test_one_utc_instant_two_local_days(db):
    kiri = await add_user(db, "kiri", "Pacific/Auckland")  # UTC+13 in January
    lee = await add_user(db, "lee", "America/Los_Angeles")  # UTC-8
    await add_entry(db, kiri)
    await add_entry(db, lee)
    # 12:00 UTC on 2 January is 01:00 on the 3rd in Auckland, 04:00 on the 2nd in LA.
    assert await post(db, "2031-01-02T12:00:00+00:00") == 1
    assert await expense_dates(db, kiri) == [date(2031, 1, 3)]
    assert await expense_dates(db, lee) == []
    # 07:59 UTC on the 3rd is still the 2nd in LA; 08:00 is its midnight.
    assert await post(db, "2031-01-03T07:59:00+00:00") == 0
    assert await post(db, "2031-01-03T08:00:00+00:00") == 1
    assert await expense_dates(db, lee) == [date(2031, 1, 3)]


async def test_reminders_once_each(db):
    ana = await add_user(db, "ana")
    await add_entry(db, ana, description="flat", remind_days_before=3)
    assert await post(db, "2030-12-30T12:00:00+00:00") == 0  # 4 days before
    assert await post(db, "2030-12-31T12:00:00+00:00") == 1
    assert await post(db, "2031-01-01T12:00:00+00:00") == 0
    assert await notes(db, "bill") == ["Reminder: flat (900.00 EUR) is due on 3 Jan 2031."]
    assert await post(db, "2031-01-03T12:00:00+00:00") == 1  # the posting, no reminder
    assert await post(db, "2031-01-31T12:00:00+00:00") == 1  # February's reminder
    assert await notes(db, "bill") == [
        "Reminder: flat (900.00 EUR) is due on 3 Jan 2031.",
        "Reminder: flat (900.00 EUR) is due on 3 Feb 2031.",
    ]


async def test_posting_stops_at_end(db):
    ana = await add_user(db, "ana")
    entry = await add_entry(db, ana, end=date(2031, 2, 3))
    assert await post(db, "2031-02-03T12:00:00+00:00") == 2
    assert (await stored(db, entry)).next_date is None
    assert await post(db, "2031-06-03T12:00:00+00:00") == 0
    assert await expense_dates(db) == [date(2031, 1, 3), date(2031, 2, 3)]


async def test_posted_expenses_make_budget_alerts(db):
    # By the real clock too: the posting's own day decides the period.
    ana = await add_user(db, "ana", "Europe/Lisbon")
    async with db.session() as session:
        session.add(Budget(user_id=ana, category="Rent", limit=Decimal(1000), period="daily"))
    today = local_today("Europe/Lisbon")
    await add_entry(db, ana, rrule="FREQ=DAILY", start=today)
    assert await run_job("post-recurring", db, None, datetime.now(UTC)) == 1
    assert await expense_dates(db) == [today]
    assert await notes(db, "budget") == ["Rent: 900.00 of 1000.00 EUR spent today (90 %)"]


async def test_a_personal_posting_leaves_household_budgets_alone(db):
    # A household budget counts shared spending only; postings are personal.
    ana = await add_user(db, "ana", "Europe/Lisbon")
    async with db.session() as session:
        flat = Household(name="Flat", currency="EUR")
        session.add(flat)
        await session.flush()
        session.add(HouseholdMember(household_id=flat.id, user_id=ana, role="owner"))
        session.add(Budget(user_id=ana, household_id=flat.id, category="Rent",
                           limit=Decimal(1000), period="daily"))  # fmt: skip
    today = local_today("Europe/Lisbon")
    await add_entry(db, ana, rrule="FREQ=DAILY", start=today)
    assert await run_job("post-recurring", db, None, datetime.now(UTC)) == 1
    assert await notes(db, "budget") == []


async def test_a_deleted_entry_keeps_what_it_posted(db):
    ana = await add_user(db, "ana")
    entry = await add_entry(db, ana)
    await post(db, "2031-01-03T12:00:00+00:00")
    async with db.session() as session:
        await session.delete(await session.get(RecurringEntry, entry))
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(RecurringPosting)) == 0
    assert await expense_dates(db) == [date(2031, 1, 3)]


async def test_two_run_once_processes_post_each_occurrence_once(db, empty_database):
    users = [await add_user(db, f"user{n}", "Europe/Lisbon") for n in range(10)]
    for user_id in users:
        await add_entry(db, user_id)
        await add_entry(db, user_id, category="gym", rrule="FREQ=WEEKLY;BYDAY=FR")
    env = clean_environment(FINBOT_DATABASE_URL=empty_database)
    command = [*finbot_command(), "scheduler", "run-once", "post-recurring",
               "--now", "2031-01-20T12:00:00+00:00"]  # fmt: skip

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
    made = sum(int(r.stdout.split("post-recurring: ")[1].split()[0]) for r in results)
    per_user = 1 + 3  # rent on the 3rd; Fridays 3, 10 and 17 January
    assert made == per_user * len(users)
    assert len(await expense_dates(db)) == per_user * len(users)


async def test_entries_sharing_a_rule_keep_their_own_start_day_and_end(db):
    ana = await add_user(db, "ana")
    # Plain FREQ=WEEKLY / MONTHLY take the day from the start; same rule, other days.
    await add_entry(db, ana, category="tue", rrule="FREQ=WEEKLY", start=date(2030, 12, 31))
    await add_entry(db, ana, category="thu", rrule="FREQ=WEEKLY", start=date(2031, 1, 2))
    await add_entry(db, ana, category="m5", rrule="FREQ=MONTHLY", start=date(2030, 12, 5))
    await add_entry(db, ana, category="m9", rrule="FREQ=MONTHLY", start=date(2030, 12, 9))
    await add_entry(db, ana, category="d", rrule="FREQ=DAILY", start=date(2031, 1, 10))
    await add_entry(db, ana, category="d-end", rrule="FREQ=DAILY", start=date(2031, 1, 10),
                    end=date(2031, 1, 11))  # fmt: skip
    assert await post(db, "2031-01-12T12:00:00+00:00") == 2 + 2 + 2 + 2 + 3 + 2
    async with db.session() as session:
        rows = (await session.execute(select(Expense.category, Expense.date))).all()
    by_category: dict[str, list[str]] = {}
    for category, day in sorted(rows, key=lambda row: row[1]):
        by_category.setdefault(category, []).append(f"{day:%m-%d}")
    assert by_category == {
        "tue": ["12-31", "01-07"],
        "thu": ["01-02", "01-09"],
        "m5": ["12-05", "01-05"],
        "m9": ["12-09", "01-09"],
        "d": ["01-10", "01-11", "01-12"],
        "d-end": ["01-10", "01-11"],
    }


async def test_weekly_summary_gains_the_safe_to_spend_line(db):
    ana = await add_user(db, "ana")
    async with db.session() as session:
        user = await session.get(User, ana)
        assert user is not None
        user.pay_day = 25
        session.add(
            Income(user_id=ana, source="pay", amount=Decimal(2000), date=date(2030, 12, 25))
        )
        session.add(
            Expense(user_id=ana, category="food", amount=Decimal(100), date=date(2031, 1, 1))
        )
    # Fridays 10, 17 and 24 January are still due in the period (25 Dec - 24 Jan).
    await add_entry(db, ana, category="gym", amount="30", rrule="FREQ=WEEKLY;BYDAY=FR")
    monday = datetime(2031, 1, 6, 9, 30, tzinfo=UTC)
    assert await run_job("weekly-summary", db, None, monday) == 1
    [summary] = await notes(db, "summary")
    # (2000 - 100 - 3 * 30) / 19 days = 95.263...: rounded down.
    assert summary.endswith("Safe to spend: 95.26 EUR a day for the 19 days to 24 Jan.")


async def test_foreign_currency_postings_keep_their_currency_at_the_days_rate(db):
    # Days of their own, far from the shipped ECB history and from the other tests' days.
    friday, sunday, monday = date(2032, 1, 9), date(2032, 1, 11), date(2032, 1, 12)
    async with db.session() as session:
        await ensure_rates_loaded(session)
    await set_rates(
        db,
        [
            DailyRate(currency, day, Decimal(rate))
            for day, rates in {
                date(2032, 1, 8): {"USD": "1.2", "GBP": "0.7"},
                friday: {"USD": "1.25", "GBP": "0.8"},
                monday: {"USD": "1.5", "GBP": "0.9"},  # after Sunday: never used for it
            }.items()
            for currency, rate in rates.items()
        ],
    )
    ana = await add_user(db, "ana")  # base EUR
    bo = await add_user(db, "bo")
    async with db.session() as session:
        user = await session.get(User, bo)
        assert user is not None
        user.currency = "USD"
    weekend_days = {"rrule": "FREQ=WEEKLY;BYDAY=FR,SU", "start": friday, "end": sunday}
    await add_entry(db, ana, category="netflix", amount="15.99", currency="USD", **weekend_days)
    await add_entry(db, ana, kind="income", category=None, source="rent in", amount="100",
                    currency="GBP", **weekend_days)  # fmt: skip
    await add_entry(db, ana, category="bread", amount="2.50", **weekend_days)  # in EUR
    await add_entry(db, bo, category="gym", amount="10", currency="EUR", **weekend_days)
    # Already Monday in Auckland (UTC+13): a later day than the others' in one batch.
    kiri = await add_user(db, "kiri", "Pacific/Auckland")
    await add_entry(db, kiri, category="coffee", amount="3", currency="USD",
                    rrule="FREQ=DAILY", start=sunday, end=monday)  # fmt: skip
    assert await post(db, "2032-01-11T12:00:00+00:00") == 4 * 2 + 2

    async def posted(model: type[Expense] | type[Income], user_id: int) -> list[tuple]:
        async with db.session() as session:
            query = (
                select(model.date, model.amount, model.currency, model.base_amount,
                       model.rate_date)
                .where(model.user_id == user_id)
                .order_by(model.currency, model.date)
            )  # fmt: skip
            return [tuple(row) for row in await session.execute(query)]

    d = Decimal
    assert await posted(Expense, ana) == [
        (friday, d("2.50"), "EUR", d("2.50"), friday),
        (sunday, d("2.50"), "EUR", d("2.50"), sunday),
        (friday, d("15.99"), "USD", d("12.79"), friday),  # 15.99 / 1.25 = 12.792
        (sunday, d("15.99"), "USD", d("12.79"), friday),  # Sunday: Friday's rate, said so
    ]
    assert await posted(Income, ana) == [
        (friday, d("100.00"), "GBP", d("125.00"), friday),  # 100 / 0.8
        (sunday, d("100.00"), "GBP", d("125.00"), friday),
    ]
    assert await posted(Expense, bo) == [  # a USD user's EUR gym: 10 * 1.25
        (friday, d("10.00"), "EUR", d("12.50"), friday),
        (sunday, d("10.00"), "EUR", d("12.50"), friday),
    ]
    assert await posted(Expense, kiri) == [
        (sunday, d("3.00"), "USD", d("2.40"), friday),  # 3 / 1.25
        (monday, d("3.00"), "USD", d("2.00"), monday),  # 3 / 1.5
    ]


async def test_caught_up_postings_alert_in_their_own_pay_day_period(db):
    # Clock moved to 5 Feb 2031; the job was down since 2 January. Pay day 25: the
    # posting of 3 January belongs to 25 Dec - 24 Jan (with 200 spent by hand on the
    # 20th: 1,100 of 1,000), the one of 3 February to 25 Jan - 24 Feb (900: 90 %, and
    # on 5 Feb, day 12, 75 a day: the 1,000 run out on day 14, 7 Feb).
    ana = await add_user(db, "ana")
    async with db.session() as session:
        user = await session.get(User, ana)
        assert user is not None
        user.pay_day = 25
        budget = Budget(user_id=ana, category="Rent", limit=Decimal(1000), period="monthly")
        session.add(budget)
        session.add(
            Expense(user_id=ana, category="rent", amount=Decimal(200), date=date(2031, 1, 20))
        )
        await session.flush()
        budget_id = budget.id
    await add_entry(db, ana)  # 900 on the 3rd
    assert await post(db, "2031-02-05T12:00:00+00:00") == 2
    async with db.session() as session:
        query = select(Notification.dedupe_key, Notification.message).where(
            Notification.kind == "budget"
        )
        alerts = {key: message for key, message in await session.execute(query)}
    over = "Rent: 1100.00 of 1000.00 EUR spent this month (110 %)"
    assert alerts == {
        f"budget:{budget_id}:2030-12-25:80": over,
        f"budget:{budget_id}:2030-12-25:100": over,
        f"budget:{budget_id}:2031-01-25:80": "Rent: 900.00 of 1000.00 EUR spent this month (90 %)",
        f"pace:{budget_id}:2031-01-25": "Rent: at this pace the budget runs out around 7 Feb",
    }
    assert await post(db, "2031-02-05T13:00:00+00:00") == 0
    assert len(await notes(db, "budget")) == 4


@pytest.mark.parametrize("batch", [1, 2, 1000])
async def test_batches_post_each_occurrence_and_reminder_once(db, batch):
    users = [await add_user(db, f"user{n}", "Europe/Lisbon") for n in range(3)]
    for user_id in users:
        await add_entry(db, user_id, remind_days_before=3)  # on the 3rd
        await add_entry(db, user_id, category="gym", rrule="FREQ=WEEKLY;BYDAY=FR")
    # Fridays 3, 10, 17, 24 and 31 January, rent on the 3rd, February's rent reminder.
    now = datetime(2031, 1, 31, 12, tzinfo=UTC)
    assert await post_due(db, now, batch) == (5 + 1 + 1) * len(users)
    assert await post_due(db, now, batch) == 0
    assert len(await expense_dates(db)) == (5 + 1) * len(users)
    assert len(await notes(db, "bill")) == len(users)  # February's: January's was missed


async def test_a_posting_too_large_at_its_days_rate_stays_at_par_and_the_rest_post(db, caplog):
    """Checked when made, at that day's rate; a rate moved since can take an amount past
    what the column holds. That one entry stays at par, logged; the job goes on for all."""
    day = date(2033, 2, 4)
    async with db.session() as session:
        await ensure_rates_loaded(session)
    await set_rates(db, [DailyRate("GBP", day, Decimal("0.7"))])  # 0.8e12 GBP: 1.14e12 EUR
    ana, bo = await add_user(db, "ana"), await add_user(db, "bo")
    once = {"rrule": "FREQ=DAILY", "start": day, "end": day}
    await add_entry(db, ana, amount="800000000000", currency="GBP", **once)
    await add_entry(db, bo, amount="70", currency="GBP", **once)
    assert await post(db, "2033-02-04T12:00:00+00:00") == 2
    async with db.session() as session:
        query = select(Expense.user_id, Expense.base_amount, Expense.rate_date).order_by(
            Expense.user_id
        )
        posted = [tuple(row) for row in await session.execute(query)]
    assert posted == [(ana, Decimal("800000000000"), day), (bo, Decimal("100.00"), day)]
    assert "1 recurring entries too large in EUR stay at par" in caplog.text
