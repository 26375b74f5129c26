import hmac
import os

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel

from api.deps import DatabaseDep
from core.config import Settings
from core.exceptions import ServiceUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "Prometheus text format", "content": {"text/plain": {}}},
        404: {"description": "Not a client on this host, or not the metrics token"},
    },
)
async def metrics(request: Request) -> PlainTextResponse:
    """With FINBOT_METRICS_TOKEN set, for `Authorization: Bearer <token>` only; unset,
    for clients on this host only (loopback: a Prometheus beside it, or an ssh tunnel)."""
    if not _may_read_metrics(request):
        # As if there were none: nothing tells a stranger what serves this port.
        raise HTTPException(status_code=404, detail="Not Found")
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several API processes: add them up
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz", response_model=Health, responses={503: {"description": "Database down"}})
async def readyz(database: DatabaseDep) -> Health:
    try:
        await database.ping()
    except Exception as error:  # any failure to answer means not ready
        raise ServiceUnavailable("database unavailable") from error
    return Health(status="ok")


LOOPBACK = frozenset({"127.0.0.1", "::1"})


def _may_read_metrics(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        # Behind a proxy on this host uvicorn puts its X-Forwarded-For here (proxy_headers).
        return request.client is not None and request.client.host in LOOPBACK
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)
