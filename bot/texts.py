"""Every sentence the bot says, in one place."""

from datetime import date
from decimal import Decimal

from core.money import in_minor_units, shown

HELP = (
    "I keep your money diary. Just write to me:\n"
    "• coffee 4.50 — or 4.50 coffee, 12,30 € lunch with Ana\n"
    "• taxi 18 yesterday, dinner 30 monday, tram 2.80 3 days ago\n"
    "• spent 20 on groceries, paid 60 for electricity\n"
    "• +2500 salary, income 300 freelance, salary 2500\n"
    "• a photo of a receipt (with a caption like: dinner 45)\n"
    "• questions: how much did I spend on food this month? what's left for groceries? "
    "spent this week? biggest expenses in October\n"
    "Made a typo? Edit your message and I'll fix the entry.\n\n"
    "Commands:\n"
    "/add 50 lunch, /expense 50 lunch, /spent 50 lunch — an expense\n"
    "/income 300 freelance — an income\n"
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
BAD_INVITE = "That invite is unknown, used or expired: ask for a new one."
IN_HOUSEHOLD_ALREADY = "You are a member of that household already."
JOINED_HOUSEHOLD = "You joined the household {name}. Entries you share with it count for everyone."
NOT_STARTED = "Send /start first, and I'll set you up."
CANT_READ = "I couldn't find an amount there. Try: coffee 4.50 — or: +2500 salary"
TOO_LONG = (
    "That message is too long for me (over {limit} characters), so nothing was recorded."
    " One entry per message, e.g.: coffee 4.50"
)
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
NOT_SAVED = "Not saved: {reason}."  # a rule the entry breaks (no rate for its currency...)
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
TWO_CURRENCIES = "I see two currencies, so I saved nothing. One entry per message, e.g.: taxi 18 €"
TOO_MANY_DECIMALS = "That amount has more decimals than {currency} has, so I saved nothing."
NOT_A_COMMAND = "I don't know that command. Send /help to see what I understand."
QUESTION_UNKNOWN = (
    "I can't answer that yet. Try: how much did I spend on food this month? — "
    "what's left for groceries? — spent this week? — biggest expenses in October"
)
RECURRING_AMBIGUOUS = (
    "That reads as a recurring entry with two amounts: send it again with just one."
)
WHICH_READING = "I can read that two ways, so nothing is saved yet. Which one did you mean?"
CHOSEN_ALREADY = "That is saved already."
UPDATED = "Updated: {what}"
UNCHANGED = "Already saved like that: {what}"
NO_LONGER_AN_ENTRY = "Your edited message no longer reads as an entry. Delete the {what}?"
DELETE_IT = "Delete it"
KEEP_IT = "Keep it"
DELETED = "Deleted: {what}."
KEPT = "Kept: {what}."
SPENT_ON = "You spent {amount} on {category} {span}."
SPENT_TOTAL = "You spent {amount} {span}."
EARNED_TOTAL = "You received {amount} {span}."
NO_BUDGET_FOR = "You have no budget for {category}. You spent {amount} on it this month."
BIGGEST_NONE = "No expenses {span}."
BIGGEST_HEAD = "Your biggest expenses {span}:"


def span(start: date, end: date) -> str:
    if start == end:
        return f"on {start.isoformat()}"
    return f"from {start.isoformat()} to {end.isoformat()}"


def entry_line(amount: Decimal, currency: str, category: str, day: str) -> str:
    return f"{money(amount, currency)} · {category} · {day}"


def left_line(category: str, period: str, remaining: Decimal, limit: Decimal, currency: str) -> str:
    if remaining < 0:
        return (
            f"{category} ({period}): over by {money(-remaining, currency)}"
            f" of {number(limit, currency)}"
        )
    return f"{category} ({period}): {money(remaining, currency)} left of {number(limit, currency)}"


def money(amount: Decimal, currency: str) -> str:
    """In the currency's own minor units: 1500 JPY, 20.00 EUR, 1.250 KWD."""
    return shown(amount, currency)


def number(amount: Decimal, currency: str) -> str:
    """The figure alone, in the currency's minor units (its code said once nearby)."""
    return in_minor_units(amount, currency)


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


# Recurring entries and safe-to-spend (SPEC 7).
RECURRING_ASK = "Every time: {kind} of {amount} · {name} · {rule}. First on {first}. Save it?"
RECURRING_SAVE = "✓ Save"
RECURRING_CANCEL = "✗ Cancel"
RECURRING_SAVED = "Recurring {kind} saved: {amount} · {name}. Next on {next}."
RECURRING_CANCELLED = "Not saved."
RECURRING_GONE = "That question has expired; send the message again."
NO_RECURRING = "You have no recurring entries. Try: rent 900 every month on the 3rd"
RECURRING_LINE = "{name}: {amount} · {rule} · next {next}"
RECURRING_STOP = "Stop {name}"
RECURRING_STOPPED = "Stopped: {name}. What it already recorded stays."
SAFE = (
    "Safe to spend: {per_day} a day for {days} days (to {end}).\n"
    "Left {left}: income {income} + still to come {expected} − spent {spent} "
    "− bills due {committed}."
)


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


# Households in a Telegram group (SPEC 8).
GROUP_HELP = (
    "I keep this household's shared money diary. Members just write here:\n"
    "• coffee 4.50 — a shared expense, paid by whoever wrote it\n"
    "• +300 refund — a shared income\n"
    "Commands:\n"
    "/household — make this group a household's chat (once)\n"
    "/balance — who owes whom\n"
    "/settle @name 20 — you paid @name 20\n"
    "Your own, private entries stay in your private chat with me."
)
GROUP_HOW_TO_LINK = (
    "Open a private chat with me ({link}) and send /start — or, if you have a finbot "
    "account, send /start <code> there with a link code from the app."
)
GROUP_UNLINKED_ENTRY = "I don't know you yet, so I saved nothing. " + GROUP_HOW_TO_LINK
GROUP_UNLINKED = "I don't know you yet. " + GROUP_HOW_TO_LINK
GROUP_INVITE = (
    "Ask a member for an invite (POST /api/households/{id}/invites/ in the app), "
    "and join with its code."
)
GROUP_NOT_A_MEMBER = "You are not a member of {household}, so I saved nothing. " + GROUP_INVITE
GROUP_MEMBERS_ONLY = "That is for the members of {household}. " + GROUP_INVITE
GROUP_HELLO = (
    "Hello! I keep a household's shared money diary. A member who has linked their "
    "private chat with me sends /household here to make this group the household's chat."
)
GROUP_NOT_BOUND = "This group is not a household's chat yet. A member sends /household here first."
GROUP_BOUND = "This group is now the chat of the household {household}. " + GROUP_HELP
GROUP_CREATED = (
    "I made the household {household} for this group, with you as its owner. "
    "Invite the others from the app (POST /api/households/{id}/invites/); once they "
    "have joined and linked their chat with me, they can write here too.\n\n" + GROUP_HELP
)
GROUP_ALREADY = "This group is already the chat of the household {household}."
GROUP_NO_SUCH = "You have no household called “{name}” without a group. {choices}"
GROUP_CHOICES = "Yours without a group: {names}."
GROUP_NO_CHOICES = "Send /household alone to make a new one for this group."
GROUP_PRIVACY = (
    "\n\nI can't see the plain messages in this group yet, only commands. Either turn my "
    "privacy mode off (in @BotFather: /setprivacy, choose me, Disable — then remove me "
    "from the group and add me again), or make me an admin of this group."
)
GROUP_SAVED = "{who}: {saved} (shared)"
GROUP_NO_RECURRING = "Recurring entries are set up in a private chat with me; I saved nothing here."
GROUP_NOT_YOURS = "Only whoever wrote it can change that."
GROUP_BALANCE_HEAD = "Who owes whom in {household} ({currency}):"
GROUP_BALANCE_LINE = "• {debtor} → {creditor}: {amount}"
GROUP_ALL_SETTLED = "Everyone in {household} is settled up."
GROUP_SETTLE_USAGE = "Write it like this: /settle @name 20 — you paid @name 20."
GROUP_SETTLE_UNKNOWN = "I don't know {name}. Members: {names}."
GROUP_SETTLE_STRANGER = "{name} is not a member of {household}."
GROUP_SETTLE_SELF = "You can't settle with yourself."
GROUP_SETTLE_BAD_AMOUNT = "{amount} is not an amount I can record: {reason}."
GROUP_SETTLED = "Recorded: {payer} paid {payee} {amount}."
