from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data


def refile_data(expense_id: int, category: str) -> str | None:
    data = f"rf:{expense_id}:{category}"
    return data if len(data.encode()) <= MAX_CALLBACK_BYTES else None


def after_entry(
    entry_id: int, kind: str, object_id: int, current: str, top: list[str]
) -> InlineKeyboardMarkup:
    """The person's top categories, to re-file an expense with one tap, and Undo."""
    rows: list[list[InlineKeyboardButton]] = []
    if kind == "expense":
        buttons = [
            InlineKeyboardButton(text=category, callback_data=data)
            for category in top
            if category.lower() != current.lower()
            and (data := refile_data(object_id, category)) is not None
        ]
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([InlineKeyboardButton(text="↩ Undo", callback_data=f"undo:{entry_id}")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def relink(code: str, current: str, other: str) -> InlineKeyboardMarkup:
    """Move this chat to the code's account, or keep it where it is."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts.RELINK_YES.format(other=other), callback_data=f"relink:{code}"
                )
            ],
            [
                InlineKeyboardButton(
                    text=texts.RELINK_NO.format(current=current), callback_data="relink-keep"
                )
            ],
        ]
    )


def receipt_draft(document_id: str) -> InlineKeyboardMarkup:
    """Save the read receipt as an expense, correct its amount first, or keep only the photo."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=texts.RECEIPT_SAVE, callback_data=f"rcs:{document_id}"),
                InlineKeyboardButton(
                    text=texts.RECEIPT_CHANGE_AMOUNT, callback_data=f"rca:{document_id}"
                ),
            ],
            [InlineKeyboardButton(text=texts.RECEIPT_CANCEL, callback_data=f"rcx:{document_id}")],
        ]
    )
