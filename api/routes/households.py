"""Households (SPEC section 8): membership, and the shared entries every member sees."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response

from api.crud import NOT_FOUND, ObjectId, json_answer
from api.deps import CurrentUser, PagingDep, SessionDep, SettingsDep
from api.routes.ledger import expense_filters, income_filters
from core.budgets.schemas import BudgetOut
from core.budgets.service import budgets
from core.config import Settings
from core.crud import OwnedService
from core.expenses.schemas import ExpenseFilters, ExpenseOut
from core.expenses.service import expenses
from core.households import service as households
from core.households.schemas import HouseholdCreate, HouseholdOut, InviteOut, JoinRequest
from core.incomes.schemas import IncomeFilters, IncomeOut
from core.incomes.service import incomes
from core.reports.schemas import HouseholdSummary
from core.reports.service import household_summary
from core.schemas import IsoDate

router = APIRouter(prefix="/api/households", tags=["households"])
# Paths take `{household_id:int}`: only digits match, so GET /join/ is a 405, not an id.
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
OWNER_ONLY = {
    **NOT_FOUND,
    403: {"description": "A member asking for what only the owner may do (the message says why)"},
}


def invite_link(settings: Settings) -> Any:
    """A Telegram deep link when the bot's username is known (the bot takes
    `/start join-<code>`), else a link to FINBOT_PUBLIC_URL like the reset link."""

    def link(code: str) -> str:
        if settings.telegram_bot_username:
            return f"https://t.me/{settings.telegram_bot_username.lstrip('@')}?start=join-{code}"
        return f"{settings.public_url.rstrip('/')}/join-household?code={quote(code)}"

    return link


@router.post("/", status_code=201, response_model=HouseholdOut, summary="Create a household")
async def create(session: SessionDep, user: CurrentUser, body: HouseholdCreate) -> HouseholdOut:
    household = await households.create_household(session, user, body.name)
    return await households.household_out(session, household)


@router.get("/", response_model=list[HouseholdOut], summary="Your households")
async def list_households(session: SessionDep, user: CurrentUser) -> list[HouseholdOut]:
    return await households.households_out(
        session, await households.households_of(session, user.id)
    )


@router.post(
    "/join/",
    response_model=HouseholdOut,
    responses={409: {"description": "A member already"}},
    summary="Join with an invite code",
)
async def join(session: SessionDep, user: CurrentUser, body: JoinRequest) -> HouseholdOut:
    household = await households.join(session, user, body.code)
    return await households.household_out(session, household)


@router.get("/{household_id:int}/", response_model=HouseholdOut, responses=NOT_FOUND)
async def get(session: SessionDep, user: CurrentUser, household_id: ObjectId) -> HouseholdOut:
    household = await households.get_household(session, user.id, household_id)
    return await households.household_out(session, household)


@router.post(
    "/{household_id:int}/invites/",
    status_code=201,
    response_model=InviteOut,
    responses=NOT_FOUND,
    summary="A one-time invite code, valid 7 days",
)
async def invite(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, household_id: ObjectId
) -> InviteOut:
    return await households.create_invite(session, user, household_id, invite_link(settings))


@router.delete(
    "/{household_id:int}/invites/",
    status_code=204,
    responses=OWNER_ONLY,
    summary="Withdraw every unused invite (the owner)",
)
async def revoke_invites(
    session: SessionDep, user: CurrentUser, household_id: ObjectId
) -> Response:
    await households.revoke_invites(session, user, household_id)
    return Response(status_code=204)


@router.delete(
    "/{household_id:int}/members/{user_id}/",
    status_code=204,
    responses=OWNER_ONLY,
    summary="Remove a member (the owner: anyone; a member: themself)",
)
async def remove_member(
    session: SessionDep, user: CurrentUser, household_id: ObjectId, user_id: UserId
) -> Response:
    await households.remove_member(session, user, household_id, user_id)
    return Response(status_code=204)


async def shared_list(
    service: OwnedService[Any, Any],
    session: Any,
    user: Any,
    household_id: int,
    page: Any,
    filters: Any = None,
) -> Response:
    await households.get_household(session, user.id, household_id)  # 404 to non-members
    result = await service.shared_page(session, user, household_id, page, filters)
    body = await service.present_json(session, user, result.items)
    return json_answer(body, total=result.total)


@router.get("/{household_id:int}/expenses/", response_model=list[ExpenseOut], responses=NOT_FOUND)
async def shared_expenses(
    session: SessionDep,
    user: CurrentUser,
    household_id: ObjectId,
    page: PagingDep,
    filters: Annotated[ExpenseFilters, Depends(expense_filters)],
) -> Any:
    return await shared_list(expenses, session, user, household_id, page, filters)


@router.get("/{household_id:int}/incomes/", response_model=list[IncomeOut], responses=NOT_FOUND)
async def shared_incomes(
    session: SessionDep,
    user: CurrentUser,
    household_id: ObjectId,
    page: PagingDep,
    filters: Annotated[IncomeFilters, Depends(income_filters)],
) -> Any:
    return await shared_list(incomes, session, user, household_id, page, filters)


@router.get("/{household_id:int}/budgets/", response_model=list[BudgetOut], responses=NOT_FOUND)
async def shared_budgets(
    session: SessionDep, user: CurrentUser, household_id: ObjectId, page: PagingDep
) -> Any:
    return await shared_list(budgets, session, user, household_id, page)


@router.get(
    "/{household_id:int}/summary/",
    response_model=HouseholdSummary,
    response_model_by_alias=True,
    responses=NOT_FOUND,
)
async def summary(
    session: SessionDep,
    user: CurrentUser,
    household_id: ObjectId,
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> HouseholdSummary:
    return await household_summary(session, user, household_id, date_from, date_to)
