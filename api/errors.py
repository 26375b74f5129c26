"""Every error becomes a clear JSON answer; no traceback ever reaches a client."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def install_error_handlers(app: FastAPI) -> None:
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
        return validation_answer(list(error.errors()))

    @app.exception_handler(ValidationError)
    async def _model_invalid(_: Request, error: ValidationError) -> JSONResponse:
        return validation_answer(list(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_answer(error.status_code, str(error.detail), dict(error.headers or {}))

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
