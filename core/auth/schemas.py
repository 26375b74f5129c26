from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from core.currencies import is_currency
from core.schemas import OutSchema, Schema, StorableText
from core.timezones import is_timezone

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"
    ),
]
# argon2 hashes any length; the upper bound keeps one request from costing seconds.
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]


def _known_timezone(value: str) -> str:
    if not is_timezone(value):
        raise ValueError("must be an IANA timezone name such as Europe/Lisbon")
    return value


def _known_currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code such as EUR")
    return code


Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_timezone)]
Currency = Annotated[str, StringConstraints(max_length=3), AfterValidator(_known_currency)]


Email = Annotated[EmailStr, StorableText]


class SignupRequest(Schema):
    username: Username
    email: Email
    password: Password


class LoginRequest(Schema):
    username: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254), StorableText
    ]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TokenAnswer(Schema):
    token: str


class ResetRequest(Schema):
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254), StorableText
    ]


class ResetConfirm(Schema):
    token: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Password


class MeUpdate(Schema):
    email: Email | None = None
    timezone: Timezone | None = None
    currency: Currency | None = None
    weekly_summary: bool | None = None
    monthly_summary: bool | None = None
    pay_day: Annotated[int, Field(ge=1, le=31)] | None = None


class UserOut(OutSchema):
    id: int
    username: str
    email: str | None


class Me(UserOut):
    timezone: str
    currency: str
    weekly_summary: bool
    monthly_summary: bool
    pay_day: int
