"""Households (SPEC section 8): who belongs, who may do what. Never commits."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.exceptions import Conflict, Forbidden, Invalid, NotFound
from core.households.repository import HouseholdRepository
from core.households.schemas import HouseholdOut, InviteOut, MemberOut
from core.models import Household, User
from core.models.base import utcnow


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
    """An entry's `household_id` must name a household of the caller's; anything else is
    a 422 naming the field. Not a 404: `PUT /api/budgets/7/` answering 404 would say
    budget 7 is gone. One answer for a household that does not exist and one of others,
    so it tells nothing of them."""
    if household_id is not None and not await HouseholdRepository(session).is_member(
        user_id, household_id
    ):
        raise Invalid("not a household of yours", field="household_id")


INVITE_VALIDITY = timedelta(days=7)


def invite_digest(code: str) -> str:
    """Invites are stored as their code's SHA-256, like tokens."""
    return hashlib.sha256(code.encode()).hexdigest()


async def household_out(session: AsyncSession, household: Household) -> HouseholdOut:
    return (await households_out(session, [household]))[0]


async def households_out(session: AsyncSession, households: list[Household]) -> list[HouseholdOut]:
    """The answers, with each household's members (one query for all)."""
    members: dict[int, list[MemberOut]] = {household.id: [] for household in households}
    for row in await HouseholdRepository(session).members([h.id for h in households]):
        members[row.household_id].append(
            MemberOut(
                user_id=row.user_id, username=row.username, role=row.role, joined_at=row.joined_at
            )
        )
    return [
        HouseholdOut(
            id=household.id,
            name=household.name,
            currency=household.currency,
            created_at=household.created_at,
            members=members[household.id],
        )
        for household in households
    ]


async def create_invite(
    session: AsyncSession, user: User, household_id: int, link: Callable[[str], str]
) -> InviteOut:
    """A one-time code valid for 7 days; any member may invite. `link` makes its url."""
    household = await get_household(session, user.id, household_id)
    code = secrets.token_urlsafe(12)  # 16 characters of [A-Za-z0-9_-]: a Telegram start payload
    expires_at = utcnow() + INVITE_VALIDITY
    await HouseholdRepository(session).add_invite(
        household.id, invite_digest(code), user.id, expires_at
    )
    return InviteOut(code=code, url=link(code), expires_at=expires_at)


async def invited_to(session: AsyncSession, code: str) -> Household | None:
    """The household an invite code is for while the code can still be used (else None),
    without using it: what a person is asked to confirm before joining."""
    repository = HouseholdRepository(session)
    invite = await repository.invite(invite_digest(code.strip()))
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        return None
    return await repository.get(invite.household_id)


async def join(session: AsyncSession, user: User, code: str) -> Household:
    """Join with an invite's code: unknown, used or expired is 422 naming `code`; a member
    already is 409 and leaves the code unused."""
    repository = HouseholdRepository(session)
    digest = invite_digest(code.strip())
    invite = await repository.invite(digest)
    now = utcnow()
    if invite is None:
        raise Invalid("unknown invite code", field="code")
    if invite.used_at is not None:
        raise Invalid("this invite code was used already", field="code")
    if invite.expires_at <= now:
        raise Invalid("this invite code has expired", field="code")
    if await repository.is_member(user.id, invite.household_id):
        raise Conflict("you are a member of this household already")
    household_id = await repository.use_invite(digest, user.id, now)
    if household_id is None:  # someone else took it a moment ago
        raise Invalid("this invite code was used already", field="code")
    try:
        async with session.begin_nested():
            await repository.add_member(household_id, user.id)
    except IntegrityError:  # joined twice at once with two codes
        raise Conflict("you are a member of this household already") from None
    return await get_household(session, user.id, household_id)


async def remove_member(
    session: AsyncSession, user: User, household_id: int, member_id: int
) -> None:
    """The owner removes anyone; a member removes only themself (another member is 403
    naming why: the members are no secret to a member; someone who is not a member is
    404). The owner leaving passes ownership to the longest-standing member; the last
    one leaving deletes the household (its shared entries become their creators' own
    again). The invites the leaver made and nobody used stop working."""
    household = await get_household(session, user.id, household_id)
    repository = HouseholdRepository(session)
    # Locked: two removals at once must not both see someone else left to inherit.
    memberships = await repository.memberships(household.id, lock=True)
    acting = next((m for m in memberships if m.user_id == user.id), None)
    leaving = next((m for m in memberships if m.user_id == member_id), None)
    if acting is None or leaving is None:
        raise NotFound("member")
    if acting.role != "owner" and member_id != user.id:
        raise Forbidden("only the household's owner can remove another member")
    remaining = [m for m in memberships if m.user_id != member_id]
    if not remaining:
        await repository.delete(household)
        return
    await repository.remove_member(household.id, member_id)
    await repository.delete_unused_invites(household.id, created_by=member_id)
    if leaving.role == "owner":
        remaining[0].role = "owner"  # longest-standing first
    await session.flush()


async def revoke_invites(session: AsyncSession, user: User, household_id: int) -> int:
    """The owner withdraws every unused invite of the household (anyone's); how many.
    A member is 403 naming why, anyone else 404."""
    await get_household(session, user.id, household_id)
    await require_owner(session, user, household_id, "withdraw its invites")
    return await HouseholdRepository(session).delete_unused_invites(household_id)


async def require_owner(session: AsyncSession, user: User, household_id: int, what: str) -> None:
    """Forbidden naming why unless the user owns the household (the caller has checked
    they are a member: to anyone else the household is NotFound)."""
    membership = await HouseholdRepository(session).membership(household_id, user.id)
    if membership is None:
        raise NotFound("household")
    if membership.role != "owner":
        raise Forbidden(f"only the household's owner can {what}")
