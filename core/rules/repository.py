from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedRepository, Page, Paging, insert_for
from core.db import QUICK_READ
from core.models import MerchantCategory, Rule
from core.models.base import utcnow
from core.recurring.repository import hold_owner

MAX_POSITION = 2**31 - 1  # an INTEGER column on PostgreSQL


_RULE_TERMS = (
    select(Rule.contains, Rule.category, Rule.kind)
    .where(Rule.user_id == bindparam("user_id"))
    .order_by(Rule.position, Rule.id)
    .execution_options(**QUICK_READ)
)


_LEARNED_ONE = (
    select(MerchantCategory.merchant, MerchantCategory.category)
    .where(
        MerchantCategory.user_id == bindparam("user_id"),
        MerchantCategory.kind == bindparam("kind"),
        MerchantCategory.merchant == bindparam("merchant"),
    )
    .execution_options(**QUICK_READ)  # one row by the unique key
)


class RuleRepository(OwnedRepository[Rule]):
    model = Rule

    async def count_held(self, user_id: int) -> int:
        """The user's rules, none added by others until this transaction ends."""
        await hold_owner(self.session, user_id, "rules")
        return await self.count(user_id, [])

    async def list_page(self, user_id: int, paging: Paging, filters: Any = None) -> Page[Rule]:
        # Rules are applied in position order, so they are listed in it too.
        query = (
            select(Rule)
            .where(Rule.user_id == user_id)
            .order_by(Rule.position, Rule.id)
            .limit(paging.limit)
            .offset(paging.offset)
        )
        items = list((await self.session.execute(query)).scalars())
        return Page(items=items, total=await self.count(user_id, []))

    async def terms_in_order(self, user_id: int) -> list[tuple[str, str, str | None]]:
        """(contains, category, kind) of the person's rules, in the order they apply."""
        # Core: every chat entry and import reads these, and the ORM's result machinery
        # costs more than the query. A person's rules, by an index: a few rows, quick
        # enough for the loop's thread.
        connection = await self.session.connection()
        rows = await connection.execute(_RULE_TERMS, {"user_id": user_id})
        return [(contains, category, kind) for contains, category, kind in rows]

    async def next_position(self, user_id: int) -> int:
        query = select(func.max(Rule.position)).where(Rule.user_id == user_id)
        last = (await self.session.execute(query)).scalar_one_or_none()
        # Past the column's largest value, ties keep creation order (position, then id).
        return 0 if last is None else min(int(last) + 1, MAX_POSITION)


class LearningRepository:
    """Categories the person filed merchants under: one row per (kind, merchant)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, user_id: int, kind: str, merchant: str, category: str) -> None:
        insert = insert_for(self.session)
        statement = insert(MerchantCategory).values(
            user_id=user_id, kind=kind, merchant=merchant, category=category, updated_at=utcnow()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "kind", "merchant"],
            set_={"category": category, "updated_at": statement.excluded.updated_at},
        )
        await self.session.execute(statement)

    async def learned(
        self, user_id: int, kind: str, merchants: list[str] | None = None
    ) -> dict[str, str]:
        if merchants is not None and len(merchants) <= 1:
            # One chat entry's merchant (or none): a statement built once, or no query.
            if not merchants:
                return {}
            connection = await self.session.connection()
            params = {"user_id": user_id, "kind": kind, "merchant": merchants[0]}
            return {m: c for m, c in await connection.execute(_LEARNED_ONE, params)}
        query = select(MerchantCategory.merchant, MerchantCategory.category).where(
            MerchantCategory.user_id == user_id, MerchantCategory.kind == kind
        )
        if merchants is not None:  # bounded index lookups (all of them could be many)
            query = query.where(MerchantCategory.merchant.in_(merchants)).execution_options(
                **QUICK_READ
            )
        connection = await self.session.connection()  # Core, as for the rules
        return {m: c for m, c in await connection.execute(query)}
