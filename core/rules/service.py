"""Which category an entry's text gets: the person's rules first (by position), then what
they filed the same merchant under before; the caller supplies the last resort."""

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedService
from core.exceptions import Invalid
from core.imports.merchant import merchant_key
from core.models import Rule, User
from core.rules.repository import LearningRepository, RuleRepository
from core.rules.schemas import RuleCreate, RuleOut

MERCHANT_MAX = 255
# Every imported row and chat entry is matched against each rule: at most this many.
MAX_RULES = 500


class RuleService(OwnedService[Rule, RuleCreate]):
    name = "rule"
    repository_class = RuleRepository
    create_schema = RuleCreate
    out_schema = RuleOut

    async def create(self, session: AsyncSession, user: User, data: RuleCreate) -> Rule:
        repository = RuleRepository(session)
        if await repository.count_held(user.id) >= MAX_RULES:
            raise Invalid(
                f"you have {MAX_RULES} rules, the most one person can hold: "
                "delete one to add another",
                field="rules",
            )
        values = data.model_dump(exclude_none=True)
        if "position" not in values:
            values["position"] = await repository.next_position(user.id)
        rule = Rule(user_id=user.id, **values)
        await repository.add(rule)
        return rule

    async def replace(
        self, session: AsyncSession, user: User, object_id: int, data: RuleCreate
    ) -> Rule:
        rule = await self.get(session, user, object_id)
        values: dict[str, Any] = data.model_dump()
        if values["position"] is None:
            values["position"] = rule.position  # PUT without a position keeps its place
        return await self._apply(session, user, rule, values)

    async def update(self, session: AsyncSession, user: User, object_id: int, changes: Any) -> Rule:
        rule = await self.get(session, user, object_id)
        # `kind: null` in a PATCH means "both kinds", so explicit nulls are kept for it.
        values = changes.model_dump(exclude_unset=True)
        if values.get("position") is None:
            values.pop("position", None)
        for field in ("contains", "category"):
            if field in values and values[field] is None:
                values.pop(field)
        return await self._apply(session, user, rule, values)


rules = RuleService()


@functools.lru_cache(maxsize=4096)  # statements repeat their merchants; the regexes cost
def merchant_of(description: str) -> str:
    """The key a merchant is learned under ("" when the text names none)."""
    return merchant_key(description)[:MERCHANT_MAX]


@dataclass(frozen=True)
class Categorizer:
    """A user's rules and learned merchants, loaded once for many entries."""

    rules: tuple[tuple[str, str, str | None], ...]  # (contains folded, category, kind)
    learned: dict[str, dict[str, str]]  # kind -> merchant -> category

    def category(self, description: str, kind: str) -> str | None:
        folded = description.casefold()
        for contains, category, rule_kind in self.rules:
            if (rule_kind is None or rule_kind == kind) and contains in folded:
                return category
        merchant = merchant_of(description)
        if merchant:
            return self.learned.get(kind, {}).get(merchant)
        return None


async def categorizer(
    session: AsyncSession,
    user_id: int,
    descriptions: list[str] | None = None,
    kinds: tuple[str, ...] = ("expense", "income"),
) -> Categorizer:
    """Rules and learning for `user_id`; only the merchants of `descriptions` and the
    learning of `kinds` when given."""
    terms = await RuleRepository(session).terms_in_order(user_id)
    merchants = None
    if descriptions is not None:
        merchants = sorted({m for d in descriptions if (m := merchant_of(d))})
    learning = LearningRepository(session)
    learned = {}
    for kind in kinds:
        learned[kind] = await _learned_in_chunks(learning, user_id, kind, merchants)
    return Categorizer(
        rules=tuple((contains.casefold(), category, kind) for contains, category, kind in terms),
        learned=learned,
    )


async def _learned_in_chunks(
    learning: LearningRepository, user_id: int, kind: str, merchants: list[str] | None
) -> dict[str, str]:
    if merchants is None:
        return await learning.learned(user_id, kind)
    found: dict[str, str] = {}
    # Bound the IN list: databases cap bound parameters per statement.
    for start in range(0, len(merchants), 500):
        found.update(await learning.learned(user_id, kind, merchants[start : start + 500]))
    return found


async def category_for(
    session: AsyncSession, user_id: int, description: str, kind: str
) -> str | None:
    """One entry's category from rules, then learning; None when neither knows it."""
    rules = await RuleRepository(session).terms_in_order(user_id)
    return await category_by(session, user_id, rules, True, description, kind)


async def category_by(
    session: AsyncSession,
    user_id: int,
    rules: list[tuple[str, str, str | None]],
    learns: bool,
    description: str,
    kind: str,
) -> str | None:
    """category_for with the rules read already (with the chat's other hints), and the
    learned merchant looked up only when no rule files it and the person has learned any."""
    folded = tuple((contains.casefold(), category, of) for contains, category, of in rules)
    by_rules = Categorizer(rules=folded, learned={}).category(description, kind)
    merchant = merchant_of(description)
    if by_rules is not None or not learns or not merchant:
        return by_rules
    return (await LearningRepository(session).learned(user_id, kind, [merchant])).get(merchant)


async def teach(
    session: AsyncSession, user_id: int, kind: str, description: str, category: str
) -> None:
    """The person filed this text under `category`: remember it for the same merchant."""
    merchant = merchant_of(description)
    if merchant:
        await LearningRepository(session).remember(user_id, kind, merchant, category)
