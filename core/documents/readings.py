"""A document read as a receipt (SPEC section 9): read once, stored, then served from the row.

The reading itself is core/receipts' (Tesseract off the event loop, a bounded number at
once); this module decides when to read and keeps what was found, including "not a
receipt", so a document is never put through OCR twice.
"""

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from core.documents import service as documents
from core.documents.repository import ReadingRepository
from core.documents.schemas import ReadingLine, ReadingOut
from core.documents.service import release_connection
from core.exceptions import ServiceUnavailable
from core.expenses.schemas import ExpenseCreate
from core.language.parsing import CategoryHints
from core.models import Document, ReceiptReading, User
from core.periods import local_today
from storage.base import DocumentStore, StorageUnavailable

if TYPE_CHECKING:  # core.receipts loads numpy, Pillow and PDFium: ~20 MB, on first use only
    from core.receipts import Reading


PDF = "application/pdf"


def _row(document_id: str, reading: "Reading | None") -> ReceiptReading:
    if reading is None:
        return ReceiptReading(document_id=document_id, is_receipt=False, lines=[], confidence=0.0)
    return ReceiptReading(
        document_id=document_id,
        is_receipt=True,
        total=reading.total,
        currency=reading.currency,
        day=reading.date,
        merchant=reading.merchant[:255] if reading.merchant else None,
        lines=[{"text": line.text, "amount": str(line.amount)} for line in reading.lines],
        confidence=reading.confidence,
    )


def _reading(row: ReceiptReading) -> ReadingOut | None:
    if not row.is_receipt or row.total is None or row.currency is None:
        return None
    return ReadingOut(
        total=row.total,
        currency=row.currency,
        date=row.day,
        merchant=row.merchant,
        lines=[
            ReadingLine(text=line["text"], amount=Decimal(line["amount"])) for line in row.lines
        ],
        confidence=row.confidence,
    )


async def read_content(
    data: bytes, content_type: str, user: User, locale_hint: str | None = None
) -> "Reading | None":
    """Read bytes not stored yet (the chat reads a photo before it keeps it).

    Raises ServiceUnavailable("ocr not available") when a picture needs Tesseract.
    """
    from core.receipts import read_receipt  # see TYPE_CHECKING above

    return await read_receipt(
        data, content_type, base_currency=user.currency, locale_hint=locale_hint
    )


async def keep(
    session: AsyncSession, document: Document, reading: "Reading | None"
) -> ReadingOut | None:
    """Store what reading `document` found (the first stored reading wins)."""
    row = await ReadingRepository(session).add_once(_row(document.id, reading))
    return _reading(row)


async def stored(session: AsyncSession, document: Document) -> ReadingOut | None:
    """The stored reading of a document (None when it is not a receipt or not read yet)."""
    row = await ReadingRepository(session).get(document.id)
    return None if row is None else _reading(row)


async def reading_of(
    session: AsyncSession,
    store: DocumentStore,
    user: User,
    document_id: str,
    locale_hint: str | None = None,
) -> ReadingOut | None:
    """The user's document as a receipt: stored, or read now and stored; None when it is
    not a receipt that could be read (that is stored too, so returned, not raised: the
    caller's transaction must commit it).

    NotFound when it is not the user's document; ServiceUnavailable when it needs the
    OCR engine and there is none (then nothing is stored, to read it once there is one).
    """
    document = await documents.get(session, user, document_id)
    row = await ReadingRepository(session).get(document.id)
    if row is not None:
        return _reading(row)
    if not (document.content_type.startswith("image/") or document.content_type == PDF):
        return await keep(session, document, None)  # no need to fetch what cannot be read
    # Fetching and reading take seconds (minutes, waiting for the OCR gate): the unit of
    # work so far ends here, so no pooled connection (on SQLite, no writer lock) is held
    # meanwhile; keeping the result opens the next one.
    await release_connection(session)
    try:
        data = await store.get(document.storage_key)
    except StorageUnavailable as error:
        raise ServiceUnavailable("document storage unavailable") from error
    reading = await read_content(data, document.content_type, user, locale_hint)
    return await keep(session, document, reading)


_MERCHANT_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
FALLBACK_CATEGORY = "receipt"


def category_for(merchant: str | None, hints: CategoryHints) -> str:
    """As for a chat entry: the person's own category for the merchant's words (their
    categories, what they filed those words under, the built-in synonyms), else the
    merchant's first word, as "coffee 4.50" is filed under coffee."""
    words = _MERCHANT_WORD.findall(merchant or "")
    found = hints.resolve(words) if words else None
    return (found or (words[0].lower() if words else FALLBACK_CATEGORY))[:64]


async def expense_from(
    session: AsyncSession,
    user: User,
    reading: ReadingOut,
    hints: CategoryHints,
    amount: Decimal | None = None,
) -> ExpenseCreate:
    """The expense a read receipt stands for: its total in the receipt's own currency
    (the expense service gives it a base amount at the receipt's date, Invalid when there
    is no rate), or `amount`, the person's correction, in their own currency."""
    today = local_today(user.timezone)
    # A date in the future can only be a misread one: the receipt is from today then.
    day = reading.date if reading.date is not None and reading.date <= today else today
    currency = reading.currency if amount is None else user.currency
    return ExpenseCreate(
        category=category_for(reading.merchant, hints),
        amount=reading.total if amount is None else amount,
        currency=currency,
        date=day,
        description=(reading.merchant or "")[:1000],
    )
