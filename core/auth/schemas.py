import re
from typing import Annotated
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from core.currencies import is_currency
from core.schemas import CURRENCY_SCHEMA, STRIPPED, OutSchema, Schema, StorableText, stripped_text
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


SignupUsername = Annotated[
    Username,
    AfterValidator(_not_reserved),
    WithJsonSchema(
        {
            "type": "string",
            # Spaces around are stripped; then 3..64 of these, not starting tg<digit>.
            "pattern": f"^[{STRIPPED}]*(?![Tt][Gg][Nn]?[0-9])[A-Za-z0-9_.-]{{3,64}}[{STRIPPED}]*$",
        },
        mode="validation",
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
    WithJsonSchema(CURRENCY_SCHEMA),
]

# An e-mail address: an ASCII dot-atom local part (RFC 5322) at a host name, each
# label 1..63 letters, digits or inner hyphens, none with "--" in 3rd and 4th place
# (which email-validator keeps for Punycode). Any host name is taken, a dotless one
# or a special-use one (example.test, localhost) included: nothing is looked up,
# and a self-hosted finbot may well mail within its own network.
_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LABEL = "(?![A-Za-z0-9-]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_MAX = 254
EMAIL_PATTERN = f"^(?![^@]{{65}})[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*@(?:{_LABEL}\\.)*{_LABEL}$"
_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    if len(value) > EMAIL_MAX or not _EMAIL.fullmatch(value):
        raise ValueError("value is not a valid email address: must be name@host, in ASCII")
    try:
        # The pattern's shape, then email-validator's normalising (the host in lower
        # case); special-use and dotless hosts are taken, as the schema says.
        checked = validate_email(value, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as error:
        raise ValueError(f"value is not a valid email address: {error}") from None
    return checked.normalized


Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema(
        {"type": "string", "format": "email", "maxLength": EMAIL_MAX, "pattern": EMAIL_PATTERN},
        mode="validation",
    ),
]


class SignupRequest(Schema):
    username: SignupUsername
    email: Email
    password: Password


class LoginRequest(Schema):
    username: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=254),
        StorableText,
        WithJsonSchema(stripped_text(254), mode="validation"),
    ]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TokenAnswer(Schema):
    token: str


class ResetRequest(Schema):
    # Not stripped here: the length the schema states is the length checked (the
    # service strips before looking the address up).
    email: Annotated[
        str,
        StringConstraints(min_length=1, max_length=254),
        StorableText,
        WithJsonSchema(
            {"type": "string", "minLength": 1, "maxLength": 254, "pattern": "^[^\\x00]*$"},
            mode="validation",
        ),
    ]


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
