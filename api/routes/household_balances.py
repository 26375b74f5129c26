"""Household balances and settlements (SPEC section 8)."""

from fastapi import APIRouter, Response

from api.crud import NOT_FOUND, ObjectId
from api.deps import CurrentUser, PagingDep, SessionDep
from core.households import balances
from core.households.balance_schemas import BalancesOut, SettlementCreate, SettlementOut
from core.households.service import get_household
from core.models import Settlement

router = APIRouter(prefix="/api/households", tags=["households"])
PARTIES_ONLY = {
    **NOT_FOUND,
    403: {"description": "A member who is neither the settlement's payer nor its payee"},
}


@router.get(
    "/{household_id}/balances/",
    response_model=BalancesOut,
    responses=NOT_FOUND,
    summary="Who owes whom",
)
async def get_balances(
    session: SessionDep, user: CurrentUser, household_id: ObjectId
) -> BalancesOut:
    household = await get_household(session, user.id, household_id)
    return await balances.balances_out(session, household)


@router.post(
    "/{household_id}/settlements/",
    status_code=201,
    response_model=SettlementOut,
    responses=NOT_FOUND,
    summary="Record a settlement",
)
async def create_settlement(
    session: SessionDep, user: CurrentUser, household_id: ObjectId, body: SettlementCreate
) -> Settlement:
    household = await get_household(session, user.id, household_id)
    return await balances.record_settlement(
        session, household, user, body.from_user_id, body.to_user_id, body.amount, body.note
    )


@router.get(
    "/{household_id}/settlements/",
    response_model=list[SettlementOut],
    responses=NOT_FOUND,
    summary="The household's settlements, newest first",
)
async def list_settlements(
    session: SessionDep,
    user: CurrentUser,
    household_id: ObjectId,
    page: PagingDep,
    response: Response,
) -> list[Settlement]:
    household = await get_household(session, user.id, household_id)
    result = await balances.list_settlements(session, household, page)
    response.headers["X-Total-Count"] = str(result.total)
    return result.items


@router.delete(
    "/{household_id}/settlements/{settlement_id}/",
    status_code=204,
    responses=PARTIES_ONLY,
    summary="Take back a settlement (its payer or its payee)",
)
async def delete_settlement(
    session: SessionDep, user: CurrentUser, household_id: ObjectId, settlement_id: ObjectId
) -> Response:
    household = await get_household(session, user.id, household_id)
    await balances.delete_settlement(session, household, user, settlement_id)
    return Response(status_code=204)
