"""SPEC 7's safe-to-spend figure from plain inputs.

left = income so far + recurring income still due
       - spending so far - recurring expenses still due,
spread over the days left in the period, today included.

`per_day` is rounded toward minus infinity to the currency's minor unit, so that
per_day * days_left never exceeds `left`: the figure stays safe to spend (and an
overspent period shows the full daily shortfall, -3.34 rather than -3.33).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from core.currencies import CURRENCY_EXPONENTS
from core.exceptions import Invalid
from core.periods import DateRange
from core.planning.forecast import Due
from core.planning.periods import days_left as count_days_left


@dataclass(frozen=True)
class SafeToSpend:
    period_start: date
    period_end: date
    currency: str
    income: Decimal
    expected_income: Decimal
    spent: Decimal
    committed: Decimal
    left: Decimal
    days_left: int
    per_day: Decimal


def minor_unit(currency: str) -> Decimal:
    """Decimal('0.01') for EUR, Decimal('1') for JPY, Decimal('0.001') for KWD."""
    if currency not in CURRENCY_EXPONENTS:
        raise Invalid(f"unknown currency {currency!r}", field="currency")
    return Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency])


def safe_to_spend(
    *,
    today: date,
    period: DateRange,
    income: Decimal,
    spent: Decimal,
    still_due: Iterable[Due],
    currency: str,
) -> SafeToSpend:
    """`still_due`: recurring occurrences of the period not recorded yet (see due_between);
    any outside the period are not counted."""
    start, end = period
    if not start <= today <= end:
        raise Invalid("today is outside the period", field="today")
    unit = minor_unit(currency)
    in_period = [due for due in still_due if start <= due.date <= end]
    expected_income = sum((d.amount for d in in_period if d.kind == "income"), Decimal(0))
    committed = sum((d.amount for d in in_period if d.kind == "expense"), Decimal(0))
    left = income + expected_income - spent - committed
    days = count_days_left(today, period)
    return SafeToSpend(
        period_start=start,
        period_end=end,
        currency=currency,
        income=income,
        expected_income=expected_income,
        spent=spent,
        committed=committed,
        left=left,
        days_left=days,
        per_day=(left / days).quantize(unit, rounding=ROUND_FLOOR),
    )
