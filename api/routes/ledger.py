"""Expenses, incomes, budgets and goals: the same five routes each."""

from typing import Annotated

from fastapi import Depends, Query

from api.crud import date_filters, owned_router
from core.budgets.schemas import BudgetCreate, BudgetOut, BudgetUpdate
from core.budgets.service import budgets
from core.crud import DateFilters
from core.expenses.schemas import ExpenseCreate, ExpenseFilters, ExpenseOut, ExpenseUpdate
from core.expenses.service import expenses
from core.goals.schemas import GoalCreate, GoalOut, GoalUpdate
from core.goals.service import goals
from core.incomes.schemas import IncomeCreate, IncomeFilters, IncomeOut, IncomeUpdate
from core.incomes.service import incomes
from core.schemas import Name


async def expense_filters(
    dates: Annotated[DateFilters, Depends(date_filters)],
    category: Annotated[Name | None, Query()] = None,
    tag: Annotated[Name | None, Query()] = None,
) -> ExpenseFilters:
    return ExpenseFilters(
        date_from=dates.date_from, date_to=dates.date_to, category=category, tag=tag
    )


async def income_filters(
    dates: Annotated[DateFilters, Depends(date_filters)],
    tag: Annotated[Name | None, Query()] = None,
) -> IncomeFilters:
    return IncomeFilters(date_from=dates.date_from, date_to=dates.date_to, tag=tag)


expenses_router = owned_router(
    prefix="/api/expenses",
    tag="expenses",
    service=expenses,
    create_schema=ExpenseCreate,
    update_schema=ExpenseUpdate,
    out_schema=ExpenseOut,
    filters=expense_filters,
)
incomes_router = owned_router(
    prefix="/api/incomes",
    tag="incomes",
    service=incomes,
    create_schema=IncomeCreate,
    update_schema=IncomeUpdate,
    out_schema=IncomeOut,
    filters=income_filters,
)
budgets_router = owned_router(
    prefix="/api/budgets",
    tag="budgets",
    service=budgets,
    create_schema=BudgetCreate,
    update_schema=BudgetUpdate,
    out_schema=BudgetOut,
)
goals_router = owned_router(
    prefix="/api/goals",
    tag="goals",
    service=goals,
    create_schema=GoalCreate,
    update_schema=GoalUpdate,
    out_schema=GoalOut,
)
