"""RFC 5545 recurrence rules of recurring entries, by local calendar date.

python-dateutil's rrule does the calendar; this module decides which rules we take
and answers in dates. Everything is by the user's local date: the caller turns "now"
into the user's local today (core/periods.local_today) before asking.

Semantics worth knowing:

- `start` is the day the rule starts to run. It is an occurrence only when the rule
  matches it (dateutil's reading; RFC 5545 would always count DTSTART itself, which
  for a bill "on the 3rd" created on the 10th would invent a payment on the 10th).
- A day that does not exist in a month is skipped, as RFC 5545 section 3.3.10
  requires: `FREQ=MONTHLY;BYMONTHDAY=31` has no February, April, June, September or
  November occurrence, and plain `FREQ=MONTHLY` started on the 31st likewise. The
  last day of every month is `FREQ=MONTHLY;BYMONTHDAY=-1` (28/29 Feb, 30 Apr, 31 May).
- `end` (inclusive) and the rule's own UNTIL/COUNT both bound the occurrences.
"""

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, date, datetime, timedelta
from functools import cached_property, lru_cache
from types import MappingProxyType

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from core.exceptions import Invalid

FIELD = "rrule"

# Parts of RFC 5545's RECUR value that make sense for dated entries. BYHOUR, BYMINUTE,
# BYSECOND and FREQ below DAILY would post several entries a day, which a "once per
# entry and date" key cannot hold; BYEASTER is dateutil's own, not RFC 5545.
_SUPPORTED_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_SUPPORTED_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
}
# Ranges from RFC 5545 section 3.3.10; dateutil takes e.g. BYMONTHDAY=32 and then
# scans to the year 9999 looking for it.
_NUMBER_RANGES = {
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYSETPOS": (1, 366),
}
_DAY_PARTS = {"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"}
# RFC 5545 section 3.3.10: the frequencies each part may go with.
_ONLY_WITH = {
    "BYWEEKNO": ("YEARLY",),
    "BYYEARDAY": ("YEARLY",),
    "BYMONTHDAY": ("DAILY", "MONTHLY", "YEARLY"),
}
_UNTIL_DATE = re.compile(r"\d{8}")
_ORDINAL_DAY = re.compile(r"[+-]?\d")  # BYDAY=2FR, -1MO
_MAX_INTERVAL = 1000
_MAX_COUNT = 10_000


@dataclass(frozen=True)
class ParsedRule:
    text: str  # normalised: upper case, no "RRULE:", no spaces
    parts: Mapping[str, str]
    template: rrule  # parsed once; each start is a replace(dtstart=...) of it


@lru_cache(maxsize=4096)
def parse_rule(text: str) -> ParsedRule:
    """Check an RRULE value against RFC 5545 and what we support; raise Invalid("rrule")."""
    if not text.strip():
        raise Invalid("rrule is empty", field=FIELD)
    if "\n" in text.strip() or "\r" in text.strip():
        raise Invalid("rrule must be a single RRULE value", field=FIELD)
    normalised = re.sub(r"\s+", "", text).upper().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in filter(None, normalised.split(";")):
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise Invalid(f"rrule part {item!r} is not NAME=VALUE", field=FIELD)
        if name in parts:
            raise Invalid(f"rrule names {name} twice", field=FIELD)
        if name not in _SUPPORTED_PARTS:
            raise Invalid(f"rrule part {name} is not supported", field=FIELD)
        parts[name] = value
    _check_parts(parts)
    clean = ";".join(f"{name}={value}" for name, value in parts.items())
    # dateutil parses the values (BYDAY=2FR, UNTIL dates); anything it refuses is garbage.
    template = _build(clean, date(2000, 1, 1))
    return ParsedRule(clean, MappingProxyType(parts), template)


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise Invalid("rrule needs FREQ", field=FIELD)
    if freq not in _SUPPORTED_FREQS:
        raise Invalid("rrule FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY", field=FIELD)
    if "COUNT" in parts and "UNTIL" in parts:
        raise Invalid("rrule may have COUNT or UNTIL, not both (RFC 5545)", field=FIELD)
    for name, most in (("INTERVAL", _MAX_INTERVAL), ("COUNT", _MAX_COUNT)):
        if name in parts and not (parts[name].isdigit() and 1 <= int(parts[name]) <= most):
            raise Invalid(f"rrule {name} must be a whole number from 1 to {most}", field=FIELD)
    for name, freqs in _ONLY_WITH.items():
        if name in parts and freq not in freqs:
            raise Invalid(f"rrule {name} does not go with FREQ={freq} (RFC 5545)", field=FIELD)
    if any(_ORDINAL_DAY.match(day) for day in _listed(parts, "BYDAY")) and (
        freq not in ("MONTHLY", "YEARLY") or "BYWEEKNO" in parts
    ):
        raise Invalid("rrule BYDAY=2FR-style days need FREQ=MONTHLY or YEARLY", field=FIELD)
    if "BYSETPOS" in parts and not (
        parts.keys() - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYSETPOS"}
    ):
        raise Invalid("rrule BYSETPOS needs another BY part to pick from", field=FIELD)
    if "UNTIL" in parts and not _UNTIL_DATE.fullmatch(parts["UNTIL"]):
        # RFC 5545: UNTIL has DTSTART's value type, and our start is a DATE.
        raise Invalid("rrule UNTIL must be a date, YYYYMMDD", field=FIELD)
    for name, (low, high) in _NUMBER_RANGES.items():
        for value in _listed(parts, name):
            number = value.removeprefix("+").removeprefix("-")
            if not number.isdigit() or not low <= int(number) <= high:
                raise Invalid(f"rrule {name} values must be ±{low}..{high}", field=FIELD)
    for value in _listed(parts, "BYMONTH"):
        if not value.isdigit() or not 1 <= int(value) <= 12:
            raise Invalid("rrule BYMONTH values must be 1..12", field=FIELD)


def _listed(parts: dict[str, str], name: str) -> list[str]:
    return parts[name].split(",") if name in parts else []


def _build(text: str, start: date) -> rrule:
    try:
        with warnings.catch_warnings():
            # dateutil warns (and our pytest fails) on what _check_parts already refused.
            warnings.simplefilter("ignore", DeprecationWarning)
            built = rrulestr(text, dtstart=_midnight(start))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise Invalid(f"rrule is not a valid RFC 5545 rule: {error}", field=FIELD) from error
    if not isinstance(built, rrule):  # rrulestr answers an rruleset for several rules
        raise Invalid("rrule must be a single RRULE value", field=FIELD)
    return built


def validate(text: str, start: date, end: date | None = None) -> str:
    """The normalised rule text, after checking that it ever occurs from `start`.

    CPU-bound for a rule that never occurs (up to ~0.3 s to be sure, see ever_occurs),
    so call it via asyncio.to_thread from async code.
    """
    if end is not None and end < start:
        raise Invalid("end is before start", field="end")
    parsed = parse_rule(text)
    schedule = compile_rule(parsed.text, start, end)
    if not schedule.ever_occurs() or schedule.next_date(start) is None:
        raise Invalid("rrule never occurs between start and end", field=FIELD)
    return parsed.text


@dataclass(frozen=True)
class Schedule:
    """One recurring entry's rule, compiled once; answers occurrences by local date."""

    template: rrule
    start: date
    end: date | None
    freq: str
    interval: int
    counted: bool  # COUNT given: occurrences must be counted from the true start
    days_from_start: bool  # no BY* day part: the day (and month) come from `start`
    has_bymonth: bool

    @cached_property
    def rule(self) -> rrule:
        """The rule from the true start (used when moving DTSTART is not possible)."""
        return self.template.replace(dtstart=_midnight(self.start))

    def occurrences(self, first: date, last: date) -> list[date]:
        """Occurrence dates in [first, last], both included, within start..end."""
        first = max(first, self.start)
        if self.end is not None:
            last = min(last, self.end)
        if last < first:
            return []
        rule = self._rule_from(first)
        return [
            moment.date() for moment in rule.between(_midnight(first), _midnight(last), inc=True)
        ]

    def next_date(self, today: date) -> date | None:
        """The first occurrence on or after `today` (today included), or None when done."""
        first = max(today, self.start)
        if self.end is not None and first > self.end:
            return None
        found = self._rule_from(first).after(_midnight(first), inc=True)
        if found is None or (self.end is not None and found.date() > self.end):
            return None
        return found.date()

    def ever_occurs(self) -> bool:
        """Whether the rule, without COUNT and UNTIL, has any occurrence at all.

        dateutil answers "never" only after walking to the year 9999 (three seconds for
        FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30). The Gregorian calendar, weekdays included,
        repeats every 400 years (146,097 days, 20,871 weeks), so the rule's pattern repeats
        every 400 * INTERVAL years; its first occurrence, if any, lies within one such
        period of the start. So the walk starts as many whole periods later as still leave
        one whole period before 9999, which bounds it to under two periods.
        """
        period_years = 400 * self.interval
        periods = max((MAXYEAR - self.start.year - period_years) // period_years, 0)
        moved = self.start.replace(year=self.start.year + periods * period_years)
        probe = self.template.replace(dtstart=_midnight(moved), count=None, until=None)
        return probe.after(_midnight(moved), inc=True) is not None

    def _rule_from(self, first: date) -> rrule:
        """The same rule with DTSTART moved forward by whole cycles to just before `first`.

        dateutil always walks from DTSTART, so a daily rule started five years ago costs
        ~2,000 steps per question. A rule without COUNT repeats exactly every INTERVAL
        days/weeks/months/years, so moving DTSTART by whole cycles changes nothing on or
        after the new DTSTART, once the defaults RFC 5545 takes from DTSTART (the day of
        the month, the month) are written out. With COUNT the walk has to count from the
        true start, so those rules are left alone.
        """
        if self.counted:
            return self.rule
        interval, freq, start = self.interval, self.freq, self.start
        if freq == "DAILY":
            cycles = (first - start).days // interval
            if cycles < 1:
                return self.rule
            moved = start + timedelta(days=cycles * interval)
            return self.template.replace(dtstart=_midnight(moved))
        if freq == "WEEKLY":
            cycles = (first - start).days // (7 * interval)
            if cycles < 1:
                return self.rule
            moved = start + timedelta(weeks=cycles * interval)
            return self.template.replace(dtstart=_midnight(moved))
        if freq == "MONTHLY":
            months = (first.year - start.year) * 12 + first.month - start.month
            cycles = months // interval
            if cycles < 1:
                return self.rule
            moved = start.replace(day=1) + relativedelta(months=cycles * interval)
            if self.days_from_start:
                return self.template.replace(dtstart=_midnight(moved), bymonthday=start.day)
            return self.template.replace(dtstart=_midnight(moved))
        # YEARLY
        cycles = (first.year - start.year) // interval
        if cycles < 1:
            return self.rule
        moved = date(start.year + cycles * interval, 1, 1)
        if not self.days_from_start:
            return self.template.replace(dtstart=_midnight(moved))
        if self.has_bymonth:
            return self.template.replace(dtstart=_midnight(moved), bymonthday=start.day)
        return self.template.replace(
            dtstart=_midnight(moved), bymonthday=start.day, bymonth=start.month
        )


@lru_cache(maxsize=65536)
def compile_rule(text: str, start: date, end: date | None = None) -> Schedule:
    """Cached: one entry is asked about again and again (next_date, forecast, safe-to-spend)."""
    parsed = parse_rule(text)
    parts = parsed.parts
    return Schedule(
        template=parsed.template,
        start=start,
        end=end,
        freq=parts["FREQ"],
        interval=int(parts.get("INTERVAL", "1")),
        counted="COUNT" in parts,
        days_from_start=not (_DAY_PARTS & parts.keys()),
        has_bymonth="BYMONTH" in parts,
    )


def occurrences(rule: str, start: date, end: date | None, between: tuple[date, date]) -> list[date]:
    """Occurrence dates of `rule` running from `start` to `end` within `between` (inclusive)."""
    first, last = between
    return compile_rule(rule, start, end).occurrences(first, last)


def next_date(rule: str, start: date, end: date | None, today: date) -> date | None:
    """The next occurrence on or after the user's local `today`, or None when the rule is over."""
    return compile_rule(rule, start, end).next_date(today)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
