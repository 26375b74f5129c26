"""Households and their members: the only place that asks who belongs where.

Every query that shows a household's things takes the viewer's id and checks
membership in the same statement, the way the personal repositories check
`user_id`, so no route can forget it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import insert_for, is_member
from core.models import Household, HouseholdChatPost, HouseholdInvite, HouseholdMember, User
from core.models.base import utcnow


class HouseholdRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, name: str, currency: str, owner_id: int) -> Household:
        household = Household(name=name, currency=currency, created_at=utcnow())
        self.session.add(household)
        await self.session.flush()
        await self.add_member(household.id, owner_id, "owner")
        return household

    async def add_member(self, household_id: int, user_id: int, role: str = "member") -> None:
        self.session.add(
            HouseholdMember(
                household_id=household_id, user_id=user_id, role=role, joined_at=utcnow()
            )
        )
        await self.session.flush()

    async def get(self, household_id: int) -> Household | None:
        return await self.session.get(Household, household_id)

    async def currencies(self, household_ids: set[int]) -> dict[int, str]:
        query = select(Household.id, Household.currency).where(Household.id.in_(household_ids))
        return {
            household_id: currency for household_id, currency in await self.session.execute(query)
        }

    async def get_for_member(self, user_id: int, household_id: int) -> Household | None:
        query = select(Household).where(
            Household.id == household_id, is_member(user_id, Household.id)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def is_member(self, user_id: int, household_id: int) -> bool:
        query = select(is_member(user_id, household_id))
        return bool((await self.session.execute(query)).scalar_one())

    async def member_ids(self, household_id: int) -> list[int]:
        query = (
            select(HouseholdMember.user_id)
            .where(HouseholdMember.household_id == household_id)
            .order_by(HouseholdMember.joined_at, HouseholdMember.user_id)
        )
        return list((await self.session.execute(query)).scalars())

    async def households_of(self, user_id: int) -> list[Household]:
        query = (
            select(Household)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.user_id == user_id)
            .order_by(Household.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def members(self, household_ids: list[int]) -> list[Any]:
        """(household_id, user_id, username, role, joined_at), longest-standing first."""
        if not household_ids:
            return []
        query = (
            select(
                HouseholdMember.household_id,
                HouseholdMember.user_id,
                User.username,
                HouseholdMember.role,
                HouseholdMember.joined_at,
            )
            .join(User, User.id == HouseholdMember.user_id)
            .where(HouseholdMember.household_id.in_(household_ids))
            .order_by(HouseholdMember.joined_at, HouseholdMember.user_id)
        )
        return list((await self.session.execute(query)).all())

    async def usernames(self, user_ids: list[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        query = select(User.id, User.username).where(User.id.in_(user_ids))
        return {user_id: name for user_id, name in (await self.session.execute(query)).all()}

    async def membership(
        self, household_id: int, user_id: int, lock: bool = False
    ) -> HouseholdMember | None:
        query = select(HouseholdMember).where(
            HouseholdMember.household_id == household_id, HouseholdMember.user_id == user_id
        )
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def memberships(self, household_id: int, lock: bool = False) -> list[HouseholdMember]:
        """Every member row, longest-standing first (who inherits ownership)."""
        query = (
            select(HouseholdMember)
            .where(HouseholdMember.household_id == household_id)
            .order_by(HouseholdMember.joined_at, HouseholdMember.user_id)
        )
        if lock:
            query = query.with_for_update()
        return list((await self.session.execute(query)).scalars())

    async def remove_member(self, household_id: int, user_id: int) -> None:
        await self.session.execute(
            delete(HouseholdMember).where(
                HouseholdMember.household_id == household_id, HouseholdMember.user_id == user_id
            )
        )

    async def delete(self, household: Household) -> None:
        await self.session.delete(household)
        await self.session.flush()

    async def add_invite(
        self, household_id: int, code_hash: str, created_by: int, expires_at: datetime
    ) -> HouseholdInvite:
        invite = HouseholdInvite(
            code_hash=code_hash,
            household_id=household_id,
            created_by=created_by,
            expires_at=expires_at,
        )
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def invite(self, code_hash: str, lock: bool = False) -> HouseholdInvite | None:
        query = select(HouseholdInvite).where(HouseholdInvite.code_hash == code_hash)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def delete_unused_invites(self, household_id: int, created_by: int | None = None) -> int:
        """Delete the household's invites nobody used (only those `created_by` made, if
        given); how many."""
        statement = delete(HouseholdInvite).where(
            HouseholdInvite.household_id == household_id, HouseholdInvite.used_at.is_(None)
        )
        if created_by is not None:
            statement = statement.where(HouseholdInvite.created_by == created_by)
        result = await self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def count_members(self, household_id: int) -> int:
        query = select(func.count()).where(HouseholdMember.household_id == household_id)
        return int((await self.session.execute(query)).scalar_one())

    async def use_invite(self, code_hash: str, user_id: int, now: datetime) -> int | None:
        """Take the invite for this user, in one statement so two people racing for one
        code cannot both have it; the household's id, or None when it was not usable."""
        statement = (
            update(HouseholdInvite)
            .where(
                HouseholdInvite.code_hash == code_hash,
                HouseholdInvite.used_by.is_(None),
                HouseholdInvite.used_at.is_(None),
                HouseholdInvite.expires_at > now,
            )
            .values(used_by=user_id, used_at=now)
            .returning(HouseholdInvite.household_id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def member_ids_of(self, household_ids: list[int]) -> dict[int, list[int]]:
        """Each household's members' user ids."""
        if not household_ids:
            return {}
        query = select(HouseholdMember.household_id, HouseholdMember.user_id).where(
            HouseholdMember.household_id.in_(household_ids)
        )
        found: dict[int, list[int]] = {household_id: [] for household_id in household_ids}
        for household_id, user_id in (await self.session.execute(query)).all():
            found[household_id].append(user_id)
        return found

    async def add_chat_posts_once(self, posts: list[dict[str, Any]]) -> None:
        """Many posts (household_id, kind, message, dedupe_key), skipping those that exist."""
        if not posts:
            return
        now = utcnow()
        statement = insert_for(self.session)(HouseholdChatPost).on_conflict_do_nothing(
            index_elements=["household_id", "dedupe_key"]
        )
        await self.session.execute(statement, [{**post, "created_at": now} for post in posts])

    async def add_chat_post_once(
        self, household_id: int, kind: str, message: str, dedupe_key: str
    ) -> bool:
        """A message for the household's group, once per (household, key); whether it is new."""
        statement = (
            insert_for(self.session)(HouseholdChatPost)
            .values(
                household_id=household_id,
                kind=kind,
                message=message,
                dedupe_key=dedupe_key,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["household_id", "dedupe_key"])
            .returning(HouseholdChatPost.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None
