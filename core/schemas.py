"""Pydantic building blocks shared by every domain's schemas."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # pydantic would also take Unix timestamps and other shapes; SPEC says YYYY-MM-DD.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(max_length=1000)]


class Schema(BaseModel):
    """Request bodies: unknown fields (such as `user_id`) are ignored."""

    model_config = ConfigDict(extra="ignore")


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
