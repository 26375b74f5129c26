"""Recurrence rules: RFC 5545 via dateutil, by local date, with hand-checked calendars."""

import random
from datetime import date, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr

from core.exceptions import Invalid
from core.recurring.schedule import compile_rule, next_date, occurrences, parse_rule, validate


def test_monthly_on_the_3rd() -> None:
    found = occurrences(
        "FREQ=MONTHLY;BYMONTHDAY=3", date(2026, 1, 10), None, (date(2026, 1, 1), date(2026, 5, 31))
    )
    # The start (10 Jan) is not an occurrence: the rule runs from it.
    assert found == [date(2026, 2, 3), date(2026, 3, 3), date(2026, 4, 3), date(2026, 5, 3)]


def test_the_31st_skips_short_months_as_rfc_5545_says() -> None:
    found = occurrences(
        "FREQ=MONTHLY;BYMONTHDAY=31", date(2026, 1, 1), None, (date(2026, 1, 1), date(2026, 7, 31))
    )
    assert found == [date(2026, 1, 31), date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31)]
    # Plain MONTHLY started on the 31st takes its day from the start, and skips alike.
    assert occurrences(
        "FREQ=MONTHLY", date(2026, 1, 31), None, (date(2026, 2, 1), date(2026, 3, 31))
    ) == [date(2026, 3, 31)]


def test_bymonthday_minus_one_is_the_last_day_of_every_month() -> None:
    found = occurrences(
        "FREQ=MONTHLY;BYMONTHDAY=-1", date(2027, 12, 1), None, (date(2028, 1, 1), date(2028, 4, 30))
    )
    assert found == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)]


def test_weekly_on_fridays() -> None:
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=FR", date(2026, 11, 1), None, (date(2026, 11, 1), date(2026, 11, 30))
    )
    assert found == [date(2026, 11, d) for d in (6, 13, 20, 27)]
    assert all(day.weekday() == 4 for day in found)


def test_end_and_until_and_count_bound_the_occurrences() -> None:
    window = (date(2026, 1, 1), date(2026, 12, 31))
    rule = "FREQ=MONTHLY;BYMONTHDAY=3"
    assert occurrences(rule, date(2026, 1, 1), date(2026, 3, 3), window) == [
        date(2026, 1, 3),
        date(2026, 2, 3),
        date(2026, 3, 3),
    ]
    assert occurrences(rule + ";UNTIL=20260202", date(2026, 1, 1), None, window) == [
        date(2026, 1, 3)
    ]
    # COUNT counts from the start, even when asked about a later window.
    assert occurrences(
        rule + ";COUNT=4", date(2026, 1, 1), None, (date(2026, 3, 1), window[1])
    ) == [
        date(2026, 3, 3),
        date(2026, 4, 3),
    ]


def test_next_date_includes_today_and_ends() -> None:
    rule, start = "FREQ=MONTHLY;BYMONTHDAY=3", date(2026, 1, 1)
    assert next_date(rule, start, None, date(2026, 2, 3)) == date(2026, 2, 3)
    assert next_date(rule, start, None, date(2026, 2, 4)) == date(2026, 3, 3)
    assert next_date(rule, start, date(2026, 3, 2), date(2026, 2, 4)) is None
    assert next_date(rule, date(2026, 6, 1), None, date(2026, 2, 4)) == date(2026, 6, 3)
    # Years later, far from the start (the moved DTSTART path).
    assert next_date("FREQ=DAILY;INTERVAL=3", date(2020, 1, 1), None, date(2026, 1, 1)) == date(
        2026, 1, 2
    )  # 2026-01-02 is 2193 = 731 * 3 days after the start


def test_local_today_decides_next_date() -> None:
    # 2026-11-26 20:00 UTC is Friday the 27th in Auckland and Thursday the 26th in Los
    # Angeles; each caller passes its user's local today and the rule answers by that date.
    rule, start = "FREQ=WEEKLY;BYDAY=FR", date(2026, 11, 1)
    assert next_date(rule, start, None, date(2026, 11, 27)) == date(2026, 11, 27)
    assert next_date(rule, start, None, date(2026, 11, 26)) == date(2026, 11, 27)
    assert next_date(rule, start, None, date(2026, 11, 28)) == date(2026, 12, 4)


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "garbage",
        "FREQ=MONTHLY;COUNT=3;UNTIL=20270101",
        "FREQ=HOURLY",
        "FREQ=MONTHLY;BYHOUR=3",
        "FREQ=MONTHLY;BYEASTER=0",
        "FREQ=MONTHLY;FOO=1",
        "BYMONTHDAY=3",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=MONTHLY;BYMONTH=13",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=MONTHLY;UNTIL=20271231T000000Z",
        "FREQ=MONTHLY;FREQ=DAILY",
        "DTSTART:20260101\nRRULE:FREQ=DAILY",
        "FREQ=DAILY;COUNT=10001",
        "FREQ=MONTHLY;BYWEEKNO=3",
        "FREQ=MONTHLY;BYYEARDAY=60",
        "FREQ=WEEKLY;BYMONTHDAY=3",
        "FREQ=WEEKLY;BYDAY=2FR",
        "FREQ=MONTHLY;BYSETPOS=1",
    ],
)
def test_bad_rules_are_invalid_naming_rrule(rule: str) -> None:
    with pytest.raises(Invalid) as caught:
        validate(rule, date(2026, 1, 1))
    assert caught.value.field == "rrule"


def test_a_rule_that_never_occurs_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        validate("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", date(2026, 1, 1))
    assert caught.value.field == "rrule"
    with pytest.raises(Invalid, match="never occurs"):
        validate("FREQ=MONTHLY;BYMONTHDAY=3", date(2026, 1, 4), date(2026, 2, 2))


def test_ever_occurs_follows_the_leap_years() -> None:
    # Every third year from 2026 reaches 2032, a leap year; every fourth stays on 2026,
    # 2030, 2034... which never have a 29 February.
    assert validate("FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29", date(2026, 1, 1))
    assert next_date(
        "FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29", date(2026, 1, 1), None, date(2026, 1, 1)
    ) == date(2032, 2, 29)
    with pytest.raises(Invalid, match="never occurs"):
        validate("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", date(2026, 1, 1))
    # 29 February on a Monday: 2044 is the next.
    assert next_date(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", date(2026, 1, 1), None, date(2026, 1, 1)
    ) == date(2044, 2, 29)
    with pytest.raises(Invalid, match="never occurs"):
        validate("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", date(2026, 1, 1))


def test_validate_normalises() -> None:
    assert validate(" rrule:freq=monthly; bymonthday=-1 ", date(2026, 1, 1)) == (
        "FREQ=MONTHLY;BYMONTHDAY=-1"
    )
    assert parse_rule("FREQ=WEEKLY;BYDAY=FR").parts == {"FREQ": "WEEKLY", "BYDAY": "FR"}


_RANDOM_RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;BYDAY=MO,WE",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;WKST=SU",
    "FREQ=MONTHLY",
    "FREQ=MONTHLY;INTERVAL=2",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=2FR",
    "FREQ=MONTHLY;INTERVAL=5;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY",
    "FREQ=YEARLY;INTERVAL=2",
    "FREQ=YEARLY;BYMONTH=3",
    "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
    "FREQ=YEARLY;BYYEARDAY=60",
]


def test_moving_dtstart_forward_changes_no_occurrence() -> None:
    """The fast path (DTSTART moved by whole cycles) against dateutil walking from the start."""
    chooser = random.Random(16)
    for _ in range(400):
        rule = chooser.choice(_RANDOM_RULES)
        start = date(2019, 1, 1) + timedelta(days=chooser.randrange(900))
        first = start + timedelta(days=chooser.randrange(2500))
        last = first + timedelta(days=chooser.randrange(400))
        expected = [
            moment.date()
            for moment in rrulestr(
                rule, dtstart=datetime(start.year, start.month, start.day)
            ).between(
                datetime(first.year, first.month, first.day),
                datetime(last.year, last.month, last.day),
                inc=True,
            )
        ]
        schedule = compile_rule(rule, start)
        assert schedule.occurrences(first, last) == expected, (rule, start, first, last)
        if expected:
            assert schedule.next_date(first) == expected[0]
