from datetime import date

from pydantic import BaseModel

from core.money import Money
from core.notifications.schemas import UTCTimestamp


class DocumentOut(BaseModel):
    document_id: str
    url: str
    filename: str
    content_type: str
    size: int
    expense_id: int | None
    created_at: UTCTimestamp


class DocumentFile(BaseModel):
    """What the signed local link serves."""

    path: str
    filename: str
    content_type: str


class ReadingLine(BaseModel):
    text: str
    amount: Money


class ReadingOut(BaseModel):
    """A document read as a receipt (SPEC section 9), as stored and served."""

    total: Money
    currency: str
    date: date | None
    merchant: str | None
    lines: list[ReadingLine]
    confidence: float
