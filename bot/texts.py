"""Every sentence the bot says, in one place."""

from decimal import Decimal

from core.currencies.codes import CURRENCY_EXPONENTS

HELP = (
    "I keep your money diary. Just write to me:\n"
    "• coffee 4.50 — or 4.50 coffee, 12,30 € lunch with Ana\n"
    "• taxi 18 yesterday, dinner 30 monday, tram 2.80 3 days ago\n"
    "• spent 20 on groceries, paid 60 for electricity\n"
    "• +2500 salary, income 300 freelance\n"
    "• a photo of a receipt (with a caption like: dinner 45)\n\n"
    "Commands:\n"
    "/budget — your budgets this period\n"
    "/goals — your savings goals\n"
    "/save 100 vacation — add to a goal\n"
    "/report week or /report month — a summary with a chart\n"
    "/undo — take back the last thing you recorded\n"
    "/help — this message"
)
WELCOME = "Welcome to finbot! " + HELP
WELCOME_BACK = "Welcome back! Send /help to see what I understand."
LINKED = "This chat is now linked to your finbot account {username}. " + HELP
BAD_CODE = (
    "That link code is unknown or expired. Get a fresh one from the app and send /start <code>."
)
RELINK_QUESTION = (
    "This chat is linked to the finbot account {current}. "
    "Link it to the account {other} instead? Entries made so far stay with {current}."
)
RELINK_YES = "Link to {other}"
RELINK_NO = "Keep {current}"
RELINK_KEPT = "This chat stays linked to {current}."
NOT_STARTED = "Send /start first, and I'll set you up."
CANT_READ = "I couldn't find an amount there. Try: coffee 4.50 — or: +2500 salary"
SEVERAL_AMOUNTS = (
    "I see more than one amount, so I saved nothing. One entry per message, "
    "e.g.: taxi 18 yesterday — or: lunch 12,30"
)
NO_CATEGORY = "What was it for? Try: coffee 4.50 — or: +2500 salary"
OUT_OF_RANGE = "That amount is too large for me. Try: rent 1250 — or: +2500 salary"
APOLOGY = "Sorry, something went wrong on my side and nothing was saved. Please try again."
NOTHING_TO_UNDO = "There is nothing to undo."
UNDONE = "Undone: {what}."
REFILED = "Moved to {category}."
TOO_OLD_TO_CHANGE = "That entry can no longer be changed from here."
PHOTO_SAVED = "Receipt saved and attached to your {category} expense of {amount}."
PHOTO_ASK_AMOUNT = "Receipt saved. What was it? Send the amount and what for, e.g.: dinner 45"
PHOTO_TOO_LARGE = "That photo is too large for me to keep."
STORAGE_DOWN = "I couldn't store the photo right now; nothing was saved. Please try again later."
NO_BUDGETS = "You have no budgets yet. Create them in the app (POST /api/budgets/)."
NO_GOALS = "You have no savings goals yet."
SAVE_USAGE = "Write it like this: /save 100 vacation"
NO_SUCH_GOAL = "I couldn't find a goal called “{name}”. Your goals: {names}"
SAVED_TO_GOAL = "Added {amount} to {name}: {saved} of {target} {currency} saved."
REPORT_USAGE = "Write /report week or /report month."


def money(amount: Decimal, currency: str) -> str:
    """In the currency's own minor units: 1500 JPY, 20.00 EUR, 1.250 KWD."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return f"{amount:.{exponent}f} {currency}"


def money_in_base(amount: Decimal, currency: str, base_amount: Decimal, base: str) -> str:
    """What was paid and, when it was another currency, what it is in the base:
    "20.00 USD = 18.42 EUR"."""
    if currency == base:
        return money(amount, currency)
    return f"{money(amount, currency)} = {money(base_amount, base)}"


def saved(
    kind: str,
    amount: Decimal,
    currency: str,
    category: str,
    day: str,
    base_amount: Decimal | None = None,
    base: str | None = None,
) -> str:
    what = "Expense" if kind == "expense" else "Income"
    shown = (
        money(amount, currency)
        if base is None or base_amount is None
        else money_in_base(amount, currency, base_amount, base)
    )
    return f"{what} saved: {shown} · {category} · {day}"


def progress_bar(part: Decimal, whole: Decimal, width: int = 10) -> str:
    ratio = min(part / whole, Decimal(1)) if whole > 0 else Decimal(0)
    filled = int(ratio * width)
    return "█" * filled + "░" * (width - filled)
