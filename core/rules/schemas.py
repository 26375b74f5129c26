from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from core.schemas import JsonInteger, Name, OutSchema, Schema, StorableText, stripped_text

Kind = Literal["expense", "income"]
CONTAINS_MAX = 200
Contains = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=CONTAINS_MAX),
    StorableText,
    WithJsonSchema(stripped_text(CONTAINS_MAX), mode="validation"),
]
# JSON `true` is not position 1; 2.0 is position 2 (JSON Schema's integer).
Position = Annotated[JsonInteger, Field(ge=0, le=2**31 - 1)]


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
