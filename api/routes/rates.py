from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from core.currencies import service as currencies
from core.currencies.schemas import RateOut
from core.schemas import IsoDate

router = APIRouter(prefix="/api/rates", tags=["rates"])
CurrencyCode = Annotated[str, Query(pattern=r"^[A-Za-z]{3}$")]


@router.get("/", response_model=RateOut, response_model_by_alias=True)
async def get_rate(
    session: SessionDep,
    _: CurrentUser,
    from_currency: Annotated[CurrencyCode, Query(alias="from")],
    to_currency: Annotated[CurrencyCode, Query(alias="to")],
    on: Annotated[IsoDate | None, Query(alias="date")] = None,
) -> RateOut:
    day = on or datetime.now(UTC).date()
    return await currencies.rate(session, from_currency.upper(), to_currency.upper(), day)
