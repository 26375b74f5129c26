"""What every user-owned resource shares: the repository and service of its five routes."""

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import ColumnElement, exists, func, insert, over, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.exceptions import NotFound
from core.models import Base, HouseholdMember, User

ModelT = TypeVar("ModelT", bound=Base)
CreateT = TypeVar("CreateT", bound=BaseModel)


def is_member(user_id: Any, household_id: Any) -> ColumnElement[bool]:
    """SQL: the user belongs to the household. Every query showing a household's things
    carries it, as personal ones carry `user_id`, so no caller can forget the check."""
    return exists().where(
        HouseholdMember.household_id == household_id, HouseholdMember.user_id == user_id
    )


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    """One page of a list and the total it was cut from (X-Total-Count)."""

    items: list[ModelT]
    total: int


@dataclass(frozen=True)
class Paging:
    limit: int = 100
    offset: int = 0


class OwnedRepository(Generic[ModelT]):
    """Queries on a table whose rows belong to one user (a `user_id` column)."""

    model: ClassVar[type[Any]]
    # Newest first; the primary key breaks ties in creation order.
    newest_first: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int, object_id: int | str) -> ModelT | None:
        query = select(self.model).where(self.model.user_id == user_id, self.model.id == object_id)
        obj: ModelT | None = (await self.session.execute(query)).scalar_one_or_none()
        return obj

    def conditions(self, filters: Any) -> list[ColumnElement[bool]]:
        """The WHERE terms for a resource's list filters; none by default."""
        return []

    async def list_page(self, user_id: int, paging: Paging, filters: Any = None) -> Page[ModelT]:
        return await self._page([self.model.user_id == user_id], paging, filters)

    def shared(self, viewer_id: int, household_id: int) -> list[ColumnElement[bool]]:
        """The household's shared rows, and only while the viewer is one of its members."""
        return [self.model.household_id == household_id, is_member(viewer_id, household_id)]

    async def shared_page(
        self, viewer_id: int, household_id: int, paging: Paging, filters: Any = None
    ) -> Page[ModelT]:
        return await self._page(self.shared(viewer_id, household_id), paging, filters)

    async def _page(
        self, scope: list[ColumnElement[bool]], paging: Paging, filters: Any
    ) -> Page[ModelT]:
        conditions = [*scope, *(self.conditions(filters) if filters is not None else [])]
        order = [getattr(self.model, column).desc() for column in self.newest_first]
        # The window count gives the total in the same round trip as the page.
        query = (
            select(self.model, over(func.count()).label("total"))
            .where(*conditions)
            .order_by(*order)
            .limit(paging.limit)
            .offset(paging.offset)
        )
        rows = (await self.session.execute(query)).all()
        if rows:
            return Page(items=[row[0] for row in rows], total=rows[0].total)
        total = await self.count_where(conditions) if paging.offset else 0
        return Page(items=[], total=total)

    async def count(self, user_id: int, conditions: list[ColumnElement[bool]]) -> int:
        return await self.count_where([self.model.user_id == user_id, *conditions])

    async def count_where(self, conditions: list[ColumnElement[bool]]) -> int:
        query = select(func.count()).select_from(self.model).where(*conditions)
        return int((await self.session.execute(query)).scalar_one())

    async def add(self, obj: ModelT) -> ModelT:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def flush(self) -> None:
        await self.session.flush()

    async def in_household(self, user_id: int, household_id: int) -> bool:
        """Whether the user is a member of the household now."""
        return bool((await self.session.execute(select(is_member(user_id, household_id)))).scalar())

    async def remove(self, obj: ModelT) -> None:
        await self.session.delete(obj)


async def owned(
    repository: OwnedRepository[ModelT], user: User, object_id: int | str, name: str
) -> ModelT:
    """The user's object, or NotFound: another user's object is simply not there."""
    obj = await repository.get(user.id, object_id)
    if obj is None:
        raise NotFound(name)
    return obj


@dataclass(frozen=True)
class DateFilters:
    date_from: date | None = None
    date_to: date | None = None


class DatedRepository(OwnedRepository[ModelT]):
    """Rows with a `date`: newest date first, filtered by an inclusive date range."""

    newest_first = ("date", "id")

    def conditions(self, filters: DateFilters) -> list[ColumnElement[bool]]:
        terms: list[ColumnElement[bool]] = []
        if filters.date_from is not None:
            terms.append(self.model.date >= filters.date_from)
        if filters.date_to is not None:
            terms.append(self.model.date <= filters.date_to)
        return terms


class OwnedService(Generic[ModelT, CreateT]):
    """Create, read, replace, patch and delete a user's objects; never commits."""

    name: ClassVar[str]
    repository_class: ClassVar[type[OwnedRepository[Any]]]
    create_schema: ClassVar[type[BaseModel]]
    out_schema: ClassVar[type[BaseModel]]
    # Fields whose null is a value, not "left out" (an entry taken out of its household):
    # a replace or patch stores their None.
    clearable: ClassVar[tuple[str, ...]] = ()

    async def present(
        self, session: AsyncSession, user: User, objects: list[ModelT]
    ) -> list[BaseModel]:
        """The answer bodies for these objects (budgets add what they computed)."""
        return [self.out_schema.model_validate(obj) for obj in objects]

    async def present_json(self, session: AsyncSession, user: User, objects: list[ModelT]) -> bytes:
        """A list answer's JSON body, serialised once."""
        return self.list_json.dump_json(await self.present(session, user, objects))

    @cached_property
    def list_json(self) -> TypeAdapter[list[Any]]:
        return TypeAdapter(list[self.out_schema])  # type: ignore[name-defined]

    async def present_new(self, session: AsyncSession, user: User, obj: ModelT) -> BaseModel:
        """The answer for an object just created (nothing can refer to it yet)."""
        return (await self.present(session, user, [obj]))[0]

    def repository(self, session: AsyncSession) -> OwnedRepository[ModelT]:
        return self.repository_class(session)

    async def get(self, session: AsyncSession, user: User, object_id: int) -> ModelT:
        return await owned(self.repository(session), user, object_id, self.name)

    async def list_page(
        self,
        session: AsyncSession,
        user: User,
        paging: Paging,
        filters: Any = None,
    ) -> Page[ModelT]:
        return await self.repository(session).list_page(user.id, paging, filters)

    async def shared_page(
        self,
        session: AsyncSession,
        user: User,
        household_id: int,
        paging: Paging,
        filters: Any = None,
    ) -> Page[ModelT]:
        """A page of a household's shared objects (empty unless the user is a member)."""
        return await self.repository(session).shared_page(user.id, household_id, paging, filters)

    def defaults(self, user: User) -> dict[str, Any]:
        """Values filled in for fields a create or replace leaves out."""
        return {}

    async def create(self, session: AsyncSession, user: User, data: CreateT) -> ModelT:
        values = {**self.defaults(user), **data.model_dump(exclude_none=True)}
        obj = self.repository_class.model(user_id=user.id, **values)
        await self.repository(session).add(obj)
        await self.after_change(session, user, obj)
        return obj

    async def changeable(self, session: AsyncSession, user: User, object_id: int) -> ModelT:
        """The user's object for a change or a delete. A shared one (its stored
        `household_id` set) only while the user is still a member of that household:
        who left or was removed can no longer touch what the others count (NotFound)."""
        obj = await self.get(session, user, object_id)
        household_id = getattr(obj, "household_id", None)
        if household_id is not None and not await self.repository(session).in_household(
            user.id, household_id
        ):
            raise NotFound(self.name)
        return obj

    async def replace(
        self, session: AsyncSession, user: User, object_id: int, data: CreateT
    ) -> ModelT:
        obj = await self.changeable(session, user, object_id)
        return await self._apply(session, user, obj, self._values(user, data))

    async def update(
        self, session: AsyncSession, user: User, object_id: int, changes: BaseModel
    ) -> ModelT:
        """PATCH: the changes merged over the stored object, then validated whole."""
        obj = await self.changeable(session, user, object_id)
        # Fields kept outside the row (an entry's tags) are not merged from it.
        current = {
            name: getattr(obj, name)
            for name in self.create_schema.model_fields
            if hasattr(obj, name)
        }
        merged = self.create_schema.model_validate(
            {**current, **changes.model_dump(exclude_unset=True)}
        )
        return await self._apply(session, user, obj, self._values(user, merged, defaults=False))

    def _values(self, user: User, data: BaseModel, defaults: bool = True) -> dict[str, Any]:
        """A replace's or patch's values: defaults for what is left out, and the
        clearable fields as given, None included."""
        values = {**(self.defaults(user) if defaults else {}), **data.model_dump(exclude_none=True)}
        values.update({name: getattr(data, name) for name in self.clearable})
        return values

    async def _apply(
        self, session: AsyncSession, user: User, obj: ModelT, values: dict[str, Any]
    ) -> ModelT:
        for name, value in values.items():
            setattr(obj, name, value)
        await self.repository(session).flush()
        await self.after_change(session, user, obj)
        return obj

    async def delete(self, session: AsyncSession, user: User, object_id: int) -> None:
        obj = await self.changeable(session, user, object_id)
        await self.repository(session).remove(obj)

    async def after_change(self, session: AsyncSession, user: User, obj: ModelT) -> None:
        """Hook for rules that follow a write (budget alerts follow expenses)."""


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (PostgreSQL and SQLite)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def insert_many_ids(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], match: tuple[str, ...]
) -> list[int]:
    """Insert rows with one multi-row statement per thousand; their ids in the order given.

    A multi-row INSERT's RETURNING has no guaranteed order (and SQLAlchemy's ordered mode
    falls back to a statement per row on SQLite), so ids are matched back by the `match`
    columns; rows equal in all of those are interchangeable, so any pairing of them is right.
    """
    statement = insert(table).returning(table.c.id, *(table.c[name] for name in match))
    ids: list[int] = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        waiting: dict[tuple[Any, ...], list[int]] = {}
        for row in (await session.execute(statement, chunk)).all():
            waiting.setdefault(tuple(row[1:]), []).append(row[0])
        ids.extend(waiting[tuple(row[name] for name in match)].pop() for row in chunk)
    return ids
