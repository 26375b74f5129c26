from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from core.reports import service as reports
from core.reports.schemas import Summary
from core.schemas import IsoDate

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/summary/", response_model=Summary, response_model_by_alias=True)
async def summary(
    session: SessionDep,
    user: CurrentUser,
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> Summary:
    return await reports.summary(session, user, date_from, date_to)
