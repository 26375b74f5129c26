"""Balances and settlements as the API shows and takes them."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, WithJsonSchema

from core.models.households import SHARE_SCALE
from core.money import Money
from core.schemas import Description, OutSchema, PositiveMoney, Schema

UserId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# More people than any household has: bounds the work one request can ask for.
MAX_SPLIT_MEMBERS = 100


class MemberBalanceOut(OutSchema):
    user_id: int
    username: str
    member: bool  # False: someone who left but still has shared entries or settlements
    paid: Money  # the shared expenses they paid
    share: Money  # their part of all shared expenses
    settled_out: Money  # settlements they paid others
    settled_in: Money  # settlements they received
    balance: Money  # paid - share + settled_out - settled_in; > 0: is owed


class TransferOut(OutSchema):
    from_user_id: int
    to_user_id: int
    amount: Money


class BalancesOut(OutSchema):
    currency: str
    members: list[MemberBalanceOut]
    transfers: list[TransferOut]


class SettlementCreate(Schema):
    from_user_id: UserId
    to_user_id: UserId
    amount: PositiveMoney
    note: Description = ""


class SettlementOut(OutSchema):
    id: int
    household_id: int
    from_user_id: int
    to_user_id: int
    amount: Money
    currency: str
    date: date
    note: str
    created_by: int | None
    created_at: datetime


def _as_json_number(value: Decimal) -> float:
    # At most 9 decimals below 1: a double prints it back as the same decimal.
    return float(value)


ShareValue = Annotated[
    Decimal,
    Field(gt=0, le=1, max_digits=SHARE_SCALE + 1, decimal_places=SHARE_SCALE),
    PlainSerializer(_as_json_number, return_type=float, when_used="json"),
    # What the field takes, said to the schema: a fuzzer's 5e-324 is no share.
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "multipleOf": float(Decimal(1).scaleb(-SHARE_SCALE)),
        },
        mode="validation",
    ),
]
# {user_id: share} of a shared expense: members only, each > 0, summing to exactly 1;
# {} on a change goes back to an equal split.
Split = Annotated[dict[UserId, ShareValue], Field(max_length=MAX_SPLIT_MEMBERS)]
