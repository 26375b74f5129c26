from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import DatabaseDep
from core.exceptions import ServiceUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"description": "Database down"}})
async def readyz(database: DatabaseDep) -> Health:
    try:
        await database.ping()
    except Exception as error:  # any failure to answer means not ready
        raise ServiceUnavailable("database unavailable") from error
    return Health(status="ok")
