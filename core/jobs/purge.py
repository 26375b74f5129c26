"""Clearing rows that can no longer do anything: failed logins past the lockout
window, password-reset tokens used or expired, Telegram link codes used or expired."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import LOCKOUT_WINDOW
from core.jobs.repository import JobsRepository

# Revoked bearer tokens are deleted at once by logout and password change, so none
# wait here. TODO(auth_tokens.last_used_at): once FINBOT_TOKEN_TTL_DAYS lands as a
# `last_used_at` column, also delete tokens whose last use is older than that TTL.


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete what has expired by `now`; how many rows went."""
    repository = JobsRepository(session)
    return (
        await repository.delete_login_failures_before(now - LOCKOUT_WINDOW)
        + await repository.delete_spent_password_resets(now)
        + await repository.delete_spent_link_codes(now)
    )
