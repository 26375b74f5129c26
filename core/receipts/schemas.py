"""A receipt as read (SPEC section 9): total, currency, date, merchant, lines, confidence."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from core.money import Money


class ReceiptLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    amount: Money


class Reading(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: Money
    currency: str
    date: date | None
    merchant: str | None
    lines: list[ReceiptLine]
    confidence: float = Field(ge=0, le=1)
