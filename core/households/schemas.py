from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from core.schemas import Name, OutSchema, Schema

# A household referenced by id from an entry: bounded so it fits an integer column.
HouseholdRef = Annotated[int, Field(ge=1, le=2**31 - 1)]


class HouseholdCreate(Schema):
    name: Name


class MemberOut(BaseModel):
    user_id: int
    username: str
    role: Literal["owner", "member"]
    joined_at: datetime


class HouseholdOut(OutSchema):
    id: int
    name: str
    currency: str  # balances and summaries are in it: the owner's base at creation
    created_at: datetime
    members: list[MemberOut] = Field(default_factory=list)


class InviteOut(BaseModel):
    code: str  # shown once; only its SHA-256 is kept
    url: str
    expires_at: datetime


class JoinRequest(Schema):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
