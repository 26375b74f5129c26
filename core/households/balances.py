"""Who owes whom in a household: the balances and the settlements (SPEC section 8).

Takes a session, never commits. The caller has checked that the household is the
user's (a non-member gets NotFound before reaching here).
"""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.currencies.service import convert
from core.exceptions import Invalid, NotFound
from core.households import settle
from core.households.balance_repository import BalanceRepository
from core.models import Household, Settlement, User
from core.money import MONEY_DECIMALS, MONEY_DIGITS
from core.periods import local_today

# The largest amount the Money column holds (15 digits, 3 of them decimals).
_MONEY_LIMIT = Decimal(10) ** (MONEY_DIGITS - MONEY_DECIMALS)


async def household_of(session: AsyncSession, user: User, household_id: int) -> Household:
    """The household if the user is a member; another's is simply not there (404)."""
    household = await BalanceRepository(session).household_of_member(user.id, household_id)
    if household is None:
        raise NotFound("household")
    return household


async def household_balances(session: AsyncSession, household: Household) -> settle.Balances:
    """Every member's paid, share, settlements and balance, and the fewest transfers."""
    repository = BalanceRepository(session)
    members = await repository.member_ids(household.id)
    splits = await repository.splits(household.id)
    expenses = []
    for row in await repository.shared_expenses(household.id):
        if row.user_id not in members:
            continue
        amount = row.amount
        if row.currency != household.currency:
            conversion = await convert(session, amount, row.currency, household.currency, row.date)
            amount = conversion.amount
        expenses.append(settle.SharedExpense(row.user_id, amount, splits.get(row.id)))
    settlements = [
        settle.Settlement(s.from_user_id, s.to_user_id, s.amount)
        for s in await repository.settlements(household.id)
    ]
    return settle.settle(members, expenses, settlements, household.currency)


async def record_settlement(
    session: AsyncSession,
    household: Household,
    by_user: User,
    from_user_id: int,
    to_user_id: int,
    amount: Decimal,
    note: str = "",
) -> Settlement:
    """Money one member paid another. Both members, different, amount > 0 in the
    household currency's minor units; recorded by a member (either party or not)."""
    repository = BalanceRepository(session)
    members = await repository.member_ids(household.id)
    if by_user.id not in members:
        raise NotFound("household")
    if amount >= _MONEY_LIMIT:
        raise Invalid("amount is too large", field="amount")
    settle.check_settlement(
        settle.Settlement(from_user_id, to_user_id, amount), members, household.currency
    )
    return await repository.add_settlement(
        household_id=household.id,
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        amount=amount,
        currency=household.currency,
        on=local_today(by_user.timezone),
        note=note,
        created_by=by_user.id,
    )


async def list_settlements(session: AsyncSession, household: Household) -> list[Settlement]:
    """The household's settlements, newest first."""
    return await BalanceRepository(session).settlements(household.id)
