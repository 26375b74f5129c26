"""Every sentence the bot says, in one place."""

from datetime import date
from decimal import Decimal

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
    return f"{amount:.2f} {currency}"


def saved(kind: str, amount: Decimal, currency: str, category: str, day: str) -> str:
    what = "Expense" if kind == "expense" else "Income"
    return f"{what} saved: {money(amount, currency)} · {category} · {day}"


def progress_bar(part: Decimal, whole: Decimal, width: int = 10) -> str:
    ratio = min(part / whole, Decimal(1)) if whole > 0 else Decimal(0)
    filled = int(ratio * width)
    return "█" * filled + "░" * (width - filled)


# Receipts read from a photo (SPEC section 9)
RECEIPT_DRAFT = "{draft}\nSave it as an expense?"
RECEIPT_SAVE = "Save"
RECEIPT_CHANGE_AMOUNT = "Change amount"
RECEIPT_CANCEL = "Cancel"
RECEIPT_ASK_AMOUNT = "What was the amount in {currency}? Send just the number, e.g. 23.45"
RECEIPT_AMOUNT_AGAIN = "I need just the amount, e.g. 23.45 — or tap Cancel under the receipt."
RECEIPT_CANCELLED = "Kept the photo of the receipt; nothing was recorded."
RECEIPT_ALREADY_SAVED = "That receipt is already saved."
RECEIPT_NO_RATE = (
    "I have no {currency} rate for that day. "
    "What was the amount in {user_currency}? Send just the number, e.g. 23.45"
)


def receipt_draft(
    total: Decimal, currency: str, merchant: str | None, day: date | None, today: date
) -> str:
    """`23.45 EUR at BAKERY, 24 Nov` (the year only when it is not this year's)."""
    text = money(total, currency)
    if merchant:
        text += f" at {merchant}"
    if day is not None:
        text += f", {day.day} {day:%b}" + (f" {day.year}" if day.year != today.year else "")
    return text


# Statements sent as documents (SPEC 6).
STATEMENT_TOO_LARGE = "That file is too large for me to read."
STATEMENT_UNREADABLE = (
    "I could not import that file: {reason}.\n"
    "I read bank statements as CSV, OFX/QFX, QIF, CAMT.053 or MT940."
)
STATEMENT_PROGRESS = "Importing your statement… {done} rows read so far."
STATEMENT_UNDONE = "Import undone: {expenses} expenses and {incomes} incomes removed."
STATEMENT_GONE = "That import is already undone."


def imported(expenses: int, incomes: int, duplicates: int, failed: list[int]) -> str:
    text = (
        f"Statement imported: {expenses} expenses and {incomes} incomes added, "
        f"{duplicates} already known."
    )
    if failed:
        lines = ", ".join(str(line) for line in failed[:10])
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        text += f"\nLines I could not read: {lines}{more}."
    return text
