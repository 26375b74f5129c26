"""Rules that file entries by their text: the same five routes, listed by position."""

from api.crud import owned_router
from core.rules.schemas import RuleCreate, RuleOut, RuleUpdate
from core.rules.service import rules

router = owned_router(
    prefix="/api/rules",
    tag="rules",
    service=rules,
    create_schema=RuleCreate,
    update_schema=RuleUpdate,
    out_schema=RuleOut,
)
