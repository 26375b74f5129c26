"""Where the month is heading: safe-to-spend and the recurring forecast."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.crud import json_answer
from api.deps import CurrentUser, SessionDep
from core.planning import service as planning
from core.planning.forecast import MAX_FORECAST_DAYS
from core.planning.schemas import ForecastOut, SafeToSpendOut

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/safe-to-spend/", response_model=SafeToSpendOut)
async def safe_to_spend(session: SessionDep, user: CurrentUser) -> SafeToSpendOut:
    return planning.safe_to_spend_out(await planning.safe_to_spend_now(session, user))


@router.get("/forecast/", response_model=ForecastOut)
async def forecast(
    session: SessionDep,
    user: CurrentUser,
    days: Annotated[int, Query(ge=1, le=MAX_FORECAST_DAYS)] = 30,
) -> Response:
    # Up to 183,000 entries (15 MB): encoded in the worker thread, not on the loop.
    return json_answer(await planning.forecast_days_json(session, user, days))
