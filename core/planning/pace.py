"""SPEC 7's pace alert and budget rollover.

Pace: from the period's third day on, spending so far is projected at the same
average daily rate (today counted as a whole day); if that reaches the limit on a day
at least three days before the period's last day, the alert names that day. A budget
already at or over its limit is the ordinary 100 % alert's business, not pace's.
"""

import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from core.periods import DateRange
from core.planning.periods import day_of_period

FIRST_PACE_DAY = 3  # the rate of one or two days says too little
PACE_MARGIN_DAYS = 3  # a run-out in the last three days is no news


def pace_run_out_day(today: date, period: DateRange, limit: Decimal, spent: Decimal) -> date | None:
    """The day the limit runs out at the current pace, when the alert is due; else None."""
    start, end = period
    elapsed = day_of_period(today, period)
    if elapsed < FIRST_PACE_DAY or today > end or spent <= 0 or spent >= limit:
        return None
    # The first day d with spent / elapsed * d >= limit; Fraction keeps it exact.
    run_out_index = math.ceil(Fraction(limit) * elapsed / Fraction(spent))
    # Compared as a day count first: a cent against a large limit runs out past any
    # date there is.
    if run_out_index - 1 > (end - start).days - PACE_MARGIN_DAYS:
        return None
    return start + timedelta(days=run_out_index - 1)


def effective_limit(
    limit: Decimal,
    rollover: bool,
    previous_limit: Decimal | None = None,
    previous_spent: Decimal = Decimal(0),
) -> Decimal:
    """This period's limit plus what was left (or minus what was overspent) last period.

    `previous_limit` is the limit the previous period ran with: pass its own effective
    limit and carries accumulate period after period (envelopes); None (the budget did
    not exist then) carries nothing.
    """
    if not rollover or previous_limit is None:
        return limit
    return limit + (previous_limit - previous_spent)
