"""What reading a document found: one row per document, written once (SPEC section 9)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, UTCDateTime, utcnow


class ReceiptReading(Base):
    """A stored reading, so OCR runs once per document.

    A document that is not a receipt gets a row too (`is_receipt` false, the rest
    empty): asking again must not run Tesseract again either.
    """

    __tablename__ = "receipt_readings"

    # The document's own id: one reading per document, and it goes with the document.
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    is_receipt: Mapped[bool]
    total: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    day: Mapped[date | None] = mapped_column(Date())
    merchant: Mapped[str | None] = mapped_column(String(255))
    # [{"text": ..., "amount": "12.30"}]: amounts as strings, so JSON keeps them exact.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confidence: Mapped[float] = mapped_column(Float(), default=0.0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
