"""Every error becomes a clear JSON answer; no traceback ever reaches a client."""

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.openapi import install_openapi
from core.exceptions import (
    BadGateway,
    BadRequest,
    Conflict,
    FinbotError,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    PaymentRequired,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
)

log = logging.getLogger("finbot.api")

STATUS_BY_ERROR: list[tuple[type[FinbotError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 422),
    (Unauthorized, 401),
    (RateLimited, 429),
    (ServiceUnavailable, 503),
    (BadRequest, 400),
    (PayloadTooLarge, 413),
    (Forbidden, 403),
    (PaymentRequired, 402),
    (BadGateway, 502),
]


def _status_for(error: FinbotError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


def _field_errors(errors: list[Any]) -> list[dict[str, Any]]:
    # Never echo the input back: it may be a password or ten megabytes.
    cleaned = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] == "body":
            location = location[1:]
        cleaned.append(
            {
                "field": ".".join(location) or None,
                "loc": list(error.get("loc", ())),
                "msg": str(error.get("msg", "invalid")),
                "type": str(error.get("type", "value_error")),
            }
        )
    return cleaned


def validation_answer(errors: list[Any]) -> JSONResponse:
    details = _field_errors(errors)
    fields = ", ".join(d["field"] for d in details if d["field"]) or "request"
    first = details[0]["msg"] if details else "invalid input"
    return JSONResponse(
        status_code=422, content={"detail": details, "message": f"invalid {fields}: {first}"}
    )


def error_answer(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message}, headers=headers)


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _path_patterns(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each documented path as a pattern, with the methods it answers."""
    cached: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "allow_patterns", None
    )
    if cached is None:
        cached = []
        for path, operations in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
            methods = frozenset(m.upper() for m in operations if m in _HTTP_METHODS)
            cached.append((re.compile(pattern), methods))
        app.state.allow_patterns = cached
    return cached


def allow_header(app: FastAPI, path: str, given: str) -> str:
    """Every method the path answers: Starlette names only those of the first route
    it tried, and one path is often several routes (GET, PUT, DELETE of an object)."""
    methods = {m.strip().upper() for m in given.split(",") if m.strip()}
    patterns = _path_patterns(app)
    # A literal path wins over templates that also match it (/payments/webhook/ is
    # not /payments/{payment_id}/), as in the router.
    literal = [answered for pattern, answered in patterns if pattern.pattern == re.escape(path)]
    for answered in literal or [a for pattern, a in patterns if pattern.fullmatch(path)]:
        methods |= answered
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    # The answers these handlers give are documented on every route they can reach.
    install_openapi(app)

    @app.exception_handler(FinbotError)
    async def _finbot_error(_: Request, error: FinbotError) -> JSONResponse:
        status = _status_for(error)
        headers: dict[str, str] = {}
        if isinstance(error, Unauthorized) and status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after)
        if isinstance(error, Invalid) and error.field:
            return validation_answer([{"loc": ("body", error.field), "msg": error.message}])
        return error_answer(status, error.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        if any(e.get("loc", ("",))[0] == "path" for e in errors):
            # `/api/households/None/…` or `/api/expenses/0/` names nothing there is: a
            # 404, as for an id that does not exist, not a complaint about the request.
            return error_answer(404, "Not Found")  # the words of a path with no route
        return validation_answer(errors)

    @app.exception_handler(ValidationError)
    async def _model_invalid(_: Request, error: ValidationError) -> JSONResponse:
        return validation_answer(list(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = allow_header(app, request.url.path, headers.get("Allow", ""))
        return error_answer(error.status_code, str(error.detail), headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OSError)
    @app.exception_handler(TimeoutError)
    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
        return error_answer(503, "database unavailable", {"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, error: DBAPIError) -> JSONResponse:
        if error.connection_invalidated:
            return error_answer(503, "database unavailable", {"Retry-After": "5"})
        log.exception("database error on %s %s", request.method, request.url.path)
        return error_answer(500, "internal error")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_answer(500, "internal error")
