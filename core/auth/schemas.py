import re
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from core.currencies import CURRENCY_EXPONENTS, is_currency
from core.schemas import OutSchema, Schema, StorableText
from core.timezones import is_timezone

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"
    ),
]
# The bot names the accounts it makes tg<chat id> ("n" for a group's minus sign):
# nobody may take such a name over REST and so block that chat's /start.
RESERVED_USERNAME = re.compile(r"^tgn?[0-9]", re.IGNORECASE)


def _not_reserved(value: str) -> str:
    if RESERVED_USERNAME.match(value):
        raise ValueError("names starting with tg and a digit are kept for Telegram accounts")
    return value


SignupUsername = Annotated[Username, AfterValidator(_not_reserved)]
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


# The schemas list what is accepted, so a client (or a fuzzer) can know it up front.
Timezone = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_known_timezone),
    WithJsonSchema({"type": "string", "enum": sorted(available_timezones())}),
]
Currency = Annotated[
    str,
    StringConstraints(max_length=3),
    AfterValidator(_known_currency),
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 4217 code, any case",
            "enum": sorted(CURRENCY_EXPONENTS) + sorted(c.lower() for c in CURRENCY_EXPONENTS),
        }
    ),
]


Email = Annotated[EmailStr, StorableText]


class SignupRequest(Schema):
    username: SignupUsername
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
    # Not stripped here: the length the schema states is the length checked (the
    # service strips before looking the address up).
    email: Annotated[str, StringConstraints(min_length=1, max_length=254), StorableText]


class ResetConfirm(Schema):
    token: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Password


class MeUpdate(Schema):
    email: Email | None = None
    timezone: Timezone | None = None
    currency: Currency | None = None
    # Strict: 0.0 or "no" is not a yes/no answer.
    weekly_summary: StrictBool | None = None
    monthly_summary: StrictBool | None = None
    current_password: Annotated[
        str | None, Field(max_length=1024, description="Needed to change `email`")
    ] = None
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
