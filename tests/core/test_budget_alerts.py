"""The one place that decides a budget's alerts (core.budgets.alerts.due_alerts): every
path (an expense, the recurring job, the sweep, household budgets) calls it, so the
rules are checked here once, as a table."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from core.budgets.alerts import due_alerts


@dataclass(frozen=True)
class Facts:
    id: int
    category: str
    limit: Decimal
    period: str


FOOD = Facts(7, "food", Decimal("100.00"), "monthly")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
SPENT_85 = "food: 85.00 of 100.00 EUR spent this month (85 %)"
SPENT_100 = "food: 100.00 of 100.00 EUR spent this month (100 %)"
PACE_10_NOV = ("food: at this pace the budget runs out around 10 Nov", "pace:7:2026-11-01")


@pytest.mark.parametrize(
    ("spent", "carried", "day", "expected"),
    [
        # Below the first threshold, too early for pace: nothing.
        ("79.99", "0", 2, []),
        # 80 % reached: that threshold's alert, keyed to the period's first day.
        ("85", "0", 2, [(SPENT_85, "budget:7:2026-11-01:80")]),
        # 100 %: both thresholds, the same text, one key each.
        (
            "100",
            "0",
            2,
            [(SPENT_100, "budget:7:2026-11-01:80"), (SPENT_100, "budget:7:2026-11-01:100")],
        ),
        # A rollover's carry lifts the limit: 85 of 120 is under 80 %.
        ("85", "20", 2, []),
        # A carry that ate the whole limit: both thresholds, no percentage.
        (
            "30",
            "-120",
            2,
            [
                ("food: 30.00 of -20.00 EUR spent this month", "budget:7:2026-11-01:80"),
                ("food: 30.00 of -20.00 EUR spent this month", "budget:7:2026-11-01:100"),
            ],
        ),
        # Pace: 30 in three days runs out on the tenth, well before the end.
        ("30", "0", 3, [PACE_10_NOV]),
        # Not before the third day, however fast the spending.
        ("30", "0", 2, []),
        # The carry counts for pace too: 30 of 300 in three days lasts the month.
        ("30", "200", 3, []),
        # At or over the limit pace is silent; the thresholds speak.
        (
            "100",
            "0",
            5,
            [(SPENT_100, "budget:7:2026-11-01:80"), (SPENT_100, "budget:7:2026-11-01:100")],
        ),
        # Nothing spent: nothing to project.
        ("0", "0", 15, []),
    ],
)
def test_due_alerts(spent: str, carried: str, day: int, expected: list[tuple[str, str]]) -> None:
    today = date(2026, 11, day)
    assert due_alerts(FOOD, "EUR", Decimal(spent), Decimal(carried), today, NOVEMBER) == expected


def test_keys_follow_the_period_and_the_currency_its_units() -> None:
    december = (date(2026, 12, 1), date(2026, 12, 31))
    weekly = Facts(9, "taxi", Decimal("5000"), "weekly")
    alerts = due_alerts(weekly, "JPY", Decimal("4000"), Decimal(0), date(2026, 12, 1), december)
    assert alerts == [("taxi: 4000 of 5000 JPY spent this week (80 %)", "budget:9:2026-12-01:80")]
