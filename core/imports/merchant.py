"""One key per merchant: the varying parts of a bank's text (card numbers, dates, references)
are stripped so that `UBER *TRIP 4X8Q` and `UBER *TRIP 9ZZ1` are the same merchant."""

from __future__ import annotations

import re
import unicodedata

# Dates written with words (`05JAN`, `12 Mar 2024`) carry no digits-only token, so they go first.
_MONTH_DATE = re.compile(
    r"\b\d{1,2}\s?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(\s?\d{2,4})?\b"
)
# Masked card numbers (`XXXX1234`, `**** 1234`, `4111 11** **** 1234`) and bare masks (`xxxx`).
_CARD = re.compile(r"(?:[x*•]{2,}[\s-]?)+\d{0,4}|\b\d{4,6}[x*•]{2,}[\dx*•\s-]*")
_WORD = re.compile(r"[^\W_]+(?:['’.&][^\W_]+)*")
# Words that say how a payment was made, not who was paid.
_NOISE = frozenset(
    {"pos", "card", "visa", "debit", "purchase", "contactless", "payment", "ref", "nr", "no"}
)


def merchant_key(text: str) -> str:
    """A stable, case-folded key for the merchant in a statement description ("" if none)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _MONTH_DATE.sub(" ", folded)
    folded = _CARD.sub(" ", folded)
    # Any word holding a digit is a date, an amount, a card tail or a reference number.
    words = [
        word
        for word in _WORD.findall(folded)
        if not any(ch.isdigit() for ch in word) and word not in _NOISE
    ]
    return " ".join(words)
