"""Clearing rows that can no longer do anything: failed logins past the lockout
window, password-reset tokens used or expired, Telegram link codes used or expired,
and bearer tokens unused for longer than FINBOT_TOKEN_TTL_DAYS."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.repository import UserRepository
from core.auth.service import LOCKOUT_WINDOW
from core.config import get_settings
from core.jobs.repository import JobsRepository


async def purge_expired(
    session: AsyncSession, now: datetime, token_ttl: timedelta | None = None
) -> int:
    """Delete what has expired by `now`; how many rows went.

    A token unused for `token_ttl` (the setting, by default) no longer
    authenticates; deleting it changes nothing but the table's size.
    """
    if token_ttl is None:
        token_ttl = timedelta(days=get_settings().token_ttl_days)
    repository = JobsRepository(session)
    return (
        await repository.delete_login_failures_before(now - LOCKOUT_WINDOW)
        + await repository.delete_spent_password_resets(now)
        + await repository.delete_spent_link_codes(now)
        + await UserRepository(session).delete_tokens_unused_since(now - token_ttl)
    )
