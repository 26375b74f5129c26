"""Pydantic building blocks shared by every domain's schemas."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from core.currencies.codes import is_currency

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # pydantic would also take Unix timestamps and other shapes; SPEC says YYYY-MM-DD.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _known_currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code such as EUR")
    return code


def _storable_text(value: str) -> str:
    # NUL and lone surrogates pass JSON and pydantic but no database stores them.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


StorableText = AfterValidator(_storable_text)
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), StorableText
]
# An ISO 4217 code in any case, kept upper-case.
CurrencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=3), AfterValidator(_known_currency)
]
Description = Annotated[str, StringConstraints(max_length=1000), StorableText]


class Schema(BaseModel):
    """Request bodies: unknown fields (such as `user_id`) are ignored."""

    model_config = ConfigDict(extra="ignore")


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
