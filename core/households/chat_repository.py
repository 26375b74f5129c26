"""Queries for a household's Telegram group: the bound chat, its members by Telegram
name, and the group posts waiting for delivery."""

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Household, HouseholdChatPost, HouseholdMember, User


class HouseholdChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def household_of_chat(self, chat_id: int) -> Household | None:
        query = select(Household).where(Household.chat_id == chat_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def unbound_households(self, user_id: int) -> list[tuple[Household, str]]:
        """The user's households that have no group yet, with their role: owned ones
        first, then the most recently joined."""
        query = (
            select(Household, HouseholdMember.role)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.user_id == user_id, Household.chat_id.is_(None))
            .order_by(
                (HouseholdMember.role == "owner").desc(),
                HouseholdMember.joined_at.desc(),
                Household.id.desc(),
            )
        )
        return [(household, role) for household, role in (await self.session.execute(query))]

    async def unbind(self, household: Household) -> None:
        household.chat_id = None
        await self.session.flush()

    async def owner(self, household_id: int) -> User | None:
        query = (
            select(User)
            .join(HouseholdMember, HouseholdMember.user_id == User.id)
            .where(HouseholdMember.household_id == household_id, HouseholdMember.role == "owner")
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def bind(self, household: Household, chat_id: int, at: datetime) -> None:
        household.chat_id = chat_id
        # Posts made while the household had no group were for no one: they stay in
        # every member's notifications, and do not flood the group now.
        await self.session.execute(
            update(HouseholdChatPost)
            .where(
                HouseholdChatPost.household_id == household.id,
                HouseholdChatPost.delivered_at.is_(None),
            )
            .values(delivered_at=at)
        )
        await self.session.flush()

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self.session.execute(
            update(Household).where(Household.chat_id == old_chat_id).values(chat_id=new_chat_id)
        )

    async def members(self, household_id: int) -> list[User]:
        query = (
            select(User)
            .join(HouseholdMember, HouseholdMember.user_id == User.id)
            .where(HouseholdMember.household_id == household_id)
            .order_by(User.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def user_by_telegram_username(self, username: str) -> User | None:
        query = select(User).where(func.lower(User.telegram_username) == username.lower())
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()

    async def user_by_username(self, username: str) -> User | None:
        query = select(User).where(func.lower(User.username) == username.lower())
        return (await self.session.execute(query)).scalar_one_or_none()

    async def set_telegram_username(self, user: User, username: str | None) -> None:
        if username is not None:
            # A Telegram name belongs to one person at a time: whoever had it before
            # (it was given up, and taken) no longer answers to it.
            await self.session.execute(
                update(User)
                .where(func.lower(User.telegram_username) == username.lower(), User.id != user.id)
                .values(telegram_username=None)
            )
        user.telegram_username = username
        await self.session.flush()

    async def claim_posts(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[HouseholdChatPost, int]]:
        """Posts due for a bound group, leased to this sender until `lease_until`
        (as notifications are: the lease keeps other senders off them)."""
        due = (
            select(HouseholdChatPost.id)
            .join(Household, Household.id == HouseholdChatPost.household_id)
            .where(
                HouseholdChatPost.delivered_at.is_(None),
                Household.chat_id.is_not(None),
                or_(
                    HouseholdChatPost.next_delivery_at.is_(None),
                    HouseholdChatPost.next_delivery_at <= now,
                ),
            )
            .order_by(HouseholdChatPost.id)
            .limit(limit)
        )
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True, of=HouseholdChatPost)
        ids = list((await self.session.execute(due)).scalars())
        if not ids:
            return []
        await self.session.execute(
            update(HouseholdChatPost)
            .where(
                HouseholdChatPost.id.in_(ids),
                HouseholdChatPost.delivered_at.is_(None),
                or_(
                    HouseholdChatPost.next_delivery_at.is_(None),
                    HouseholdChatPost.next_delivery_at <= now,
                ),
            )
            .values(
                next_delivery_at=lease_until,
                delivery_attempts=HouseholdChatPost.delivery_attempts + 1,
            )
        )
        query = (
            select(HouseholdChatPost, Household.chat_id)
            .join(Household, Household.id == HouseholdChatPost.household_id)
            .where(HouseholdChatPost.id.in_(ids), HouseholdChatPost.next_delivery_at == lease_until)
            .order_by(HouseholdChatPost.id)
        )
        rows = (await self.session.execute(query)).all()
        return [(post, int(chat)) for post, chat in rows if chat is not None]

    async def mark_delivered(self, post_ids: list[int], at: datetime) -> None:
        if post_ids:
            await self.session.execute(
                update(HouseholdChatPost)
                .where(HouseholdChatPost.id.in_(post_ids))
                .values(delivered_at=at)
            )

    async def retry_at(self, post_id: int, at: datetime) -> None:
        await self.session.execute(
            update(HouseholdChatPost)
            .where(HouseholdChatPost.id == post_id)
            .values(next_delivery_at=at)
        )
