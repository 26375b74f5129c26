"""The five routes every user-owned resource has, written once.

Annotations here are real classes passed in by each resource, so this module
must not use `from __future__ import annotations`.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, TypeAdapter

from api.deps import CurrentUser, PagingDep, SessionDep
from api.planned import PlannedRoute
from core.crud import DateFilters, OwnedService
from core.periods import check_span
from core.schemas import IsoDate

# Bounded so that no id overflows a database integer column.
ObjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such object among yours"}}


def json_answer(body: bytes, status_code: int = 200, total: int | None = None) -> Response:
    """JSON serialised once, by pydantic (FastAPI would validate, make dicts, then encode)."""
    headers = None if total is None else {"X-Total-Count": str(total)}
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


async def no_filters() -> None:
    return None


async def date_filters(
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> DateFilters:
    check_span(date_from, date_to)
    return DateFilters(date_from=date_from, date_to=date_to)


def owned_router(
    *,
    prefix: str,
    tag: str,
    service: OwnedService[Any, Any],
    create_schema: type[BaseModel],
    update_schema: type[BaseModel],
    out_schema: type[BaseModel],
    filters: Callable[..., Any] = no_filters,
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[tag], route_class=PlannedRoute)
    noun = service.name
    # Built once here; response_model stays on each route for the OpenAPI document.
    one_json = TypeAdapter(out_schema)

    async def present_one(session: Any, user: Any, obj: Any) -> Response:
        return json_answer(one_json.dump_json((await service.present(session, user, [obj]))[0]))

    @router.get("/", response_model=list[out_schema], summary=f"List your {tag}")  # type: ignore[valid-type]
    async def list_objects(
        session: SessionDep,
        user: CurrentUser,
        page: PagingDep,
        list_filters: Annotated[Any, Depends(filters)],
    ) -> Response:
        result = await service.list_page(session, user, page, list_filters)
        body = await service.present_json(session, user, result.items)
        return json_answer(body, total=result.total)

    # 404: a referenced object (an entry's household) is not among the caller's.
    @router.post(
        "/",
        status_code=201,
        response_model=out_schema,
        responses=NOT_FOUND,
        summary=f"Create a {noun}",
    )
    async def create_object(
        session: SessionDep,
        user: CurrentUser,
        body: create_schema,  # type: ignore[valid-type]
    ) -> Response:
        obj = await service.create(session, user, body)
        return json_answer(one_json.dump_json(await service.present_new(session, user, obj)), 201)

    @router.get(
        "/{object_id}/", response_model=out_schema, responses=NOT_FOUND, summary=f"Get a {noun}"
    )
    async def get_object(session: SessionDep, user: CurrentUser, object_id: ObjectId) -> Response:
        return await present_one(session, user, await service.get(session, user, object_id))

    @router.put(
        "/{object_id}/", response_model=out_schema, responses=NOT_FOUND, summary=f"Replace a {noun}"
    )
    async def replace_object(
        session: SessionDep,
        user: CurrentUser,
        object_id: ObjectId,
        body: create_schema,  # type: ignore[valid-type]
    ) -> Response:
        obj = await service.replace(session, user, object_id, body)
        return await present_one(session, user, obj)

    @router.patch(
        "/{object_id}/", response_model=out_schema, responses=NOT_FOUND, summary=f"Change a {noun}"
    )
    async def update_object(
        session: SessionDep,
        user: CurrentUser,
        object_id: ObjectId,
        body: update_schema,  # type: ignore[valid-type]
    ) -> Response:
        obj = await service.update(session, user, object_id, body)
        return await present_one(session, user, obj)

    @router.delete(
        "/{object_id}/", status_code=204, responses=NOT_FOUND, summary=f"Delete a {noun}"
    )
    async def delete_object(
        session: SessionDep, user: CurrentUser, object_id: ObjectId
    ) -> Response:
        await service.delete(session, user, object_id)
        return Response(status_code=204)

    return router
