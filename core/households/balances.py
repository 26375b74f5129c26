"""Who owes whom in a household: the balances and the settlements (SPEC section 8).

Takes a session, never commits. The caller has got the household with
core.households.service.get_household, which is NotFound to a non-member.
"""

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging
from core.currencies.codes import CURRENCY_EXPONENTS
from core.currencies.service import read_priced
from core.exceptions import Forbidden, Invalid, NotFound
from core.households import settle
from core.households.balance_repository import BalanceRepository
from core.households.balance_schemas import BalancesOut, MemberBalanceOut, TransferOut
from core.households.service import member_ids
from core.models import Household, Settlement, User
from core.money import MONEY_LIMIT
from core.periods import local_today


async def household_balances(session: AsyncSession, household: Household) -> settle.Balances:
    """Every member's paid, share, settlements and balance, and the fewest transfers.

    The sums come from one SQL statement (balance_repository); only the transfers,
    over a handful of per-person totals, are worked out here. Someone who left the
    household but still has shared entries or settlements keeps a line, so the
    balances still add up to zero and what they are owed or owe stays visible.
    """
    result, _ = await _balances(session, household)
    return result


async def balances_out(session: AsyncSession, household: Household) -> BalancesOut:
    """household_balances with each person's name and whether they are still a member."""
    result, current = await _balances(session, household)
    names = await BalanceRepository(session).usernames([m.user_id for m in result.members])
    return BalancesOut(
        currency=result.currency,
        members=[
            MemberBalanceOut(
                user_id=m.user_id,
                username=names.get(m.user_id, ""),
                member=m.user_id in current,
                paid=m.paid,
                share=m.share,
                settled_out=m.settled_out,
                settled_in=m.settled_in,
                balance=m.balance,
            )
            for m in result.members
        ],
        transfers=[
            TransferOut(from_user_id=t.from_user_id, to_user_id=t.to_user_id, amount=t.amount)
            for t in result.transfers
        ],
    )


async def _balances(
    session: AsyncSession, household: Household
) -> tuple[settle.Balances, set[int]]:
    """The balances, and who of them is a member now."""
    repository = BalanceRepository(session)
    totals = await read_priced(
        session,
        lambda: repository.totals(household.id, household.currency),
        lambda totals: bool(totals.unpriced),
        household.currency,
    )
    exponent = CURRENCY_EXPONENTS[household.currency]
    balances = {
        person.user_id: person.paid - person.share + person.settled_out - person.settled_in
        for person in totals.people
    }
    members = tuple(
        settle.MemberBalance(
            user_id=person.user_id,
            paid=_money(person.paid, exponent),
            share=_money(person.share, exponent),
            settled_out=_money(person.settled_out, exponent),
            settled_in=_money(person.settled_in, exponent),
            balance=_money(balances[person.user_id], exponent),
        )
        for person in totals.people
    )
    transfers = settle.fewest_transfers(
        {user_id: _money(units, exponent) for user_id, units in balances.items()},
        household.currency,
    )
    result = settle.Balances(
        currency=household.currency, members=members, transfers=tuple(transfers)
    )
    return result, {person.user_id for person in totals.people if person.is_member}


def _money(units: int, exponent: int) -> Decimal:
    return Decimal(units).scaleb(-exponent)


async def checked_split(
    session: AsyncSession, user: User, household_id: int | None, split: Mapping[int, Decimal]
) -> dict[int, Decimal]:
    """The split of a shared expense of `household_id` by `user`: it names members only,
    each share > 0, summing to exactly 1 (else Invalid naming `split`). {}: equal again."""
    if not split:
        return {}
    if household_id is None:
        raise Invalid("a split is for a shared expense: give household_id", field="split")
    members = await member_ids(session, household_id)
    if user.id not in members:
        raise NotFound("household")
    return settle.validate_split(split, members)


async def save_split(session: AsyncSession, expense_id: int, split: dict[int, Decimal]) -> None:
    """Store a checked split in place of the expense's old one ({}: split equally)."""
    await BalanceRepository(session).replace_shares(expense_id, split)


async def freeze_roster(
    session: AsyncSession, expense_ids: list[int], household_id: int | None
) -> None:
    """These expenses were just recorded in (or moved into) `household_id`: their equal
    split is over its members of this moment from now on, whoever joins or leaves
    later (SPEC 8). None: they left their household and are shared by nobody."""
    repository = BalanceRepository(session)
    roster = None if household_id is None else await repository.current_roster(household_id)
    await repository.put_on_roster(expense_ids, roster)


async def splits_of(session: AsyncSession, expense_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """The uneven splits of these expenses (an expense split equally has none)."""
    return await BalanceRepository(session).shares_of(expense_ids)


async def record_settlement(
    session: AsyncSession,
    household: Household,
    by_user: User,
    from_user_id: int,
    to_user_id: int,
    amount: Decimal,
    note: str = "",
) -> Settlement:
    """Money one member paid another: both members, different, amount > 0 in the
    household currency's minor units (else Invalid naming the field). Only its payer or
    its payee records it (anyone else: Invalid naming `from_user_id`: nobody settles
    for two others); `by_user` is kept."""
    repository = BalanceRepository(session)
    members = await member_ids(session, household.id)
    if by_user.id not in members:
        raise NotFound("household")
    if by_user.id not in (from_user_id, to_user_id):
        raise Invalid(
            "a settlement is recorded by its payer or its payee: you must be one of them",
            field="from_user_id",
        )
    if amount >= MONEY_LIMIT:
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


async def delete_settlement(
    session: AsyncSession, household: Household, by_user: User, settlement_id: int
) -> None:
    """Its payer or its payee takes a settlement back. Another member sees it in the
    list, so it is no secret to them: Forbidden naming why; not the household's: 404."""
    repository = BalanceRepository(session)
    settlement = await repository.settlement(household.id, settlement_id)
    if settlement is None:
        raise NotFound("settlement")
    if by_user.id not in (settlement.from_user_id, settlement.to_user_id):
        raise Forbidden("only the settlement's payer or payee can delete it")
    await repository.delete_settlement(settlement)


async def list_settlements(
    session: AsyncSession, household: Household, paging: Paging | None = None
) -> Page[Settlement]:
    """The household's settlements, newest first (by date, then by creation)."""
    return await BalanceRepository(session).settlements(household.id, paging or Paging())
