"""A household's Telegram group (SPEC 8): binding a group with /household, who may
record there, members by their Telegram names, and the group posts' delivery."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.exceptions import Conflict, Invalid, NotFound
from core.households.chat_repository import HouseholdChatRepository
from core.households.repository import HouseholdRepository
from core.households.service import create_household
from core.models import Household, HouseholdChatPost, User
from core.models.base import utcnow

NAME_LENGTH = 64  # households.name
DEFAULT_NAME = "Household"
# As for notifications: a sender leases a batch, so another sender leaves it alone.
POST_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Bound:
    """What /household did in a group: "bound" (one of the sender's households),
    "created" (a new one, named after the group), "already" (the group had one;
    `member`: the sender is one of its members, to whom alone it is named),
    "not-owner" (the sender is a member, not the owner, of the household they named,
    or of every household of theirs without a group: only an owner binds; `owner` is
    that household's owner), or "no-such" (the sender named none of the households
    they own without a group; `choices` are those)."""

    outcome: str
    household: Household | None = None
    choices: tuple[str, ...] = ()
    member: bool = False
    owner: User | None = None


@dataclass(frozen=True)
class Unbound:
    """What /household unbind did: "unbound", "not-bound" (the group has no household),
    "not-member" (the sender is no member of its household: told nothing of it) or
    "not-owner" (a member who is not the owner: `owner` is)."""

    outcome: str
    household: Household | None = None
    owner: User | None = None


class AmbiguousMember(Conflict):
    """A name several members answer to (one's Telegram @name, another's finbot
    username): settling with the wrong one is worse than asking."""

    def __init__(self, name: str, people: list[User]) -> None:
        super().__init__(f"{name} could be any of {len(people)} members")
        self.people = people


async def bind_chat(
    session: AsyncSession, user: User, chat_id: int, title: str | None, choice: str | None = None
) -> Bound:
    """Make the group `chat_id` the chat of one of the households the sender owns.

    A group belongs to one household and a household has one group, so only the
    sender's households without a group are candidates, and of those only the ones
    they own (a member cannot send a household's alerts to a group of their choice):
    the one named by `choice`, else the most recent one they own. A sender who owns
    none but is a member of one is told that its owner binds it; a sender in no
    household without a group gets a new one named after the group, as its owner.
    """
    repository = HouseholdChatRepository(session)
    current = await repository.household_of_chat(chat_id)
    if current is not None:
        return Bound("already", current, member=await is_member(session, current, user))
    unbound = await repository.unbound_households(user.id)
    owned = [household for household, role in unbound if role == "owner"]
    wanted = (choice or "").strip().lower()
    if wanted:
        named = [household for household, _ in unbound if household.name.lower() == wanted]
        if named and named[0] not in owned:
            return Bound("not-owner", named[0], owner=await owner_of(session, named[0]))
        if not named:
            return Bound("no-such", choices=tuple(h.name for h in owned))
        owned = named
    if owned:
        await repository.bind(owned[0], chat_id, utcnow())
        return Bound("bound", owned[0])
    if unbound:
        joined = unbound[0][0]
        return Bound("not-owner", joined, owner=await owner_of(session, joined))
    name = (title or "").strip()[:NAME_LENGTH] or DEFAULT_NAME
    household = await create_household(session, user, name)
    await repository.bind(household, chat_id, utcnow())
    return Bound("created", household)


async def unbind_chat(session: AsyncSession, user: User, chat_id: int) -> Unbound:
    """The group stops being its household's chat: its owner's word only."""
    repository = HouseholdChatRepository(session)
    household = await repository.household_of_chat(chat_id)
    if household is None:
        return Unbound("not-bound")
    membership = await HouseholdRepository(session).membership(household.id, user.id)
    if membership is None:
        return Unbound("not-member")
    if membership.role != "owner":
        return Unbound("not-owner", household, await owner_of(session, household))
    await repository.unbind(household)
    return Unbound("unbound", household)


async def owner_of(session: AsyncSession, household: Household) -> User | None:
    return await HouseholdChatRepository(session).owner(household.id)


async def household_of_chat(session: AsyncSession, chat_id: int) -> Household | None:
    return await HouseholdChatRepository(session).household_of_chat(chat_id)


async def is_member(session: AsyncSession, household: Household, user: User) -> bool:
    return await HouseholdRepository(session).is_member(user.id, household.id)


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup, and Telegram gave it a new id."""
    await HouseholdChatRepository(session).move_chat(old_chat_id, new_chat_id)


async def remember_username(session: AsyncSession, user: User, username: str | None) -> None:
    """Keep the sender's Telegram @name, so that `/settle @name` finds them."""
    username = username[:64] if username else None
    if user.telegram_username != username:
        await HouseholdChatRepository(session).set_telegram_username(user, username)


async def members(session: AsyncSession, household: Household) -> list[User]:
    return await HouseholdChatRepository(session).members(household.id)


async def member_named(session: AsyncSession, household: Household, name: str) -> User:
    """The member whose Telegram @name or finbot username is `name`.

    AmbiguousMember when two members answer to it (one by a Telegram @name, the
    other by a finbot username: anyone may pick a Telegram @name, so one must never
    win over another's finbot username silently); NotFound("member") when nobody
    answers to it; Invalid when someone does who is not a member of this household."""
    repository = HouseholdChatRepository(session)
    wanted = name.strip().removeprefix("@")
    if not wanted:
        raise NotFound("member")
    people = household_members_named(await repository.members(household.id), wanted)
    if len(people) > 1:
        raise AmbiguousMember(name, people)
    if people:
        return people[0]
    stranger = await repository.user_by_telegram_username(
        wanted
    ) or await repository.user_by_username(wanted)
    if stranger is None:
        raise NotFound("member")
    raise Invalid(f"{name} is not a member of this household", field="to")


def household_members_named(people: list[User], name: str) -> list[User]:
    """Members whose Telegram @name is `name`, then those whose finbot username is,
    each once."""
    lowered = name.lower()
    found = [p for p in people if (p.telegram_username or "").lower() == lowered] + [
        p for p in people if p.username.lower() == lowered
    ]
    return list({person.id: person for person in found}.values())


async def claim_posts(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[HouseholdChatPost, int]]:
    """Group posts due, with their group's chat id, leased to this sender."""
    return await HouseholdChatRepository(session).claim_posts(now, now + POST_LEASE, limit)


async def record_post_deliveries(
    session: AsyncSession, delivered: list[int], retries: dict[int, datetime]
) -> None:
    """Mark these delivered (now), and put those back for another try at their time."""
    repository = HouseholdChatRepository(session)
    await repository.mark_delivered(delivered, utcnow())
    for post_id, at in retries.items():
        await repository.retry_at(post_id, at)
