"""Accounts, sessions (bearer tokens), login lockout and password resets."""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.passwords import hash_password, verify_password
from core.auth.repository import UserRepository
from core.auth.schemas import MeUpdate, SignupRequest
from core.currencies.service import rebase_user
from core.db import Database
from core.exceptions import Conflict, Invalid, RateLimited, Unauthorized
from core.models import PasswordReset, User
from core.models.base import utcnow
from core.periods import local_today

LOCKOUT_FAILURES = 5
LOCKOUT_ADDRESS_FAILURES = 20
LOCKOUT_KEY_LENGTH = 254
LOCKOUT_WINDOW = timedelta(minutes=15)
RESET_VALIDITY = timedelta(minutes=30)


def token_digest(token: str) -> str:
    """Tokens are stored as their SHA-256: a leaked table reveals no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def signup(session: AsyncSession, data: SignupRequest) -> User:
    users = UserRepository(session)
    email = data.email.lower()
    if await users.username_taken(data.username):
        raise Conflict("username already taken")
    if await users.find_by_email(email) is not None:
        raise Conflict("e-mail already registered")
    user = User(
        username=data.username, email=email, password_hash=await hash_password(data.password)
    )
    try:
        return await users.add(user)
    except IntegrityError as error:  # a concurrent signup won the race
        raise Conflict("username or e-mail already registered") from error


async def issue_token(session: AsyncSession, user: User) -> str:
    token = new_token()
    await UserRepository(session).add_token(user.id, token_digest(token))
    return token


class InvalidResetToken(Invalid):
    def __init__(self) -> None:
        super().__init__("reset link is invalid, used or expired", field="token")


class LoginFailed(Unauthorized):
    """Wrong credentials (the failure is already recorded)."""


def _name_key(name: str) -> str:
    # Prefixed, so no login name can add to (or clear) an address's count.
    key = f"user:{name.lower()}"
    if len(key) > LOCKOUT_KEY_LENGTH:  # the column's width; a digest of a long unknown name
        key = f"user#{hashlib.sha256(name.lower().encode()).hexdigest()}"
    return key


def _address_key(address: str) -> str:
    return f"addr:{address}"[:LOCKOUT_KEY_LENGTH]


async def _claim_attempt(database: Database, limits: dict[str, int]) -> list[int]:
    """Count this attempt as a failure before the password is checked, atomically.

    Check-then-insert lets parallel guesses all pass the check; here each key is
    locked, the attempt inserted and the total counted in one committed
    transaction, so however many processes race, at most `limit` guesses per key
    reach argon2 in a window. A success removes its claim again.
    """
    now = utcnow()
    window_start = now - LOCKOUT_WINDOW
    async with database.session() as session:
        users = UserRepository(session)
        await users.lock_login_keys(list(limits))
        claims = [await users.add_failure(key) for key in limits]
        waits = []
        for key, limit in limits.items():
            failures, oldest = await users.failures_since(key, window_start)
            if failures > limit and oldest is not None:
                waits.append((oldest + LOCKOUT_WINDOW - now).total_seconds())
        if waits:
            await users.remove_failures(claims)  # a refused attempt is not a guess
            for key in limits:
                await users.clear_failures(key, before=window_start)
    if waits:
        raise RateLimited("too many failed logins; try again later", math.ceil(max(*waits, 1)))
    return claims


async def login(database: Database, login_name: str, password: str, address: str) -> str:
    """A new token for the right password; 5 failures per account or 20 per address
    in 15 minutes lock further attempts (RateLimited) until the window passes."""
    async with database.session() as session:
        user = await UserRepository(session).find_by_login(login_name)
    # Keyed by the account when there is one, so username and e-mail share a count.
    name_key = _name_key(user.username if user else login_name)
    claims = await _claim_attempt(
        database, {name_key: LOCKOUT_FAILURES, _address_key(address): LOCKOUT_ADDRESS_FAILURES}
    )
    # An unknown name is checked against a dummy hash: the same time as a known one.
    if not await verify_password(user.password_hash if user else None, password):
        raise LoginFailed("wrong username or password")
    assert user is not None
    async with database.session() as session:
        users = UserRepository(session)
        await users.remove_failures(claims)
        await users.clear_failures(name_key)
        return await issue_token(session, user)


DEFAULT_TOKEN_TTL = timedelta(days=30)
LAST_USE_SLACK = timedelta(minutes=1)


async def authenticate(
    session: AsyncSession, token: str, ttl: timedelta = DEFAULT_TOKEN_TTL
) -> User:
    """The token's user; the token must have been used within `ttl` (it is then used now)."""
    users = UserRepository(session)
    now = utcnow()
    found = await users.user_for_token(token_digest(token), now - ttl)
    if found is None:
        raise Unauthorized("invalid or expired token")
    user, token_id, last_used_at = found
    # A write on every request would make each read a write (SQLite has one
    # writer); a minute's slack in an expiry counted in days costs nothing.
    if now - last_used_at > LAST_USE_SLACK:
        await users.touch_token(token_id, now)
    return user


async def token_alive(session: AsyncSession, token: str, ttl: timedelta) -> bool:
    """Whether the token still authenticates (not revoked, not expired); uses nothing."""
    return await UserRepository(session).token_alive(token_digest(token), utcnow() - ttl)


async def logout(session: AsyncSession, token: str) -> None:
    await UserRepository(session).revoke_token(token_digest(token))


@dataclass(frozen=True)
class ResetMail:
    to: str
    username: str
    token: str


async def request_reset(session: AsyncSession, email: str) -> ResetMail | None:
    """A single-use reset token for that address, or None for an unknown one."""
    user = await UserRepository(session).find_by_email(email.strip())
    if user is None or user.email is None:
        return None
    token = new_token()
    await UserRepository(session).add_reset(
        PasswordReset(
            user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + RESET_VALIDITY
        )
    )
    return ResetMail(to=user.email, username=user.username, token=token)


async def confirm_reset(session: AsyncSession, token: str, new_password: str) -> None:
    users = UserRepository(session)
    reset = await users.find_reset(token_digest(token))
    now = utcnow()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise InvalidResetToken()
    user = await users.get(reset.user_id)
    if user is None:
        raise InvalidResetToken()
    user.password_hash = await hash_password(new_password)
    await users.use_all_resets(user.id, now)
    await users.revoke_all_tokens(user.id)
    await users.clear_failures(_name_key(user.username))
    await users.flush()


async def update_me(session: AsyncSession, user: User, changes: MeUpdate) -> User:
    users = UserRepository(session)
    values = changes.model_dump(exclude_unset=True, exclude_none=True)
    current_password = values.pop("current_password", None)
    if "email" in values and user.password_hash is not None:
        # A stolen token alone must not be able to redirect password resets.
        if current_password is None:
            raise Invalid("needed to change the e-mail", field="current_password")
        if not await verify_password(user.password_hash, current_password):
            raise Invalid("wrong password", field="current_password")
    if "email" in values:
        email = values["email"].lower()
        other = await users.find_by_email(email)
        if other is not None and other.id != user.id:
            raise Conflict("e-mail already registered")
        values["email"] = email
    if values.get("currency", user.currency) != user.currency:  # entries, limits, goals follow
        await rebase_user(session, user, values["currency"], local_today(user.timezone))
    for name, value in values.items():
        setattr(user, name, value)
    try:
        await users.flush()
    except IntegrityError as error:
        raise Conflict("e-mail already registered") from error
    return user


def reset_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/reset-password?token={token}"
