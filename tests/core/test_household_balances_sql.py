"""Household balances in SQL give settle.py's figures to the unit, on SQLite and PostgreSQL."""

import random
from collections.abc import AsyncIterator, Mapping
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.currencies.codes import CURRENCY_EXPONENTS
from core.currencies.service import convert
from core.db import Database
from core.exceptions import Invalid, NotFound
from core.households import settle
from core.households.balances import household_balances, record_settlement
from core.households.service import get_household
from core.models import Expense, ExpenseShare, Household, HouseholdMember, User
from tests.conftest import clean_database
from tests.core.rates_support import FRIDAY, SUNDAY, THURSDAY, seed_known_rates

D = Decimal


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await clean_database(database, keep_reference=True)
    await seed_known_rates(database)
    yield database
    await database.dispose()


async def people(session: AsyncSession, count: int) -> list[User]:
    users = [User(username=f"p{i}", email=f"p{i}@example.org") for i in range(count)]
    session.add_all(users)
    await session.flush()
    return users


async def household(session: AsyncSession, members: list[User], currency: str = "EUR") -> Household:
    home = Household(name="home", currency=currency)
    session.add(home)
    await session.flush()
    session.add_all(
        HouseholdMember(household_id=home.id, user_id=u.id, role="owner" if i == 0 else "member")
        for i, u in enumerate(members)
    )
    await session.flush()
    return home


async def spend(
    session: AsyncSession,
    home: Household,
    payer: User,
    amount: str,
    split: Mapping[User, str | Decimal] | None = None,
    *,
    currency: str = "EUR",
    on: date = FRIDAY,
) -> Expense:
    expense = Expense(
        user_id=payer.id,
        household_id=home.id,
        category="food",
        amount=D(amount),
        currency=currency,
        date=on,
    )
    session.add(expense)
    await session.flush()
    for user, share in (split or {}).items():
        session.add(ExpenseShare(expense_id=expense.id, user_id=user.id, share=D(share)))
    await session.flush()
    return expense


def figures(balances: settle.Balances) -> dict[int, tuple[Decimal, ...]]:
    return {
        m.user_id: (m.paid, m.share, m.settled_out, m.settled_in, m.balance)
        for m in balances.members
    }


async def test_four_members_uneven_splits_and_a_settlement(database: Database) -> None:
    async with database.session() as session:
        alice, bob, carol, dan = await people(session, 4)
        home = await household(session, [alice, bob, carol, dan])
        await spend(session, home, alice, "120.00")  # equal: 30.00 each
        await spend(session, home, bob, "100.00", {alice: "0.5", bob: "0.25", carol: "0.25"})
        await spend(session, home, carol, "10.00")  # equal: 2.50 each
        await spend(session, home, dan, "60.00", {bob: "0.5", dan: "0.5"})
        # 333.33 / 333.33 / 333.34 cents: Carol has the largest remainder, so the cent.
        await spend(
            session, home, alice, "10.00", {alice: "0.3333", bob: "0.3333", carol: "0.3334"}
        )
        await record_settlement(session, home, carol, carol.id, alice.id, D("41.67"))
        result = await household_balances(session, home)
    # paid, share, settled out, settled in, balance (= paid - share + out - in):
    assert figures(result) == {
        alice.id: (D("130"), D("85.83"), D(0), D("41.67"), D("2.50")),  # 30+50+2.50+3.33
        bob.id: (D("100"), D("90.83"), D(0), D(0), D("9.17")),  # 30+25+2.50+30+3.33
        carol.id: (D("10"), D("60.84"), D("41.67"), D(0), D("-9.17")),  # 30+25+2.50+3.34
        dan.id: (D("60"), D("62.50"), D(0), D(0), D("-2.50")),  # 30+2.50+30
    }
    # Two pairs cancel out: two transfers, not the three a chain would take.
    assert result.transfers == (
        settle.Transfer(carol.id, bob.id, D("9.17")),
        settle.Transfer(dan.id, alice.id, D("2.50")),
    )
    assert result.currency == "EUR"


async def test_leftover_cents_go_to_the_payer_then_the_lowest_ids(database: Database) -> None:
    async with database.session() as session:
        first, second, third = await people(session, 3)
        home = await household(session, [first, second, third])
        await spend(session, home, third, "10.00")  # 3.34 to the payer, 3.33 each other
        await spend(session, home, second, "0.02")  # 1 cent each to the payer and the lowest id
        result = await household_balances(session, home)
    shares = {m.user_id: m.share for m in result.members}
    assert shares == {first.id: D("3.34"), second.id: D("3.34"), third.id: D("3.34")}
    assert sum(shares.values()) == D("10.02")


async def test_uneven_leftover_ties_go_to_the_payer(database: Database) -> None:
    async with database.session() as session:
        first, second, third = await people(session, 3)
        home = await household(session, [first, second, third])
        # 0.01 split in halves between the first and the third, the third paying: equal
        # remainders (0.5 cent each), so the payer carries the cent.
        await spend(session, home, third, "0.01", {first: "0.5", third: "0.5"})
        result = await household_balances(session, home)
    shares = {m.user_id: m.share for m in result.members}
    assert shares == {first.id: D(0), second.id: D(0), third.id: D("0.01")}


async def test_entries_in_another_currency_at_their_dates_rate(database: Database) -> None:
    async with database.session() as session:
        alice, bob = await people(session, 2)
        home = await household(session, [alice, bob])
        # Friday: 1.0939 USD per EUR: 100 / 1.0939 = 91.4160 -> 91.42 EUR.
        await spend(session, home, alice, "100.00", currency="USD")
        # Sunday has no rate: Friday's; 1500 JPY / 161.06 = 9.3133 -> 9.31 EUR.
        await spend(session, home, bob, "1500", currency="JPY", on=SUNDAY)
        result = await household_balances(session, home)
    paid = {m.user_id: m.paid for m in result.members}
    assert paid == {alice.id: D("91.42"), bob.id: D("9.31")}
    # 91.42 halves into 45.71 each; 9.31 into 4.66 for Bob (the payer's odd cent) and
    # 4.65: Alice's share 50.36, so Bob owes her 91.42 - 50.36 = 41.06.
    shares = {m.user_id: m.share for m in result.members}
    assert shares == {alice.id: D("50.36"), bob.id: D("50.37")}
    assert result.transfers == (settle.Transfer(bob.id, alice.id, D("41.06")),)


async def test_a_household_in_yen_rounds_to_whole_yen(database: Database) -> None:
    async with database.session() as session:
        alice, bob = await people(session, 2)
        home = await household(session, [alice, bob], currency="JPY")
        # 10 EUR * 161.06 = 1610.6 -> 1611 JPY, halved: 806 (payer) and 805.
        await spend(session, home, alice, "10.00")
        result = await household_balances(session, home)
    assert figures(result)[alice.id] == (D(1611), D(806), D(0), D(0), D(805))
    assert result.transfers == (settle.Transfer(bob.id, alice.id, D(805)),)


async def test_someone_who_left_keeps_a_line_and_the_sum_stays_zero(database: Database) -> None:
    async with database.session() as session:
        alice, bob, carol = await people(session, 3)
        home = await household(session, [alice, bob])
        await spend(session, home, carol, "30.00", {alice: "0.5", carol: "0.5"})
        await spend(session, home, alice, "10.00")  # equal among the two members
        result = await household_balances(session, home)
    assert figures(result) == {
        alice.id: (D("10"), D("20"), D(0), D(0), D("-10")),
        bob.id: (D(0), D(5), D(0), D(0), D(-5)),
        carol.id: (D("30"), D("15"), D(0), D(0), D("15")),
    }


async def test_settlement_rules(database: Database) -> None:
    async with database.session() as session:
        alice, bob, stranger = await people(session, 3)
        home = await household(session, [alice, bob])
        for args, field in [
            ((alice.id, stranger.id, D(1)), "to_user_id"),
            ((stranger.id, bob.id, D(1)), "from_user_id"),
            ((alice.id, alice.id, D(1)), "to_user_id"),
            ((alice.id, bob.id, D(0)), "amount"),
            ((alice.id, bob.id, D("-1")), "amount"),
            ((alice.id, bob.id, D("0.001")), "amount"),
            ((alice.id, bob.id, D("1e12")), "amount"),
        ]:
            with pytest.raises(Invalid) as raised:
                await record_settlement(session, home, alice, *args)
            assert raised.value.field == field, args
        with pytest.raises(NotFound):
            await record_settlement(session, home, stranger, alice.id, bob.id, D(1))
        with pytest.raises(NotFound):
            await get_household(session, stranger.id, home.id)
        assert (await get_household(session, bob.id, home.id)).id == home.id
        done = await record_settlement(session, home, bob, alice.id, bob.id, D("12.50"), "rent")
        assert (done.amount, done.currency, done.note, done.created_by) == (
            D("12.50"),
            "EUR",
            "rent",
            bob.id,
        )


CURRENCIES = ["EUR", "USD", "JPY", "KWD"]


@pytest.mark.parametrize(("seed", "currency"), list(enumerate(CURRENCIES)))
async def test_random_households_match_the_reference(
    database: Database, seed: int, currency: str
) -> None:
    """Random amounts in several currencies, splits and settlements: SQL and settle.py
    (over amounts converted one by one in Python) agree on every figure."""
    rng = random.Random(seed)
    exponent = CURRENCY_EXPONENTS[currency]
    async with database.session() as session:
        users = await people(session, rng.randint(2, 7))
        home = await household(session, users, currency)
        reference = []
        for _ in range(60):
            payer = rng.choice(users)
            entered = rng.choice(CURRENCIES)
            amount = D(rng.randint(1, 200_000)).scaleb(-CURRENCY_EXPONENTS[entered])
            day = rng.choice([THURSDAY, FRIDAY, SUNDAY])
            split = None
            if rng.random() < 0.4:
                chosen = rng.sample(users, rng.randint(1, len(users)))
                cuts = sorted(rng.sample(range(1, 1000), len(chosen) - 1))
                bounds = [0, *cuts, 1000]
                split = {u: D(bounds[i + 1] - bounds[i]).scaleb(-3) for i, u in enumerate(chosen)}
            await spend(session, home, payer, str(amount), split, currency=entered, on=day)
            converted = (await convert(session, amount, entered, currency, day)).amount
            shares = None if split is None else {u.id: share for u, share in split.items()}
            reference.append(settle.SharedExpense(payer.id, converted, shares))
        settlements = []
        for _ in range(5):
            source, target = rng.sample(users, 2)
            amount = D(rng.randint(1, 5000)).scaleb(-exponent)
            await record_settlement(session, home, source, source.id, target.id, amount)
            settlements.append(settle.Settlement(source.id, target.id, amount))
        result = await household_balances(session, home)
    expected = settle.settle([u.id for u in users], reference, settlements, currency)
    assert figures(result) == figures(expected)
    assert result.transfers == expected.transfers
