"""Routes whose dependencies are solved by a plan made once, when the route is built.

FastAPI solves a route's dependencies afresh on every request: for each one it works
out again how to call it, its cache key, and which parts of the request it reads (four
lookups each, most of them empty). On the entries' routes that was a fifth of a
request's CPU. A plan walks the same tree in the same order, validates with FastAPI's
own functions, enters generator dependencies on the same exit stacks and raises the
same errors; what it decides once is which of those steps each dependency needs.

A route whose tree holds what a plan does not know (a sync callable, a form, a
`Response`, `BackgroundTasks` or `SecurityScopes` parameter, OAuth scopes, a
concurrency limit), or whose endpoint is not declared to return a `Response`, keeps
FastAPI's own handler; so does every request made while dependency overrides are set.
"""

import inspect
import json
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, get_args

import fastapi.routing
from fastapi import params
from fastapi._body_limit import get_body_limit_error
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AliasChoices, BaseModel
from pydantic_core import PydanticUndefined
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_UNSET = PydanticUndefined  # no body (FastAPI's own marker for it)


@dataclass(frozen=True, slots=True)
class _Step:
    """One dependency, or the endpoint itself (the root): what it takes, decided once."""

    call: Any
    name: str | None
    enter: Callable[..., AbstractAsyncContextManager[Any]] | None  # a generator's context
    stack: str  # the scope key of the exit stack its context joins
    key: tuple[Any, str]
    use_cache: bool
    subs: tuple["_Step", ...]
    # (the request's part, its fields); a query field that may go by its default when
    # absent comes with the keys that could carry it and that default.
    params: tuple[tuple[str, list[Any]], ...]
    absent: dict[str, tuple[frozenset[str], Any]]
    body: list[Any]
    request_name: str | None


class _Unplannable(Exception):
    """The tree holds something only FastAPI's own handler knows how to solve."""


def _step(dependant: Dependant) -> _Step:
    call = dependant.call
    unsupported = (
        dependant.websocket_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
        dependant.own_oauth_scopes,
        getattr(dependant, "concurrency", None),
    )
    if call is None or any(unsupported):
        raise _Unplannable(f"{call!r} needs FastAPI's own solving")
    generator = inspect.isasyncgenfunction(call)
    target = call if inspect.isroutine(call) else getattr(call, "__call__", None)  # noqa: B004
    if not generator and not inspect.iscoroutinefunction(target):
        raise _Unplannable(f"{call!r} is neither a coroutine function nor an async generator")
    for field in dependant.body_params:
        if isinstance(field.field_info, params.Form):
            raise _Unplannable("forms are read by FastAPI's own handler")
    scope = dependant.scope or ""
    parts = (
        ("path", dependant.path_params),
        ("query", dependant.query_params),
        ("header", dependant.header_params),
        ("cookie", dependant.cookie_params),
    )
    return _Step(
        call=call,
        name=dependant.name,
        enter=asynccontextmanager(call) if generator else None,
        stack="fastapi_function_astack" if scope == "function" else "fastapi_inner_astack",
        key=(call, scope),
        use_cache=dependant.use_cache,
        subs=tuple(_step(sub) for sub in dependant.dependencies),
        params=tuple((part, fields) for part, fields in parts if fields),
        absent=dict(filter(None, (_plain_default(field) for field in dependant.query_params))),
        body=list(dependant.body_params),
        request_name=dependant.request_param_name or dependant.http_connection_param_name,
    )


_PLAIN = (type(None), bool, int, float, str)


def _holds_model(annotation: Any) -> bool:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(inner) for inner in get_args(annotation))


def _plain_default(field: Any) -> tuple[str, tuple[frozenset[str], Any]] | None:
    """A query field that, absent, FastAPI's solving sets to its default as it is (a
    copy of an immutable value, not validated): its name, every key that could carry
    it, and that default. None where the solving must run (a model of params, a
    required field, a default to validate or copy)."""
    info = field.field_info
    choices = info.validation_alias
    keys = {field.name, field.alias, info.alias}
    if isinstance(choices, AliasChoices) and all(isinstance(c, str) for c in choices.choices):
        keys.update(choices.choices)
    elif isinstance(choices, str):
        keys.add(choices)
    elif choices is not None:
        return None
    if (
        info.is_required()
        or info.validate_default
        or type(field.default) not in _PLAIN
        or _holds_model(info.annotation)
    ):
        return None
    return field.name, (frozenset(k for k in keys if isinstance(k, str)), field.default)


def _received(request: Request, part: str) -> Any:
    if part == "query":
        return request.query_params
    if part == "path":
        return request.path_params
    if part == "header":
        return request.headers
    return request.cookies


class _Plan:
    def __init__(self, root: _Step, embed_body_fields: bool, strict_content_type: bool) -> None:
        self.root = root
        self.takes_body = _has_body(root)
        self.embed_body_fields = embed_body_fields
        self.strict_content_type = strict_content_type

    async def solve(
        self, step: _Step, request: Request, body: Any, cache: dict[Any, Any]
    ) -> tuple[dict[str, Any], list[Any]]:
        """FastAPI's solve_dependencies, step for step, for a tree planned by _step."""
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for sub in step.subs:
            sub_values, sub_errors = await self.solve(sub, request, body, cache)
            if sub_errors:
                errors.extend(sub_errors)
                continue
            if sub.use_cache and sub.key in cache:
                solved = cache[sub.key]
            elif sub.enter is not None:
                stack: AsyncExitStack = request.scope[sub.stack]
                solved = await stack.enter_async_context(sub.enter(**sub_values))
            else:
                solved = await sub.call(**sub_values)
            if sub.name is not None:
                values[sub.name] = solved
            cache.setdefault(sub.key, solved)
        for part, fields in step.params:
            received = _received(request, part)
            if part == "query" and step.absent:
                # Field by field, in order: FastAPI's solving costs tens of microseconds
                # a field, and most of a list's filters are not given.
                for field in fields:
                    keys, default = step.absent.get(field.name, (None, None))
                    if keys is not None and keys.isdisjoint(received):
                        values[field.name] = default
                        continue
                    found, wrong = request_params_to_args([field], received)
                    values.update(found)
                    errors += wrong
                continue
            found, wrong = request_params_to_args(fields, received)
            values.update(found)
            errors += wrong
        if step.body:
            found, wrong = await request_body_to_args(
                body_fields=step.body,
                received_body=body,
                embed_body_fields=self.embed_body_fields,
            )
            values.update(found)
            errors += wrong
        if step.request_name is not None:
            values[step.request_name] = request
        return values, errors

    async def read_body(self, request: Request) -> Any:
        """The body as FastAPI's handler reads it: JSON when the content type says so."""
        try:
            received = await request.body()
            if not received:
                return _UNSET
            content_type = request.headers.get("content-type")
            if not content_type:
                return received if self.strict_content_type else await request.json()
            main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
            if main == "application" and (sub == "json" or sub.endswith("+json")):
                return await request.json()
            return received
        except json.JSONDecodeError as error:
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", error.pos),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": error.msg},
                    }
                ],
                body=error.doc,
            ) from error
        except HTTPException:
            raise
        except Exception as error:
            limit_error = _body_limit_error(request, error)
            if limit_error is not None:
                raise limit_error from error
            raise HTTPException(400, "There was an error parsing the body") from error


def _has_body(step: _Step) -> bool:
    return bool(step.body) or any(_has_body(sub) for sub in step.subs)


def _body_limit_error(request: Request, error: Exception) -> Exception | None:
    return get_body_limit_error(error) if MAX_BODY_SIZE_SCOPE_KEY in request.scope else None


def _returns_response(call: Any) -> bool:
    returned = inspect.signature(call).return_annotation
    return inspect.isclass(returned) and issubclass(returned, Response)


class PlannedRoute(APIRoute):
    """An APIRoute solved by a plan (see the module's docstring); FastAPI's own handler
    where the plan cannot go."""

    def get_route_handler(self) -> Handler:
        fallback = super().get_route_handler()
        # After include_router FastAPI builds the handler from the route as included
        # (the including router's dependencies added); it says which in a context variable.
        included = getattr(fastapi.routing, "_effective_route_context_var", None)
        effective = included.get() if included is not None else None
        route: Any = effective if getattr(effective, "original_route", None) is self else self
        try:
            if not _returns_response(route.dependant.call):
                raise _Unplannable("the endpoint may return what FastAPI must serialise")
            root = _step(route.dependant)
        except _Unplannable:
            return fallback
        strict = route.strict_content_type
        plan = _Plan(
            root,
            route._embed_body_fields,
            strict.value if isinstance(strict, fastapi.routing.DefaultPlaceholder) else strict,
        )
        overrides = route.dependency_overrides_provider
        endpoint = root.call

        async def handle(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await fallback(request)
            body = await plan.read_body(request) if plan.takes_body else _UNSET
            values, errors = await plan.solve(root, request, body, {})
            if errors:
                raise RequestValidationError(errors, body=None if body is _UNSET else body)
            response: Response = await endpoint(**values)
            return response

        return handle
