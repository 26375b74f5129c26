"""Household balances: shares, payments, settlements, fewest transfers, leftover cents."""

import random
from decimal import Decimal

import pytest

import core.households.settle as settle_module
from core.exceptions import Invalid
from core.households.settle import (
    Settlement,
    SharedExpense,
    Transfer,
    check_settlement,
    fewest_transfers,
    settle,
    split_amount,
    validate_split,
)

D = Decimal
ALICE, BOB, CAROL, DAN = 1, 2, 3, 4
FOUR = [ALICE, BOB, CAROL, DAN]


def test_four_members_uneven_splits_and_a_settlement() -> None:
    expenses = [
        SharedExpense(ALICE, D("120.00")),  # equal: 30.00 each
        SharedExpense(BOB, D("100.00"), {ALICE: D("0.5"), BOB: D("0.25"), CAROL: D("0.25")}),
        SharedExpense(CAROL, D("10.00")),  # equal: 2.50 each
        SharedExpense(DAN, D("60.00"), {BOB: D("0.5"), DAN: D("0.5")}),
        # 333.33 / 333.33 / 333.34 cents: Carol has the largest remainder, so the cent.
        SharedExpense(
            ALICE, D("10.00"), {ALICE: D("0.3333"), BOB: D("0.3333"), CAROL: D("0.3334")}
        ),
    ]
    result = settle(FOUR, expenses, [Settlement(CAROL, ALICE, D("41.67"))], "EUR")
    by_user = {member.user_id: member for member in result.members}
    assert {u: (m.paid, m.share) for u, m in by_user.items()} == {
        ALICE: (D("130.00"), D("85.83")),  # 30 + 50 + 2.50 + 3.33
        BOB: (D("100.00"), D("90.83")),  # 30 + 25 + 2.50 + 30 + 3.33
        CAROL: (D("10.00"), D("60.84")),  # 30 + 25 + 2.50 + 3.34
        DAN: (D("60.00"), D("62.50")),  # 30 + 2.50 + 30
    }
    assert by_user[CAROL].settled_out == D("41.67")
    assert by_user[ALICE].settled_in == D("41.67")
    # Before the settlement: +44.17, +9.17, -50.84, -2.50; Carol paid Alice 41.67.
    assert {u: m.balance for u, m in by_user.items()} == {
        ALICE: D("2.50"),
        BOB: D("9.17"),
        CAROL: D("-9.17"),
        DAN: D("-2.50"),
    }
    # Two pairs cancel out: two transfers, not the three a chain would take.
    assert list(result.transfers) == [
        Transfer(CAROL, BOB, D("9.17")),
        Transfer(DAN, ALICE, D("2.50")),
    ]
    assert sum((m.share for m in result.members), D(0)) == D("300.00")


def test_the_exact_search_beats_greedy() -> None:
    # Users 1..7; {6, -2, 4, -8} and {9, 3, -12} sum to zero: 3 + 2 = 5 transfers.
    balances = {i + 1: D(v) for i, v in enumerate([9, -8, 6, -2, 3, 4, -12])}
    exact = fewest_transfers(balances, "EUR")
    assert len(exact) == 5
    _assert_settles(balances, exact)


def test_greedy_above_the_exact_limit_settles_with_at_most_n_minus_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    balances = {i + 1: D(v) for i, v in enumerate([9, -8, 6, -2, 3, 4, -12])}
    monkeypatch.setattr(settle_module, "EXACT_LIMIT", 0)
    greedy = fewest_transfers(balances, "EUR")
    assert len(greedy) == 6  # the greedy pass misses the 3 + 4 grouping
    _assert_settles(balances, greedy)


def test_exact_never_worse_than_greedy_and_always_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    chooser = random.Random(20)
    exact_limit = settle_module.EXACT_LIMIT
    for _ in range(300):
        values = [chooser.randint(-900, 900) for _ in range(chooser.randint(2, 9))]
        values.append(-sum(values))
        balances = {i + 1: D(v).scaleb(-2) for i, v in enumerate(values)}
        exact = fewest_transfers(balances, "EUR")
        _assert_settles(balances, exact)
        monkeypatch.setattr(settle_module, "EXACT_LIMIT", 0)
        greedy = fewest_transfers(balances, "EUR")
        monkeypatch.setattr(settle_module, "EXACT_LIMIT", exact_limit)
        _assert_settles(balances, greedy)
        owing_or_owed = sum(1 for v in values if v)
        assert len(exact) <= len(greedy) <= max(owing_or_owed - 1, 0)


def _assert_settles(balances: dict[int, Decimal], transfers: list[Transfer]) -> None:
    left = dict(balances)
    for transfer in transfers:
        assert transfer.amount > 0
        left[transfer.from_user_id] += transfer.amount
        left[transfer.to_user_id] -= transfer.amount
    assert all(value == 0 for value in left.values())


def test_leftover_cents_go_by_remainder_then_payer_then_smallest_id() -> None:
    # 10.00 / 3: 3.33 each and one cent over, which the payer (Bob) carries.
    assert split_amount(D("10.00"), [1, 2, 3], 2, "EUR") == {
        1: D("3.33"),
        2: D("3.34"),
        3: D("3.33"),
    }
    # 0.05 / 3: two cents over: the payer first, then the smallest id.
    assert split_amount(D("0.05"), [1, 2, 3], 3, "EUR") == {
        1: D("0.02"),
        2: D("0.01"),
        3: D("0.02"),
    }
    # The payer is not in the split: the smallest id takes the tie.
    assert split_amount(D("0.01"), [1, 2, 3], 3, "EUR", {1: D("0.5"), 2: D("0.5")}) == {
        1: D("0.01"),
        2: D("0.00"),
    }
    # Other minor units: KWD has three, JPY none.
    assert split_amount(D("1.000"), [1, 2, 3], 1, "KWD") == {
        1: D("0.334"),
        2: D("0.333"),
        3: D("0.333"),
    }
    assert split_amount(D("1000"), [1, 2, 3], 3, "JPY") == {1: D(333), 2: D(333), 3: D(334)}


def test_a_year_of_odd_cents_still_balances() -> None:
    expenses = [SharedExpense(FOUR[i % 4], D("10.01") + i * D("0.01")) for i in range(365)]
    result = settle(FOUR, expenses, [], "EUR")
    total = sum((e.amount for e in expenses), D(0))
    assert sum((m.share for m in result.members), D(0)) == total
    assert sum((m.balance for m in result.members), D(0)) == 0
    _assert_settles({m.user_id: m.balance for m in result.members}, list(result.transfers))


@pytest.mark.parametrize(
    "split",
    [
        {ALICE: D("0.5"), BOB: D("0.49")},
        {ALICE: D("0.5"), 99: D("0.5")},
        {ALICE: D("1.5"), BOB: D("-0.5")},
        {},
    ],
)
def test_bad_splits_are_invalid_naming_split(split: dict[int, Decimal]) -> None:
    with pytest.raises(Invalid) as caught:
        validate_split(split, FOUR)
    assert caught.value.field == "split"
    with pytest.raises(Invalid) as caught:
        settle(FOUR, [SharedExpense(ALICE, D("10.00"), split)], [], "EUR")
    assert caught.value.field == "split"


def test_a_split_may_give_a_member_nothing() -> None:
    assert validate_split({ALICE: D("1"), BOB: D("0")}, FOUR) == {ALICE: D(1), BOB: D(0)}


@pytest.mark.parametrize(
    ("settlement", "field"),
    [
        (Settlement(ALICE, ALICE, D("5.00")), "to_user_id"),
        (Settlement(99, ALICE, D("5.00")), "from_user_id"),
        (Settlement(ALICE, 99, D("5.00")), "to_user_id"),
        (Settlement(ALICE, BOB, D("0")), "amount"),
        (Settlement(ALICE, BOB, D("0.001")), "amount"),
    ],
)
def test_bad_settlements(settlement: Settlement, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_settlement(settlement, FOUR, "EUR")
    assert caught.value.field == field


def test_an_expense_with_more_decimals_than_the_currency_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        settle(FOUR, [SharedExpense(ALICE, D("10.005"))], [], "EUR")
    assert caught.value.field == "amount"


def test_balances_that_do_not_sum_to_zero_are_refused() -> None:
    with pytest.raises(Invalid) as caught:
        fewest_transfers({ALICE: D("1.00"), BOB: D("-0.99")}, "EUR")
    assert caught.value.field == "balance"


def test_nothing_owed_means_no_transfers() -> None:
    result = settle(FOUR, [SharedExpense(ALICE, D("40.00"), {ALICE: D(1)})], [], "EUR")
    assert result.transfers == ()
    assert all(m.balance == 0 for m in result.members)
