"""Questions about the person's money -> a Question, from a small intent table.

`how much did I spend on food this month?`, `what's left for groceries?`,
`spent this week?`, `biggest expenses in October`, `how much can I spend?`.
The date range is computed from the `today` passed in; no clock is read.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

QuestionKind = Literal["spent", "earned", "left", "biggest", "safe_to_spend"]

MONTHS = (
    "january february march april may june july august september october november december"
).split()

# First match wins: the more specific intents come before "spent".
_INTENTS: list[tuple[QuestionKind, re.Pattern[str]]] = [
    (
        "safe_to_spend",
        re.compile(
            r"^/safe\b|\bsafe to spend\b|\bhow much (?:more )?(?:can|may|could) i (?:still )?spend"
            r"(?: today| this week| this month)?$|\bwhat can i (?:still )?spend"
            r"(?: today| this week| this month)?$|\bcan i afford\b"
        ),
    ),
    (
        "left",
        re.compile(
            r"\b(?:left|remaining|remains|remain)\b|\bhow much more can i spend (?:on|for|in)\b"
        ),
    ),
    ("biggest", re.compile(r"\b(?:biggest|largest|top|most expensive|highest|priciest)\b")),
    ("earned", re.compile(r"\b(?:earn|earned|income|incomes|made|make|got paid|received)\b")),
    (
        "spent",
        re.compile(
            r"\b(?:spend|spent|spending|expenses|expense|costs|cost|paid|pay|total)\b|^how much\b"
        ),
    ),
]
_QUESTION_START = re.compile(
    r"^(?:how|what|whats|what's|which|where|show|list|tell|did|have|am|is|was|can)\b"
)
# Bare intent words that, without an amount, are a question: "spent this week?".
_BARE_START = re.compile(
    r"^(?:spent|spending|spend|expenses|left|income|earned|total|biggest|largest|top|remaining"
    r"|safe)\b"
)
# Words of the question itself, never a category.
_QUESTION_WORDS = frozenset(
    """how much many what whats what's which where show me list tell total totals did do does
    have has had i i've we my our is are was were am be been the a an on for in at of to so far
    spend spent spending expenses expense expence costs cost paid pay left remaining remains remain
    biggest largest top most expensive highest priciest earn earned income incomes made make got
    received safe can could may still more this that and budget budgets money overall all
    altogether there lot lots purchases purchase transactions things items give please""".split()
)


@dataclass(frozen=True)
class Question:
    kind: QuestionKind
    category: str | None
    start: date | None  # None: the period the answer naturally uses (budget or pay period)
    end: date | None


def _month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _period(text: str, today: date) -> tuple[tuple[date, date] | None, str]:
    """The date range a question names, and the question with that phrase removed."""
    week_start = today - timedelta(days=today.weekday())
    simple: list[tuple[str, tuple[date, date]]] = [
        (r"\btoday\b", (today, today)),
        (r"\byesterday\b", (today - timedelta(days=1), today - timedelta(days=1))),
        (r"\b(?:this|the current) week\b", (week_start, today)),
        (
            r"\blast week\b",
            (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        ),
        (r"\b(?:this|the current) month\b|\bso far this month\b", (today.replace(day=1), today)),
        (
            r"\blast month\b",
            _month_range(
                *((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12))
            ),
        ),
        (r"\bthis year\b", (date(today.year, 1, 1), today)),
        (r"\blast year\b", (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
    ]
    for pattern, span in simple:
        found = re.search(pattern, text)
        if found:
            return span, text[: found.start()] + " " + text[found.end() :]
    days = re.search(r"\b(?:in the |over the )?(?:last|past) (\d{1,3}) days\b", text)
    if days:
        count = int(days[1])
        return (today - timedelta(days=count - 1), today), text.replace(days[0], " ")
    month = re.search(
        r"\b(?:in |for |during )?("
        + "|".join(m[:3] + r"\w*" for m in MONTHS)
        + r")(?: (\d{4}))?\b",
        text,
    )
    # "may" is a month only after "in/for/during" or before a year ("how much may I spend").
    modal_may = month is not None and month[1] == "may" and not (month[2] or month[0] != "may")
    if month and month[1] in _month_spellings() and not modal_may:
        number = [m[:3] for m in MONTHS].index(month[1][:3]) + 1
        year = int(month[2]) if month[2] else today.year - (number > today.month)
        return _month_range(year, number), text.replace(month[0], " ")
    return None, text


def _month_spellings() -> set[str]:
    return set(MONTHS) | {m[:3] for m in MONTHS} | {"sept"}


def read_question(text: str) -> QuestionKind | None:
    """The intent of a message shaped like a question, or None."""
    for kind, pattern in _INTENTS:
        if pattern.search(text):
            return kind
    return None


def is_question_shaped(text: str, has_amount: bool) -> bool:
    lowered = text.strip().lower()
    if lowered.endswith("?") or _QUESTION_START.match(lowered):
        return True
    return not has_amount and bool(_BARE_START.match(lowered))


def parse_question(
    text: str, today: date
) -> tuple[QuestionKind, tuple[date, date] | None, list[str]] | None:
    """Kind, named range and the words left for a category; None when no intent matches."""
    lowered = re.sub(r"[?!.,]", " ", text.lower().replace("’", "'")).strip()
    kind = read_question(lowered)
    if kind is None:
        return None
    span, rest = _period(lowered, today)
    words = [w for w in rest.split() if w not in _QUESTION_WORDS and not w.startswith("/")]
    return kind, span, words
