"""Every table, imported here so that Base.metadata knows them all."""

from core.models.base import Base
from core.models.documents import Document
from core.models.households import (
    ExpenseShare,
    Household,
    HouseholdChatPost,
    HouseholdInvite,
    HouseholdMember,
    Settlement,
)
from core.models.imports import (
    ExpenseTag,
    Import,
    ImportEntry,
    IncomeTag,
    MerchantCategory,
    Rule,
)
from core.models.ledger import PERIODS, Budget, Expense, Goal, Income
from core.models.notifications import Notification
from core.models.payments import Payment, ProcessedEvent
from core.models.rates import Rate
from core.models.receipts import ReceiptReading
from core.models.recurring import RecurringEntry, RecurringPosting
from core.models.telegram import ChatEntry, TelegramLinkCode
from core.models.users import AuthToken, LoginFailure, PasswordReset, User

__all__ = [
    "PERIODS",
    "AuthToken",
    "Base",
    "Budget",
    "ChatEntry",
    "Document",
    "Expense",
    "ExpenseShare",
    "ExpenseTag",
    "Goal",
    "Household",
    "HouseholdChatPost",
    "HouseholdInvite",
    "HouseholdMember",
    "Import",
    "ImportEntry",
    "Income",
    "IncomeTag",
    "LoginFailure",
    "MerchantCategory",
    "Notification",
    "PasswordReset",
    "Payment",
    "ProcessedEvent",
    "Rate",
    "ReceiptReading",
    "RecurringEntry",
    "RecurringPosting",
    "Rule",
    "Settlement",
    "TelegramLinkCode",
    "User",
]
