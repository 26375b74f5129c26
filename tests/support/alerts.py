"""Threshold alerts apart from pace alerts.

A test about the 80 % and 100 % lines spends on today's date, so whether SPEC 7's pace
alert comes too depends on the day of the month the suite runs (none on the 1st and 2nd,
one on most later days). Such tests look at the threshold alerts only; the pace alert
has its own tests on a moved clock.
"""

from typing import Any

PACE_WORDS = "at this pace"


def is_pace(message: str) -> bool:
    return PACE_WORDS in message


def without_pace(notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in notifications if not is_pace(n["message"])]
