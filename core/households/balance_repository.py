"""Household balances SQL: each member's paid, share and settlements, in one statement.

Everything is summed in whole minor units of the household's currency (integers), so
SQLite and PostgreSQL give the same exact figures as core/households/settle.py, whose
leftover-cent rule the statement reproduces:

- Equal splits (an expense without expense_shares rows) among the n people of the
  expense's roster (the household's members when it was recorded, expense_rosters):
  everyone gets units // n, and the units % n leftover go one each by the rank
  (payer first, then by user id). Person m's rank for payer p is 0 when m = p, else
  idx(m) + [idx(p) > idx(m)] (idx: m's place on the roster by id; a payer who is
  not on it ranks nobody). So the expenses need no row per person: grouped by
  (roster, payer, units % n) they are a few dozen rows, met with the rosters'
  people afterwards. Rosters are few: one per change of membership.
- Uneven splits (rows of integer billionths s, summing to 10^9): each part is
  floor(units * s / 10^9), computed as (units / G) * s + (units % G) * s / G with
  G = 10^9 so no product overflows 64 bits; the leftover goes by ROW_NUMBER() over
  (remainder DESC, payer first, user id), as settle.py sorts.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    over,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging
from core.currencies.codes import CURRENCY_EXPONENTS
from core.currencies.repository import conversion_table, convert_amount
from core.models import Expense, ExpenseShare, HouseholdMember, Settlement, User
from core.models.base import MONEY_SCALE, utcnow
from core.models.households import (
    SHARE_UNIT,
    ExpenseRoster,
    HouseholdRoster,
    HouseholdRosterMember,
)

_SQLITE_UNITS = "finbot_household_units"


@dataclass(frozen=True)
class MemberTotals:
    """One person's sums in minor units of the household's currency."""

    user_id: int
    is_member: bool  # False: someone who left but still has entries or settlements
    paid: int
    share: int
    settled_out: int
    settled_in: int


@dataclass(frozen=True)
class HouseholdTotals:
    people: list[MemberTotals]
    unpriced: int  # shared expenses without a rate to convert them (0 normally)


class BalanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def usernames(self, user_ids: list[int]) -> dict[int, str]:
        query = select(User.id, User.username).where(User.id.in_(user_ids))
        return {user_id: name for user_id, name in await self.session.execute(query)}

    async def shares_of(self, expense_ids: list[int]) -> dict[int, dict[int, Decimal]]:
        """expense id -> {user_id: share} for those of these expenses split unevenly."""
        if not expense_ids:
            return {}
        query = select(ExpenseShare.expense_id, ExpenseShare.user_id, ExpenseShare.share).where(
            ExpenseShare.expense_id.in_(expense_ids)
        )
        found: dict[int, dict[int, Decimal]] = {}
        for expense_id, user_id, share in await self.session.execute(query):
            found.setdefault(expense_id, {})[user_id] = share
        return found

    async def replace_shares(self, expense_id: int, split: dict[int, Decimal]) -> None:
        # The expense's row lock orders two changes of one split at once: otherwise both
        # could delete the old rows, and the second insert would meet the first's.
        lock = select(Expense.id).where(Expense.id == expense_id).with_for_update()
        await self.session.execute(lock)
        await self.session.execute(
            delete(ExpenseShare).where(ExpenseShare.expense_id == expense_id)
        )
        if split:
            await self.session.execute(
                insert(ExpenseShare),
                [
                    {"expense_id": expense_id, "user_id": user_id, "share": share}
                    for user_id, share in split.items()
                ],
            )

    async def current_roster(self, household_id: int) -> int:
        """The id of a roster of the household's members now: its latest one when that
        still matches them (the usual case: one query), else a new one."""
        latest = (
            select(func.max(HouseholdRoster.id))
            .where(HouseholdRoster.household_id == household_id)
            .scalar_subquery()
        )
        on_roster = select(HouseholdRosterMember.user_id).where(
            HouseholdRosterMember.roster_id == latest
        )
        now_members = select(HouseholdMember.user_id).where(
            HouseholdMember.household_id == household_id
        )
        joined = exists().where(
            HouseholdMember.household_id == household_id, HouseholdMember.user_id.not_in(on_roster)
        )
        left = exists().where(
            HouseholdRosterMember.roster_id == latest,
            HouseholdRosterMember.user_id.not_in(now_members),
        )
        row = (await self.session.execute(select(latest, joined | left))).one()
        if row[0] is not None and not row[1]:
            return int(row[0])
        roster = HouseholdRoster(household_id=household_id, created_at=utcnow())
        self.session.add(roster)
        await self.session.flush()
        await self.session.execute(
            insert(HouseholdRosterMember).from_select(
                ["roster_id", "user_id"],
                select(literal(roster.id), HouseholdMember.user_id).where(
                    HouseholdMember.household_id == household_id
                ),
            )
        )
        return roster.id

    async def put_on_roster(self, expense_ids: list[int], roster_id: int | None) -> None:
        """These expenses are shared by the roster's people from now on (None: by nobody,
        as they left their household)."""
        if not expense_ids:
            return
        await self.session.execute(
            delete(ExpenseRoster).where(ExpenseRoster.expense_id.in_(expense_ids))
        )
        if roster_id is not None:
            await self.session.execute(
                insert(ExpenseRoster),
                [{"expense_id": expense_id, "roster_id": roster_id} for expense_id in expense_ids],
            )

    async def settlement(self, household_id: int, settlement_id: int) -> Settlement | None:
        query = select(Settlement).where(
            Settlement.household_id == household_id, Settlement.id == settlement_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def delete_settlement(self, settlement: Settlement) -> None:
        await self.session.delete(settlement)
        await self.session.flush()

    async def settlements(self, household_id: int, paging: Paging) -> Page[Settlement]:
        """A page of the household's settlements, newest first, and their total."""
        query = (
            select(Settlement, over(func.count()).label("total"))
            .where(Settlement.household_id == household_id)
            .order_by(Settlement.date.desc(), Settlement.id.desc())
            .limit(paging.limit)
            .offset(paging.offset)
        )
        rows = (await self.session.execute(query)).all()
        if rows or not paging.offset:
            return Page(items=[row[0] for row in rows], total=rows[0].total if rows else 0)
        count = select(func.count()).where(Settlement.household_id == household_id)
        return Page(items=[], total=int((await self.session.execute(count)).scalar_one()))

    async def add_settlement(
        self,
        *,
        household_id: int,
        from_user_id: int,
        to_user_id: int,
        amount: Decimal,
        currency: str,
        on: date,
        note: str,
        created_by: int,
    ) -> Settlement:
        settlement = Settlement(
            household_id=household_id,
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            amount=amount,
            currency=currency,
            date=on,
            note=note,
            created_by=created_by,
        )
        self.session.add(settlement)
        await self.session.flush()
        return settlement

    async def totals(self, household_id: int, currency: str) -> HouseholdTotals:
        """Per person: paid, share, settled out and in (minor units), in one statement."""
        dialect = self.session.get_bind().dialect.name
        exponent = CURRENCY_EXPONENTS[currency]
        connection = await self.session.connection()
        if dialect == "sqlite":
            await self._register_sqlite_units(exponent)
        else:
            # PostgreSQL JIT-compiles a statement this size: 100-200 ms of compiling for
            # one pass over the rows, more than the whole query takes without it.
            # set_config(..., true) holds for this transaction only.
            await connection.execute(select(func.set_config("jit", "off", True)))
        statement = _totals_statement(dialect, household_id, currency, exponent)
        rows = (await connection.execute(statement)).all()
        people = [
            MemberTotals(
                user_id=row.user_id,
                is_member=bool(row.is_member),
                paid=int(row.paid),
                share=int(row.share),
                settled_out=int(row.settled_out),
                settled_in=int(row.settled_in),
            )
            for row in rows
        ]
        return HouseholdTotals(people=people, unpriced=sum(int(row.unpriced) for row in rows))

    async def _register_sqlite_units(self, exponent: int) -> None:
        """SQLite has no exact decimals: a converted amount's units come from Decimal
        arithmetic (the same as convert_column's), in a function on this connection."""
        connection = await self.session.connection()
        decode = Expense.amount.type.result_processor(connection.dialect, None)
        unit = Decimal(1).scaleb(-exponent)

        def units(raw_amount: Any, raw_from: Any, raw_to: Any) -> int | None:
            if raw_amount is None or raw_from is None or raw_to is None:
                return None
            amount = decode(raw_amount) if decode else Decimal(raw_amount)
            # Rates are decimal text on SQLite (ExactRate).
            converted = convert_amount(amount, Decimal(str(raw_from)), Decimal(str(raw_to)), unit)
            return int(converted.scaleb(exponent))

        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.create_function(_SQLITE_UNITS, 3, units, deterministic=True)


def _money_units(dialect: str, amount: Any, exponent: int) -> ColumnElement[int]:
    """A Money column (already in the household currency) as integer minor units."""
    if dialect == "sqlite":
        # Stored as integer thousandths there: an exact integer division.
        return type_coerce(amount, BigInteger) // (10 ** (MONEY_SCALE - exponent))
    return cast(amount * (10**exponent), BigInteger)


def _converted_units(
    dialect: str, amount: Any, from_rate: Any, to_rate: Any, exponent: int
) -> ColumnElement[int]:
    """amount * to / from rounded half up to the minor unit, as convert_column does."""
    if dialect == "sqlite":
        return type_coerce(func.finbot_household_units(amount, from_rate, to_rate), BigInteger)
    exact = Numeric(38, 12)
    rounded = func.round(
        cast(amount, exact) * cast(to_rate, exact) / cast(from_rate, exact), exponent
    )
    return cast(rounded * (10**exponent), BigInteger)


def _totals_statement(dialect: str, household_id: int, currency: str, exponent: int) -> Any:
    zero = literal(0, BigInteger)
    in_household = Expense.household_id == household_id
    foreign = Expense.currency != currency

    members = (
        select(HouseholdMember.user_id.label("user_id"))
        .where(HouseholdMember.household_id == household_id)
        .cte("members")
    )
    # The people each equal split is over: the household's rosters (frozen when their
    # expenses were recorded), and roster 0, the members now, for a shared expense that
    # has no roster (one written straight to the table, past the services).
    on_rosters = (
        select(
            HouseholdRosterMember.roster_id.label("roster"),
            HouseholdRosterMember.user_id.label("user_id"),
        )
        .join(HouseholdRoster, HouseholdRoster.id == HouseholdRosterMember.roster_id)
        .where(HouseholdRoster.household_id == household_id)
    )
    now_members = select(literal(0, Integer).label("roster"), members.c.user_id)
    everyone = union_all(on_rosters, now_members).subquery("everyone")
    people = select(
        everyone.c.roster,
        everyone.c.user_id,
        (
            func.row_number().over(partition_by=everyone.c.roster, order_by=everyone.c.user_id) - 1
        ).label("idx"),
    ).cte("people")
    sizes = (
        select(people.c.roster, func.count().label("n")).group_by(people.c.roster).subquery("sizes")
    )

    # Rates once per distinct (currency, day) of the foreign-currency entries only.
    rates = conversion_table(
        dialect,
        currency=Expense.currency,  # type: ignore[arg-type]
        day=Expense.date,  # type: ignore[arg-type]
        base_currency=currency,
        where=and_(in_household, foreign),
    )
    units = case(
        (~foreign, _money_units(dialect, Expense.amount, exponent)),
        else_=_converted_units(
            dialect, Expense.amount, rates.c.from_rate, rates.c.to_rate, exponent
        ),
    )
    shared = (
        select(
            Expense.id.label("id"),
            Expense.user_id.label("payer"),
            units.label("units"),
            func.coalesce(ExpenseRoster.roster_id, 0).label("roster"),
        )
        .outerjoin(rates, and_(rates.c.currency == Expense.currency, rates.c.day == Expense.date))
        .outerjoin(ExpenseRoster, ExpenseRoster.expense_id == Expense.id)
        .where(in_household)
        .cte("shared")
    )

    # Equal splits, grouped by what decides who gets a leftover unit: the roster, the
    # payer and the leftover. A roster has at least one person (its recorder).
    n = type_coerce(sizes.c.n, BigInteger)
    leftover = shared.c.units % n
    equal = (
        select(
            shared.c.roster,
            shared.c.payer,
            leftover.label("leftover"),
            func.count().label("expenses"),
            func.sum(shared.c.units // n).label("each"),
        )
        .join(sizes, sizes.c.roster == shared.c.roster)
        .where(~exists().where(ExpenseShare.expense_id == shared.c.id), shared.c.units.is_not(None))
        .group_by(shared.c.roster, shared.c.payer, leftover)
        .cte("equal")
    )
    member, payer = people.alias("member"), people.alias("payer_member")
    rank = case(
        (member.c.user_id == equal.c.payer, 0),
        (payer.c.idx > member.c.idx, member.c.idx + 1),
        else_=member.c.idx,
    )
    equal_shares = (
        select(
            member.c.user_id,
            zero,
            func.sum(equal.c.each + case((rank < equal.c.leftover, equal.c.expenses), else_=0)),
            zero,
            zero,
            zero,
        )
        .select_from(equal)
        .join(member, member.c.roster == equal.c.roster)
        .outerjoin(payer, and_(payer.c.roster == equal.c.roster, payer.c.user_id == equal.c.payer))
        .group_by(member.c.user_id)
    )

    # Uneven splits: parts rounded down, then the leftover by largest remainder. The
    # remainders of an expense add up to leftover * 10^9 (its shares sum to 10^9), so
    # the leftover comes from the same window pass as the rank. A remainder is below
    # 10^9: an INTEGER, whose sums stay integers (a BIGINT's would be NUMERIC).
    share = type_coerce(ExpenseShare.share, BigInteger)
    whole, rest = shared.c.units // SHARE_UNIT, shared.c.units % SHARE_UNIT
    remainder = cast(rest * share % SHARE_UNIT, Integer)
    parts = (
        select(
            ExpenseShare.expense_id,
            ExpenseShare.user_id,
            (whole * share + rest * share // SHARE_UNIT).label("part"),
            remainder.label("remainder"),
            # Ties go to the payer first, then to the smaller user id.
            case((ExpenseShare.user_id == shared.c.payer, 0), else_=1).label("not_payer"),
        )
        .join(shared, shared.c.id == ExpenseShare.expense_id)
        .where(shared.c.units.is_not(None))
        .subquery("parts")
    )
    by_expense = parts.c.expense_id
    ranked = select(
        parts.c.user_id,
        parts.c.part,
        (func.sum(parts.c.remainder).over(partition_by=by_expense) // SHARE_UNIT).label("leftover"),
        func.row_number()
        .over(
            partition_by=by_expense,
            order_by=(parts.c.remainder.desc(), parts.c.not_payer, parts.c.user_id),
        )
        .label("rank"),
    ).subquery("ranked")
    uneven_shares = select(
        ranked.c.user_id,
        zero,
        func.sum(ranked.c.part + case((ranked.c.rank <= ranked.c.leftover, 1), else_=0)),
        zero,
        zero,
        zero,
    ).group_by(ranked.c.user_id)

    settled = _money_units(dialect, Settlement.amount, exponent)
    mine = Settlement.household_id == household_id
    # Columns: user_id, paid, share, settled_out, settled_in, unpriced.
    flows = union_all(
        select(
            members.c.user_id.label("user_id"),
            *(zero.label(name) for name in ("paid", "share", "out", "in", "unpriced")),
        ),
        select(
            shared.c.payer,
            func.coalesce(func.sum(shared.c.units), 0),
            zero,
            zero,
            zero,
            func.count() - func.count(shared.c.units),
        ).group_by(shared.c.payer),
        equal_shares,
        uneven_shares,
        select(Settlement.from_user_id, zero, zero, func.sum(settled), zero, zero)
        .where(mine)
        .group_by(Settlement.from_user_id),
        select(Settlement.to_user_id, zero, zero, zero, func.sum(settled), zero)
        .where(mine)
        .group_by(Settlement.to_user_id),
    ).subquery("flows")
    user_id = flows.c.user_id
    is_member = exists().where(
        HouseholdMember.household_id == household_id, HouseholdMember.user_id == user_id
    )
    return (
        select(
            user_id.label("user_id"),
            is_member.label("is_member"),
            func.sum(flows.c.paid).label("paid"),
            func.sum(flows.c.share).label("share"),
            func.sum(flows.c.out).label("settled_out"),
            func.sum(flows.c["in"]).label("settled_in"),
            func.sum(flows.c.unpriced).label("unpriced"),
        )
        .group_by(user_id)
        .order_by(user_id)
    )
