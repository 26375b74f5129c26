"""Households (SPEC section 8): who belongs, who may do what. Never commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.exceptions import NotFound
from core.households.repository import HouseholdRepository
from core.models import Household, User


async def create_household(session: AsyncSession, user: User, name: str) -> Household:
    """A new household in the owner's base currency; the creator is its owner."""
    return await HouseholdRepository(session).create(name, user.currency, user.id)


async def get_household(session: AsyncSession, user_id: int, household_id: int) -> Household:
    """The household, or NotFound("household") unless the user is a member: to anyone
    else it does not exist (SPEC 3: never 403)."""
    household = await HouseholdRepository(session).get_for_member(user_id, household_id)
    if household is None:
        raise NotFound("household")
    return household


async def member_ids(session: AsyncSession, household_id: int) -> list[int]:
    """The members' user ids, longest-standing first."""
    return await HouseholdRepository(session).member_ids(household_id)


async def households_of(session: AsyncSession, user_id: int) -> list[Household]:
    return await HouseholdRepository(session).households_of(user_id)


async def check_household(session: AsyncSession, user_id: int, household_id: int | None) -> None:
    """An entry's `household_id` must name a household of the caller's. Anything else is
    NotFound("household") (404), as an expense_id of another user's given with a
    document upload is NotFound("expense"): a reference to what is not yours is not there."""
    if household_id is not None and not await HouseholdRepository(session).is_member(
        user_id, household_id
    ):
        raise NotFound("household")
