"""Who owes whom in a household: shares, what each paid, settlements, fewest transfers.

All sums run in whole minor units (cents) as integers, so every figure is exact and the
shares of an expense add up to its amount.

Leftover cents: an expense's shares are cut by the largest-remainder method; the units
left after rounding every share down go one each to the members with the largest
remainders, ties going first to the payer (who then carries the rounding of their own
expense) and then to the smallest user id. Equal splits therefore put the odd cent on
the payer when the payer shares, else on the lowest user ids. The rule is a plain
ORDER BY (remainder DESC, user_id = payer DESC, user_id), so SQL can reproduce it.

Fewest transfers: settling n non-zero balances takes n - k transfers, where k is the
largest number of groups the balances split into with each group summing to zero
(each group of size s needs s - 1). Finding k is NP-hard in general (it contains
subset-sum), so up to EXACT_LIMIT non-zero balances an exact dynamic programme over all
subsets finds it: O(2^n * n), ~5 ms of CPU at 12 and ~100 ms at 16, so 12 keeps it
short enough to run on the event loop. Households are small, so that is the usual path.
Above the limit a greedy pass settles first every pair of exactly opposite balances,
then the largest debtor against the largest creditor: at most n - 1 transfers, not
always the fewest. Inside a zero-sum group the same largest-against-largest pass gives
exactly s - 1 transfers, as each transfer clears at least one member and the last two.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from core.currencies import CURRENCY_EXPONENTS
from core.exceptions import Invalid

EXACT_LIMIT = 12


@dataclass(frozen=True)
class SharedExpense:
    payer_id: int
    amount: Decimal  # in the household's currency
    split: Mapping[int, Decimal] | None = None  # None: equal among the members


@dataclass(frozen=True)
class Settlement:
    from_user_id: int
    to_user_id: int
    amount: Decimal


@dataclass(frozen=True)
class MemberBalance:
    user_id: int
    paid: Decimal  # shared expenses this member paid
    share: Decimal  # this member's part of all shared expenses
    settled_out: Decimal  # settlements this member paid to others
    settled_in: Decimal  # settlements this member received
    balance: Decimal  # paid - share + settled_out - settled_in; > 0: is owed


@dataclass(frozen=True)
class Transfer:
    from_user_id: int
    to_user_id: int
    amount: Decimal


@dataclass(frozen=True)
class Balances:
    currency: str
    members: tuple[MemberBalance, ...]
    transfers: tuple[Transfer, ...]


def validate_split(split: Mapping[int, Decimal], members: Iterable[int]) -> dict[int, Decimal]:
    """Shares that name members only, none negative, summing to exactly 1."""
    member_ids = set(members)
    if not split:
        raise Invalid("split names nobody", field="split")
    strangers = sorted(set(split) - member_ids)
    if strangers:
        raise Invalid(f"split names non-members: {strangers}", field="split")
    shares: dict[int, Decimal] = {}
    for user_id, share in split.items():
        if not isinstance(share, Decimal | int) or isinstance(share, bool):
            raise Invalid("split shares must be decimal numbers", field="split")
        if not Decimal(share).is_finite() or share < 0:
            raise Invalid("split shares must be 0 or more", field="split")
        shares[user_id] = Decimal(share)
    if sum(shares.values(), Decimal(0)) != 1:
        raise Invalid("split shares must sum to 1", field="split")
    return shares


def split_amount(
    amount: Decimal,
    members: Sequence[int],
    payer_id: int,
    currency: str,
    split: Mapping[int, Decimal] | None = None,
) -> dict[int, Decimal]:
    """Each member's exact share of one expense (see the leftover-cent rule above)."""
    exponent = _exponent(currency)
    units = _to_units(amount, exponent, "amount")
    return {
        user_id: _from_units(part, exponent)
        for user_id, part in _split_units(units, members, payer_id, split).items()
    }


def _split_units(
    units: int, members: Sequence[int], payer_id: int, split: Mapping[int, Decimal] | None
) -> dict[int, int]:
    if split is None:
        # Equal remainders: the leftover goes to the payer, then the smallest ids.
        each, leftover = divmod(units, len(members))
        ordered = sorted(members, key=lambda user_id: (user_id != payer_id, user_id))
        return {user_id: each + (rank < leftover) for rank, user_id in enumerate(ordered)}
    exact = {user_id: units * Fraction(share) for user_id, share in split.items()}
    parts = {user_id: int(value // 1) for user_id, value in exact.items()}
    leftover = units - sum(parts.values())
    by_remainder = sorted(
        parts,
        key=lambda user_id: (-(exact[user_id] - parts[user_id]), user_id != payer_id, user_id),
    )
    for user_id in by_remainder[:leftover]:
        parts[user_id] += 1
    return parts


def settle(
    members: Sequence[int],
    expenses: Iterable[SharedExpense],
    settlements: Iterable[Settlement],
    currency: str,
) -> Balances:
    """Every member's balance and the fewest transfers that bring them all to zero."""
    exponent = _exponent(currency)
    if not members:
        raise Invalid("a household has at least one member", field="members")
    if len(set(members)) != len(members):
        raise Invalid("members are listed twice", field="members")
    member_ids = set(members)
    paid = dict.fromkeys(members, 0)
    share = dict.fromkeys(members, 0)
    settled_out = dict.fromkeys(members, 0)
    settled_in = dict.fromkeys(members, 0)
    for expense in expenses:
        if expense.payer_id not in member_ids:
            raise Invalid(f"user {expense.payer_id} is not a member", field="user_id")
        units = _to_units(expense.amount, exponent, "amount")
        split = None if expense.split is None else validate_split(expense.split, members)
        paid[expense.payer_id] += units
        for user_id, part in _split_units(units, members, expense.payer_id, split).items():
            share[user_id] += part
    for settlement in settlements:
        check_settlement(settlement, member_ids, currency)
        units = _to_units(settlement.amount, exponent, "amount")
        settled_out[settlement.from_user_id] += units
        settled_in[settlement.to_user_id] += units
    balance = {
        user_id: paid[user_id] - share[user_id] + settled_out[user_id] - settled_in[user_id]
        for user_id in members
    }
    return Balances(
        currency=currency,
        members=tuple(
            MemberBalance(
                user_id=user_id,
                paid=_from_units(paid[user_id], exponent),
                share=_from_units(share[user_id], exponent),
                settled_out=_from_units(settled_out[user_id], exponent),
                settled_in=_from_units(settled_in[user_id], exponent),
                balance=_from_units(balance[user_id], exponent),
            )
            for user_id in sorted(members)
        ),
        transfers=tuple(_transfers(balance, exponent)),
    )


def check_settlement(settlement: Settlement, members: Iterable[int], currency: str) -> None:
    """A settlement between two different members, of a positive amount in minor units."""
    member_ids = set(members)
    if settlement.from_user_id not in member_ids:
        raise Invalid("from_user_id is not a member", field="from_user_id")
    if settlement.to_user_id not in member_ids:
        raise Invalid("to_user_id is not a member", field="to_user_id")
    if settlement.from_user_id == settlement.to_user_id:
        raise Invalid("a settlement is between two members", field="to_user_id")
    if _to_units(settlement.amount, _exponent(currency), "amount") <= 0:
        raise Invalid("amount must be more than 0", field="amount")


def fewest_transfers(balances: Mapping[int, Decimal], currency: str) -> list[Transfer]:
    """Transfers that settle balances (> 0: is owed) computed elsewhere, e.g. in SQL."""
    exponent = _exponent(currency)
    units = {user_id: _to_units(value, exponent, "balance") for user_id, value in balances.items()}
    if sum(units.values()) != 0:
        raise Invalid("balances do not sum to zero", field="balance")
    return _transfers(units, exponent)


def _transfers(balance: Mapping[int, int], exponent: int) -> list[Transfer]:
    open_balances = sorted((user_id, units) for user_id, units in balance.items() if units)
    if len(open_balances) <= EXACT_LIMIT:
        groups = _zero_sum_groups(open_balances)
    else:
        groups = _opposite_pairs_then_rest(open_balances)
    moves: list[tuple[int, int, int]] = []
    for group in groups:
        moves.extend(_largest_against_largest(group))
    moves.sort()
    return [
        Transfer(debtor, creditor, _from_units(units, exponent))
        for debtor, creditor, units in moves
    ]


def _zero_sum_groups(items: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The most zero-sum groups the balances split into (exact, over all subsets).

    most[mask] = the most zero-sum groups the members in `mask`, taken in some order, pass
    through: a chain of masks losing one member at a time counts each zero-sum mask on it.
    """
    count = len(items)
    values = [units for _, units in items]
    full = (1 << count) - 1
    sums = [0] * (full + 1)
    most = [0] * (full + 1)
    for mask in range(1, full + 1):
        lowest = (mask & -mask).bit_length() - 1
        sums[mask] = sums[mask & (mask - 1)] + values[lowest]
        best = 0
        rest = mask
        while rest:
            bit = rest & -rest
            best = max(best, most[mask ^ bit])
            rest ^= bit
        most[mask] = best + (sums[mask] == 0)
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    mask = full
    while mask:
        wanted = most[mask] - (sums[mask] == 0)
        rest = mask
        while rest:
            bit = rest & -rest
            if most[mask ^ bit] == wanted:
                break
            rest ^= bit
        mask ^= bit
        current.append(items[bit.bit_length() - 1])
        if sums[mask] == 0:
            groups.append(current)
            current = []
    return groups


def _opposite_pairs_then_rest(items: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    waiting: dict[int, list[tuple[int, int]]] = {}
    pairs: list[list[tuple[int, int]]] = []
    rest: list[tuple[int, int]] = []
    for item in items:
        partners = waiting.get(-item[1])
        if partners:
            pairs.append([partners.pop(0), item])
        else:
            waiting.setdefault(item[1], []).append(item)
    for still_waiting in waiting.values():
        rest.extend(still_waiting)
    return [*pairs, sorted(rest)] if rest else pairs


def _largest_against_largest(group: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    owed = {user_id: units for user_id, units in group}
    moves: list[tuple[int, int, int]] = []
    while True:
        creditors = [(units, -user_id) for user_id, units in owed.items() if units > 0]
        debtors = [(-units, -user_id) for user_id, units in owed.items() if units < 0]
        if not creditors or not debtors:
            return moves
        credit, creditor = max(creditors)
        debt, debtor = max(debtors)
        amount = min(credit, debt)
        owed[-creditor] -= amount
        owed[-debtor] += amount
        moves.append((-debtor, -creditor, amount))


def _exponent(currency: str) -> int:
    if currency not in CURRENCY_EXPONENTS:
        raise Invalid(f"unknown currency {currency!r}", field="currency")
    return CURRENCY_EXPONENTS[currency]


def _to_units(amount: Decimal, exponent: int, field: str) -> int:
    scaled = Decimal(amount).scaleb(exponent)
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise Invalid(f"{field} has more decimals than the currency", field=field)
    return int(scaled)


def _from_units(units: int, exponent: int) -> Decimal:
    return Decimal(units).scaleb(-exponent)
