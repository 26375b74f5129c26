"""The Alembic head and the models describe the same schema."""

import asyncio
import warnings
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import ForeignKeyConstraint, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.models import Base, Expense, Household, User


async def test_migrations_match_the_models(app):
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes; alembic says so and skips them.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            return without_column_level_references(compare_metadata(context, Base.metadata))

    async with app.state.database.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


def reference(fk: ForeignKeyConstraint) -> tuple[str, tuple[str, ...], str, str | None]:
    return (fk.table.name, tuple(fk.column_keys), fk.referred_table.name, fk.ondelete)


def without_column_level_references(diffs: list[Any]) -> list[Any]:
    """SQLite can add a referencing column only with a column-level REFERENCES (0016),
    which SQLAlchemy reflects without its name and ON DELETE: such a reflected
    reference matching the model's on everything else is the same constraint."""
    removed = [d[1] for d in diffs if d[0] == "remove_fk" and d[1].name is None]
    added = {reference(d[1])[:3]: d for d in diffs if d[0] == "add_fk"}
    paired = [(fk, added.get(reference(fk)[:3])) for fk in removed]
    same = {id(fk) for fk, twin in paired if twin} | {id(twin[1]) for _, twin in paired if twin}
    return [d for d in diffs if not (d[0] in ("remove_fk", "add_fk") and id(d[1]) in same)]


async def test_shared_entries_lose_their_household_not_themselves(app):
    # The column-level reference keeps ON DELETE SET NULL on SQLite too.
    async with app.state.database.session() as session:
        user = User(username="hh", email="hh@example.org")
        household = Household(name="Flat", currency="EUR")
        session.add_all([user, household])
        await session.flush()
        expense = Expense(
            user_id=user.id,
            household_id=household.id,
            category="food",
            amount=Decimal("5"),
            date=date(2026, 1, 2),
        )
        session.add(expense)
    async with app.state.database.session() as session:
        await session.delete(await session.get(Household, household.id))
    async with app.state.database.session() as session:
        kept = await session.get(Expense, expense.id)
        assert kept is not None and kept.household_id is None


async def test_username_uniqueness_ignores_case_in_the_database(app):
    # Straight to the table, past the service's own check: the index must refuse it.
    async with app.state.database.session() as session:
        session.add(User(username="Zoe", email="z1@example.org"))
    with pytest.raises(IntegrityError):
        async with app.state.database.session() as session:
            session.add(User(username="zoe", email="z2@example.org"))
    # The failed write gave SQLite's writer lock back: the next write goes through.
    async with asyncio.timeout(5), app.state.database.session() as session:
        session.add(User(username="zed", email="z3@example.org"))


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    # Always on a SQLite file of its own, whichever database this run uses.
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/pragmas.db")
    try:
        async with database.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await database.dispose()


def test_0017_puts_the_shared_expenses_on_a_roster_of_todays_members(tmp_path) -> None:
    """Before 0017 nothing said who the members were when an expense was recorded: the
    backfill takes today's members, so the balances read the same across the upgrade,
    and from then on a newcomer owes nothing of those expenses."""
    from core.households.balances import household_balances
    from core.models import HouseholdMember
    from migrations import upgrade
    from tests.conftest import TEST_DATABASE_URL, _admin_execute
    from tests.core.test_currency_migration import _fresh_url

    url, name = _fresh_url(tmp_path)

    async def before() -> int:
        database = Database(url)
        try:
            async with database.session() as session:
                people = [User(username=n, email=f"{n}@example.org") for n in ("ann", "ben", "cat")]
                home = Household(name="Flat", currency="EUR")
                session.add_all([*people, home])
                await session.flush()
                for person, role in zip(people[:2], ("owner", "member"), strict=True):
                    session.add(HouseholdMember(household_id=home.id, user_id=person.id, role=role))
                for person, amount, shared in ((people[0], "30", True), (people[1], "7", False)):
                    session.add(
                        Expense(
                            user_id=person.id,
                            household_id=home.id if shared else None,
                            category="food",
                            amount=Decimal(amount),
                            currency="EUR",
                            date=date(2026, 1, 2),
                        )
                    )
                return home.id
        finally:
            await database.dispose()

    async def after(home_id: int) -> dict[int, Decimal]:
        database = Database(url)
        try:
            async with database.session() as session:
                rosters = await session.execute(
                    text(
                        "SELECT e.expense_id, m.user_id FROM expense_rosters e JOIN "
                        "household_roster_members m ON m.roster_id = e.roster_id ORDER BY 1, 2"
                    )
                )
                assert [tuple(row) for row in rosters] == [(1, 1), (1, 2)]
                # cat joins after the upgrade: the earlier expense is still ann's and ben's.
                session.add(HouseholdMember(household_id=home_id, user_id=3, role="member"))
                await session.flush()
                household = await session.get(Household, home_id)
                assert household is not None
                balances = await household_balances(session, household)
                return {m.user_id: m.share for m in balances.members}
        finally:
            await database.dispose()

    try:
        upgrade(url, "0016")
        home_id = asyncio.run(before())
        upgrade(url)
        assert asyncio.run(after(home_id)) == {1: Decimal(15), 2: Decimal(15), 3: Decimal(0)}
    finally:
        if name:
            asyncio.run(_admin_execute(TEST_DATABASE_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))
