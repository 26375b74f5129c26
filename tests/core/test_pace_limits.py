"""The pace alert on extreme figures: a run-out day past any date is no alert, not an
OverflowError (found by the fuzzer: a PUT of an expense with a budget's huge limit)."""

from datetime import date
from decimal import Decimal

from core.planning.pace import pace_run_out_day

MONTH = (date(2026, 11, 1), date(2026, 11, 30))


def test_a_cent_against_the_largest_limit_is_no_alert():
    today = date(2026, 11, 10)
    assert pace_run_out_day(today, MONTH, Decimal("999999999999.999"), Decimal("0.001")) is None


def test_a_period_ending_near_the_last_date_there_is_stays_no_alert():
    far = (date(9999, 12, 1), date(9999, 12, 31))
    assert pace_run_out_day(date(9999, 12, 5), far, Decimal(1000), Decimal(1)) is None


def test_the_run_out_day_is_still_named_when_it_comes_early():
    # 300 in 10 days: 30 a day, 400 runs out on day 14.
    today = date(2026, 11, 10)
    assert pace_run_out_day(today, MONTH, Decimal(400), Decimal(300)) == date(2026, 11, 14)
