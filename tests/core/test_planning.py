"""Pay-day periods, safe-to-spend, forecast, pace and rollover on hand-computed examples."""

from datetime import date
from decimal import Decimal

import pytest

from core.exceptions import Invalid
from core.periods import period_range
from core.planning.forecast import Due, RecurringItem, due_between, forecast
from core.planning.pace import effective_limit, pace_run_out_day
from core.planning.periods import period_containing, previous_period
from core.planning.safe_to_spend import safe_to_spend

D = Decimal


# --- periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 25), (date(2026, 11, 25), date(2026, 12, 24))),
        (date(2026, 11, 26), (date(2026, 11, 25), date(2026, 12, 24))),
        (date(2026, 11, 24), (date(2026, 10, 25), date(2026, 11, 24))),
        (date(2027, 1, 10), (date(2026, 12, 25), date(2027, 1, 24))),
    ],
)
def test_pay_day_25(today: date, expected: tuple[date, date]) -> None:
    assert period_containing(today, 25) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 31), (date(2026, 1, 31), date(2026, 2, 27))),
        (date(2026, 2, 27), (date(2026, 1, 31), date(2026, 2, 27))),
        (date(2026, 2, 28), (date(2026, 2, 28), date(2026, 3, 30))),
        (date(2026, 4, 30), (date(2026, 4, 30), date(2026, 5, 30))),
        (date(2026, 5, 31), (date(2026, 5, 31), date(2026, 6, 29))),
        (date(2028, 2, 28), (date(2028, 1, 31), date(2028, 2, 28))),
        (date(2028, 2, 29), (date(2028, 2, 29), date(2028, 3, 30))),
        (date(2026, 12, 31), (date(2026, 12, 31), date(2027, 1, 30))),
    ],
)
def test_pay_day_31_is_the_last_day_of_short_months(
    today: date, expected: tuple[date, date]
) -> None:
    assert period_containing(today, 31) == expected


def test_pay_day_30_in_february_is_its_last_day() -> None:
    assert period_containing(date(2026, 2, 28), 30) == (date(2026, 2, 28), date(2026, 3, 29))
    assert period_containing(date(2026, 2, 27), 30) == (date(2026, 1, 30), date(2026, 2, 27))


def test_pay_day_1_is_the_calendar_month_and_other_periods_are_the_calendars() -> None:
    for day in (date(2026, 2, 1), date(2026, 2, 28), date(2028, 2, 29), date(2026, 12, 31)):
        assert period_containing(day, 1) == period_range("monthly", day)
    thursday = date(2026, 11, 26)
    assert period_containing(thursday, 25, "weekly") == (date(2026, 11, 23), date(2026, 11, 29))
    assert period_containing(thursday, 25, "daily") == (thursday, thursday)
    assert period_containing(thursday, 25, "yearly") == (date(2026, 1, 1), date(2026, 12, 31))


def test_previous_period() -> None:
    assert previous_period(date(2026, 11, 26), 25) == (date(2026, 10, 25), date(2026, 11, 24))
    assert previous_period(date(2026, 3, 5), 31) == (date(2026, 1, 31), date(2026, 2, 27))
    assert previous_period(date(2026, 11, 26), 1, "weekly") == (
        date(2026, 11, 16),
        date(2026, 11, 22),
    )


@pytest.mark.parametrize(
    ("pay_day", "period", "field"),
    [(0, "monthly", "pay_day"), (32, "monthly", "pay_day"), (1, "fortnightly", "period")],
)
def test_bad_pay_day_or_period(pay_day: int, period: str, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        period_containing(date(2026, 1, 1), pay_day, period)
    assert caught.value.field == field


# --- safe-to-spend and forecast --------------------------------------------------------

SALARY = RecurringItem(1, "income", D("2500.00"), "FREQ=MONTHLY;BYMONTHDAY=25", date(2026, 1, 1))
RENT = RecurringItem(2, "expense", D("900.00"), "FREQ=MONTHLY;BYMONTHDAY=3", date(2026, 1, 1))
NETFLIX = RecurringItem(3, "expense", D("15.99"), "FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 1, 1))
GYM = RecurringItem(4, "expense", D("30.00"), "FREQ=WEEKLY;BYDAY=FR", date(2026, 1, 1))
SIDE_JOB = RecurringItem(5, "income", D("200.00"), "FREQ=MONTHLY;BYMONTHDAY=1", date(2026, 1, 1))
PHONE = RecurringItem(6, "expense", D("20.50"), "FREQ=MONTHLY;BYMONTHDAY=4", date(2026, 1, 1))
ITEMS = [SALARY, RENT, NETFLIX, GYM, SIDE_JOB]


def test_safe_to_spend_to_the_cent() -> None:
    today = date(2026, 11, 26)
    period = period_containing(today, 25)  # 25 Nov .. 24 Dec: 29 days left, today included
    still_due = due_between(ITEMS, today, period[1])
    # gym 27 Nov, 4, 11, 18 Dec (4 x 30.00); netflix 30 Nov; side job 1 Dec; rent 3 Dec.
    assert [(d.date, d.recurring_id) for d in still_due] == [
        (date(2026, 11, 27), 4),
        (date(2026, 11, 30), 3),
        (date(2026, 12, 1), 5),
        (date(2026, 12, 3), 2),
        (date(2026, 12, 4), 4),
        (date(2026, 12, 11), 4),
        (date(2026, 12, 18), 4),
    ]
    figure = safe_to_spend(
        today=today,
        period=period,
        income=D("2500.00"),
        spent=D("312.47"),
        still_due=still_due,
        currency="EUR",
    )
    assert (figure.period_start, figure.period_end) == period
    assert figure.expected_income == D("200.00")
    assert figure.committed == D("1035.99")  # 900 + 15.99 + 4 * 30
    assert figure.left == D("1351.54")  # 2500 + 200 - 312.47 - 1035.99
    assert figure.days_left == 29
    # 1351.54 / 29 = 46.6048...; rounded down so 29 days of it fit in what is left.
    assert figure.per_day == D("46.60")
    assert figure.per_day * 29 <= figure.left < (figure.per_day + D("0.01")) * 29


def test_recorded_occurrences_are_not_counted_again() -> None:
    friday = date(2026, 11, 27)
    assert [d.recurring_id for d in due_between([GYM, RENT], friday, friday)] == [4]
    assert due_between([GYM, RENT], friday, friday, recorded={(4, friday)}) == []


def test_safe_to_spend_rounds_toward_safety_in_every_currency() -> None:
    last_days = (date(2026, 11, 28), date(2026, 11, 30))
    due_outside = [Due(date(2026, 12, 3), "expense", D("900.00"))]

    def per_day(left: str, currency: str) -> Decimal:
        return safe_to_spend(
            today=last_days[0],
            period=(date(2026, 11, 1), last_days[1]),
            income=D(left),
            spent=D(0),
            still_due=due_outside,  # outside the period: not counted
            currency=currency,
        ).per_day

    assert per_day("10.00", "EUR") == D("3.33")
    assert per_day("-10.00", "EUR") == D("-3.34")
    assert per_day("1000", "JPY") == D("333")
    assert per_day("1.000", "KWD") == D("0.333")


def test_safe_to_spend_refuses_a_today_outside_the_period_and_unknown_currency() -> None:
    with pytest.raises(Invalid) as caught:
        safe_to_spend(
            today=date(2026, 12, 1),
            period=(date(2026, 11, 1), date(2026, 11, 30)),
            income=D(0),
            spent=D(0),
            still_due=[],
            currency="EUR",
        )
    assert caught.value.field == "today"
    with pytest.raises(Invalid) as caught:
        safe_to_spend(
            today=date(2026, 11, 1),
            period=(date(2026, 11, 1), date(2026, 11, 30)),
            income=D(0),
            spent=D(0),
            still_due=[],
            currency="XXX",
        )
    assert caught.value.field == "currency"


def test_forecast_day_by_day_with_running_totals() -> None:
    days = forecast([*ITEMS, PHONE], date(2026, 11, 26), 10, opening=D("1000.00"))
    assert [
        (d.date, [e.recurring_id for e in d.entries], d.income, d.expenses, d.balance) for d in days
    ] == [
        (date(2026, 11, 27), [4], D(0), D("30.00"), D("970.00")),
        (date(2026, 11, 30), [3], D(0), D("15.99"), D("954.01")),
        (date(2026, 12, 1), [5], D("200.00"), D(0), D("1154.01")),
        (date(2026, 12, 3), [2], D(0), D("900.00"), D("254.01")),
        (date(2026, 12, 4), [4, 6], D(0), D("50.50"), D("203.51")),
    ]  # 5 Dec (the tenth day) has nothing due
    assert days[-1].running_income == D("200.00")
    assert days[-1].running_expenses == D("996.49")


def test_forecast_days_must_be_1_to_366() -> None:
    # Day 366 from 26 Nov 2026 is 26 Nov 2027, a Friday: the gym is its last entry.
    assert forecast(ITEMS, date(2026, 11, 26), 366)[-1].date == date(2027, 11, 26)
    assert forecast(ITEMS, date(2026, 11, 26), 365)[-1].date == date(2027, 11, 25)
    for days in (0, 367):
        with pytest.raises(Invalid) as caught:
            forecast(ITEMS, date(2026, 11, 26), days)
        assert caught.value.field == "days"


# --- pace and rollover -----------------------------------------------------------------

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def test_pace_is_not_judged_before_the_third_day() -> None:
    assert pace_run_out_day(date(2026, 11, 1), NOVEMBER, D(300), D(250)) is None
    assert pace_run_out_day(date(2026, 11, 2), NOVEMBER, D(300), D(250)) is None
    # On the third day 250 in 3 days runs 300 out on day ceil(300 * 3 / 250) = 4.
    assert pace_run_out_day(date(2026, 11, 3), NOVEMBER, D(300), D(250)) == date(2026, 11, 4)


def test_pace_names_the_run_out_day() -> None:
    # 90 in 3 days = 30 a day: 300 runs out on day 10.
    assert pace_run_out_day(date(2026, 11, 3), NOVEMBER, D(300), D(90)) == date(2026, 11, 10)


def test_pace_stays_quiet_within_the_last_three_days() -> None:
    # 100 in 9 days: 300 on day 27 exactly, three days before the 30th: alert.
    assert pace_run_out_day(date(2026, 11, 9), NOVEMBER, D(300), D(100)) == date(2026, 11, 27)
    # 99.99 in 9 days: day 27.0027 -> the 28th, too close to the end to say anything.
    assert pace_run_out_day(date(2026, 11, 9), NOVEMBER, D(300), D("99.99")) is None
    assert pace_run_out_day(date(2026, 11, 3), NOVEMBER, D(300), D(31)) is None


def test_pace_leaves_spent_budgets_to_the_threshold_alerts() -> None:
    assert pace_run_out_day(date(2026, 11, 5), NOVEMBER, D(300), D(300)) is None
    assert pace_run_out_day(date(2026, 11, 5), NOVEMBER, D(300), D(0)) is None
    assert pace_run_out_day(date(2026, 11, 5), NOVEMBER, D(-20), D(10)) is None


def test_rollover_positive_and_negative() -> None:
    assert effective_limit(D("500.00"), True, D("500.00"), D("420.00")) == D("580.00")
    assert effective_limit(D("500.00"), True, D("500.00"), D("560.25")) == D("439.75")
    assert effective_limit(D("500.00"), False, D("500.00"), D("420.00")) == D("500.00")
    assert effective_limit(D("500.00"), True, None) == D("500.00")
    # Carries chain when the previous period's own effective limit is passed on.
    second = effective_limit(D("500.00"), True, D("500.00"), D("420.00"))
    assert effective_limit(D("500.00"), True, second, D("600.00")) == D("480.00")
