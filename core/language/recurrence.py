"""Recurring phrases in a chat message -> an RFC 5545 rule string.

`every month on the 3rd`, `monthly on the 25th`, `every friday`, `weekly`,
`every 2 weeks`, `fortnightly`, `quarterly`, `yearly`, `daily`, `on the last
day`. The rule is checked with python-dateutil and its first date on or after
`today` becomes the entry's date.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.rrule import rrulestr

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)s?"
)
_ADVERBS = {
    "daily": ("DAILY", 1),
    "weekly": ("WEEKLY", 1),
    "monthly": ("MONTHLY", 1),
    "yearly": ("YEARLY", 1),
    "annually": ("YEARLY", 1),
    "biweekly": ("WEEKLY", 2),
    "fortnightly": ("WEEKLY", 2),
    "quarterly": ("MONTHLY", 3),
}
_UNITS = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_NUMBER_WORDS = {"other": 2, "two": 2, "three": 3, "four": 4, "six": 6}

_EVERY_N = re.compile(
    r"\b(?:every|each)\s+(\d{1,2}|other|two|three|four|six)\s+(day|week|month|year)s?\b", re.I
)
_EVERY_UNIT = re.compile(r"\b(?:every|each|a|per)\s+(day|week|month|year)\b", re.I)
_ADVERB = re.compile(r"\b(" + "|".join(_ADVERBS) + r")\b", re.I)
_WEEKDAYS = re.compile(
    rf"\b(?:every|each|on)\s+({_WEEKDAY}(?:\s*(?:,|and|&)\s*{_WEEKDAY})*)\b", re.I
)
_LAST_DAY = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(?:last\s+day(?:\s+of\s+(?:the|each|every)\s+month)?"
    r"|end\s+of\s+(?:the\s+|each\s+|every\s+)?month|month\s+end)\b",
    re.I,
)
_MONTH_DAY = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b|\bon\s+the\s+(\d{1,2})\b", re.I
)


@dataclass(frozen=True)
class Recurrence:
    rule: str
    first: date
    text: str  # the message with the recurring words blanked out


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def _weekday_codes(phrase: str) -> list[str]:
    codes = []
    for name in re.findall(_WEEKDAY, phrase, re.I):
        code = WEEKDAY_CODES[[n[:3] for n in WEEKDAY_NAMES].index(name[:3].lower())]
        if code not in codes:
            codes.append(code)
    return codes


def find_recurrence(text: str, today: date) -> Recurrence | str | None:
    """The rule a message asks for; None when it asks for none; a reason when it is not valid."""
    freq: str | None = None
    interval = 1
    if (found := _EVERY_N.search(text)) is not None:
        count = found[1].lower()
        interval = int(count) if count.isdigit() else _NUMBER_WORDS[count]
        freq = _UNITS[found[2].lower()]
        text = _blank(text, found)
    elif (found := _EVERY_UNIT.search(text)) is not None:
        freq = _UNITS[found[1].lower()]
        text = _blank(text, found)
    elif (found := _ADVERB.search(text)) is not None:
        freq, interval = _ADVERBS[found[1].lower()]
        text = _blank(text, found)
    days: list[str] = []
    weekdays = _WEEKDAYS.search(text)
    if weekdays is not None:
        said_every = weekdays[0].lower().startswith(("every", "each"))
        # "on friday" alone is a date; with "weekly" or after "every" it is the rule's day.
        if said_every or freq == "WEEKLY":
            days = _weekday_codes(weekdays[1])
            freq = "WEEKLY"
            text = _blank(text, weekdays)
    if freq is None:
        return None
    month_day: int | None = None
    if freq in ("MONTHLY", "YEARLY"):
        if (last := _LAST_DAY.search(text)) is not None:
            month_day = -1
            text = _blank(text, last)
        elif (nth := _MONTH_DAY.search(text)) is not None:
            month_day = int(nth[1] or nth[2])
            if not 1 <= month_day <= 31:
                return "no such day of the month"
            text = _blank(text, nth)
    parts = [f"FREQ={freq}"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if freq == "WEEKLY":
        parts.append("BYDAY=" + ",".join(days or [WEEKDAY_CODES[today.weekday()]]))
    elif freq == "MONTHLY":
        parts.append(f"BYMONTHDAY={month_day or today.day}")
    elif freq == "YEARLY":
        parts.append(f"BYMONTH={today.month};BYMONTHDAY={month_day or today.day}")
    rule = ";".join(parts)
    start = datetime.combine(today, time())
    first = rrulestr(rule, dtstart=start).after(start, inc=True)
    if first is None:
        return "a rule with no dates"
    return Recurrence(rule=rule, first=first.date(), text=text)
