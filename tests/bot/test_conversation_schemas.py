"""Parsed entries become core's create schemas with only the fields those declare, so
currency and tags flow through once the schemas take them, and never break them before."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from bot.handlers.entries import _declared, to_schema
from core.expenses.schemas import ExpenseCreate
from core.incomes.schemas import IncomeCreate
from core.language.parsing import ParsedEntry

LUNCH = ParsedEntry(
    kind="expense",
    amount=Decimal("12.30"),
    category="lunch",
    date=date(2026, 3, 12),
    description="lunch with Ana",
    currency="USD",
    tags=("work",),
)


class WithCurrencyAndTags(BaseModel):
    amount: Decimal
    currency: str = "EUR"
    tags: list[str] = []


def test_fields_a_schema_declares_are_passed_and_others_left_out():
    made = _declared(WithCurrencyAndTags, amount=Decimal(1), currency="USD", tags=["work"], x=1)
    assert (made.currency, made.tags) == ("USD", ["work"])
    # An empty value leaves the schema's own default in place.
    assert _declared(WithCurrencyAndTags, amount=Decimal(1), currency=None).currency == "EUR"


def test_a_parsed_entry_becomes_the_create_schema_of_its_kind():
    expense = to_schema(LUNCH)
    assert isinstance(expense, ExpenseCreate)
    assert (expense.category, expense.amount, expense.date, expense.description) == (
        "lunch",
        Decimal("12.30"),
        date(2026, 3, 12),
        "lunch with Ana",
    )
    for name, value in (("currency", "USD"), ("tags", ["work"])):
        if name in ExpenseCreate.model_fields:  # after the currency and imports merges
            assert getattr(expense, name) == value
    income = to_schema(ParsedEntry("income", Decimal(2500), "salary", date(2026, 3, 1), "salary"))
    assert isinstance(income, IncomeCreate)
    assert (income.source, income.amount) == ("salary", Decimal(2500))
