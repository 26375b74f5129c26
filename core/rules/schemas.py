from typing import Annotated, Literal

from pydantic import Field, Strict, StringConstraints

from core.schemas import Name, OutSchema, Schema, StorableText

Kind = Literal["expense", "income"]
Contains = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), StorableText
]
# Strict: JSON `true` is not position 1.
Position = Annotated[int, Strict(), Field(ge=0, le=2**31 - 1)]


class RuleCreate(Schema):
    contains: Contains
    category: Name
    kind: Kind | None = None  # None: expenses and incomes alike
    position: Position | None = None  # after the last rule when left out


class RuleUpdate(Schema):
    contains: Contains | None = None
    category: Name | None = None
    kind: Kind | None = None
    position: Position | None = None


class RuleOut(OutSchema):
    id: int
    user_id: int
    contains: str
    category: str
    kind: Kind | None
    position: int
