"""Recurring entries: the five routes."""

from api.crud import owned_router
from core.recurring.schemas import RecurringCreate, RecurringOut, RecurringUpdate
from core.recurring.service import recurring

router = owned_router(
    prefix="/api/recurring",
    tag="recurring",
    service=recurring,
    create_schema=RecurringCreate,
    update_schema=RecurringUpdate,
    out_schema=RecurringOut,
)
