"""A planned route answers every request exactly as FastAPI's own handler does.

The same endpoints are mounted twice, once on FastAPI's APIRoute and once on
PlannedRoute, and each request below goes to both: same status, same body, same
order of side effects (a generator dependency closed before the answer leaves)."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from api.errors import install_error_handlers
from api.planned import PlannedRoute

bearer = HTTPBearer(auto_error=False)


class Span(BaseModel):
    """Query parameters as a model: its fields' keys, not its name, carry it."""

    first: int = Field(default=1, ge=1)
    last: int | None = None


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    amount: int = Field(ge=0)


def build(route_class: type[APIRoute], events: list[str]) -> APIRouter:
    router = APIRouter(prefix="/things", route_class=route_class)

    async def unit_of_work(request: Request) -> AsyncIterator[list[str]]:
        events.append("opened")
        try:
            yield events
        except HTTPException:
            events.append("rolled back")
            raise
        events.append("closed")

    Work = Annotated[list[str], Depends(unit_of_work, scope="function")]

    async def token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        if credentials is None:
            raise HTTPException(401, "missing bearer token")
        return credentials.credentials

    async def caller(work: Work, secret: Annotated[str, Depends(token)]) -> str:
        work.append(f"caller {secret}")
        return secret

    async def window(
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> tuple[int, int]:
        return limit, offset

    async def tag_filter(
        page: Annotated[tuple[int, int], Depends(window)],
        tag: Annotated[str | None, Query(max_length=5)] = None,
        since: Annotated[str | None, Query(alias="from", max_length=3)] = None,
        kinds: Annotated[list[str] | None, Query()] = None,
        sort: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    ) -> dict[str, object]:
        return {
            "limit": page[0],
            "offset": page[1],
            "tag": tag,
            "since": since,
            "kinds": kinds,
            "sort": sort,
        }

    @router.get("/")
    async def list_things(
        work: Work,
        who: Annotated[str, Depends(caller)],
        filters: Annotated[dict[str, object], Depends(tag_filter)],
    ) -> Response:
        work.append("listed")
        return JSONResponse({"who": who, **filters, "events": list(work)})

    @router.post("/", status_code=201)
    async def create_thing(
        work: Work, who: Annotated[str, Depends(caller)], item: Item
    ) -> Response:
        work.append("created")
        return JSONResponse({"who": who, **item.model_dump()}, status_code=201)

    @router.get("/spans/")
    async def spans(
        who: Annotated[str, Depends(caller)], span: Annotated[Span, Query()]
    ) -> Response:
        return JSONResponse({"who": who, **span.model_dump()})

    async def revision(rev: Annotated[int, Query(ge=0)]) -> int:  # required: no default
        return rev

    @router.get("/{thing_id}/")
    async def get_thing(
        work: Work,
        who: Annotated[str, Depends(caller)],
        thing_id: Annotated[int, Path(ge=1, le=1000)],
        rev: Annotated[int, Depends(revision)],
    ) -> Response:
        if thing_id == 404:
            raise HTTPException(404, "no such thing")
        return JSONResponse({"who": who, "id": thing_id, "rev": rev})

    return router


REQUESTS: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("GET", "/things/", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/?limit=5&offset=2&tag=ab", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/?limit=0&tag=toolongtag", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/?limit=x&offset=-1", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/?limit=0", {}, None),
    ("GET", "/things/?from=abc&kinds=a&kinds=b&sort=desc", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/?from=abcd&sort=up&kinds=", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/?since=abcd&tag=", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/spans/", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/spans/?first=3&last=9", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/spans/?first=0", {"Authorization": "Bearer t1"}, None),
    ("GET", "/things/", {"Authorization": "Basic abc"}, None),
    ("POST", "/things/", {"Authorization": "Bearer t2"}, b'{"name": "tea", "amount": 3}'),
    ("POST", "/things/", {"Authorization": "Bearer t2"}, b'{"name": "", "amount": -1}'),
    ("POST", "/things/", {"Authorization": "Bearer t2"}, b'{"name": "tea",'),
    ("POST", "/things/", {"Authorization": "Bearer t2"}, b""),
    ("POST", "/things/", {"Authorization": "Bearer t2"}, b"[1, 2]"),
    ("POST", "/things/", {"Authorization": "Bearer t2", "Content-Type": "text/plain"}, b"{}"),
    (
        "POST",
        "/things/",
        {"Authorization": "Bearer t2", "Content-Type": "application/merge-patch+json"},
        b'{"name": "tea", "amount": 1}',
    ),
    ("POST", "/things/", {}, b'{"name": "tea", "amount": 3}'),
    ("POST", "/things/", {"Authorization": "Bearer t2"}, b'{"name": "' + b"x" * 3000 + b'"}'),
    ("GET", "/things/7/?rev=2", {"Authorization": "Bearer t3"}, None),
    ("GET", "/things/7/", {"Authorization": "Bearer t3"}, None),
    ("GET", "/things/0/?rev=-1", {"Authorization": "Bearer t3"}, None),
    ("GET", "/things/abc/?rev=1", {"Authorization": "Bearer t3"}, None),
    ("GET", "/things/404/?rev=1", {"Authorization": "Bearer t3"}, None),
]


async def answer_of(
    route_class: type[APIRoute], method: str, path: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, bytes, list[str]]:
    events: list[str] = []
    app = FastAPI(max_body_size=2048)
    install_error_handlers(app)
    app.include_router(build(route_class, events))

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                events.append("answered")  # after "closed": the unit of work ended first
            await send(message)

        await app(scope, receive, sending)

    transport = httpx.ASGITransport(app=recording)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        if body is not None:
            headers = {"Content-Type": "application/json", **headers}
        answer = await client.request(method, path, headers=headers, content=body)
    return answer.status_code, answer.content, events


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
async def test_a_planned_route_answers_as_fastapi_does(
    method: str, path: str, headers: dict[str, str], body: bytes | None
) -> None:
    assert await answer_of(PlannedRoute, method, path, headers, body) == await answer_of(
        APIRoute, method, path, headers, body
    )


async def test_the_plan_is_the_handler_and_overrides_fall_back_to_fastapi() -> None:
    events: list[str] = []
    router = build(PlannedRoute, events)
    for route in router.routes:
        assert isinstance(route, PlannedRoute)
        assert route.get_route_handler().__qualname__.startswith("PlannedRoute.")

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[bearer] = lambda: HTTPAuthorizationCredentials(
        scheme="Bearer", credentials="overridden"
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/things/")
    assert answer.status_code == 200, answer.text
    assert answer.json()["who"] == "overridden"


def test_a_route_the_plan_cannot_solve_keeps_fastapis_handler() -> None:
    router = APIRouter(route_class=PlannedRoute)

    @router.get("/sync")
    def sync_endpoint() -> Response:  # a sync callable runs in FastAPI's thread pool
        return Response()

    @router.get("/model")
    async def returns_a_model() -> Item:  # FastAPI serialises what is not a Response
        return Item(name="a", amount=1)

    for route in router.routes:
        assert isinstance(route, PlannedRoute)
        assert not route.get_route_handler().__qualname__.startswith("PlannedRoute.")
