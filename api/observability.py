"""One log line and one metric sample per request, with a request id."""

import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import LATENCY, REQUESTS

log = logging.getLogger("finbot.access")


def _route_of(scope: Scope) -> str:
    # The route's template (/api/expenses/{object_id}/), never the raw path: bounded
    # label values, and no ids or tokens in metrics.
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


# The metrics' children by (method, route, status): prometheus-client finds one under a
# lock from its label values on every call; the set is bounded, as the labels are.
_SAMPLES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _samples(method: str, route: str, status: int) -> tuple[Any, Any]:
    found = _SAMPLES.get((method, route, status))
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        _SAMPLES[(method, route, status)] = found
    return found


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        status = 500
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - began
            route = _route_of(scope)
            method = scope.get("method", "")
            requests, latency = _samples(method, route, status)
            requests.inc()
            latency.observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                extra: dict[str, Any] = {
                    "request_id": request_id,
                    "method": method,
                    "path": scope.get("path", ""),  # the path only: query strings may hold tokens
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                }
                log.info(
                    "%s %s %s %s %.1fms",
                    request_id,
                    method,
                    extra["path"],
                    status,
                    extra["duration_ms"],
                    extra=extra,
                )
