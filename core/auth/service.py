"""Accounts, sessions (bearer tokens), login lockout, throttles and password resets."""

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

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

log = logging.getLogger("finbot.auth")

LOCKOUT_FAILURES = 5
LOCKOUT_ADDRESS_FAILURES = 20
LOCKOUT_KEY_LENGTH = 254
LOCKOUT_WINDOW = timedelta(minutes=15)
RESET_VALIDITY = timedelta(minutes=30)
# An address that logged into an account keeps a lockout count of its own for that
# account this long, so others' failures never lock the owner out where they log in.
KNOWN_ADDRESS_FOR = timedelta(days=30)
# Throttles on what costs a hash or sends mail (review L6), per hour.
THROTTLE_WINDOW = timedelta(hours=1)
SIGNUPS_PER_ADDRESS = 10
RESETS_PER_ADDRESS = 10
RESET_MAILS_PER_ACCOUNT = 3


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


# Every other key starts with a prefix no login name gets (those are "user:"/"user#"),
# and holds an id or the address the server saw, never anything the client typed.
def _address_key(address: str) -> str:
    return f"addr:{address}"[:LOCKOUT_KEY_LENGTH]


def _seen_key(user_id: int, address: str) -> str:
    """The mark that `address` logged into the account (it lasts KNOWN_ADDRESS_FOR)."""
    return f"seen:{user_id}:{address}"[:LOCKOUT_KEY_LENGTH]


def _known_key(user_id: int, address: str) -> str:
    """The account's failures from an address that logged into it lately."""
    return f"known:{user_id}:{address}"[:LOCKOUT_KEY_LENGTH]


def _signup_key(address: str) -> str:
    return f"signup:{address}"[:LOCKOUT_KEY_LENGTH]


def _reset_key(address: str) -> str:
    return f"reset:{address}"[:LOCKOUT_KEY_LENGTH]


def _reset_mail_key(user_id: int) -> str:
    return f"mail:{user_id}"


@dataclass(frozen=True)
class Limit:
    """At most `most` claims of a key within `window`."""

    most: int
    window: timedelta = LOCKOUT_WINDOW


def _stamp(now: datetime, window: timedelta) -> datetime:
    """The `at` a claim is written with: a row counts while `at` is within the last
    LOCKOUT_WINDOW (and the purge job drops it after), so a claim that counts for a
    longer window is written that much later (core/models/users.py, LoginFailure)."""
    return now + (window - LOCKOUT_WINDOW)


async def _try_claim(database: Database, limits: dict[str, Limit]) -> tuple[list[int], float]:
    """Count this attempt against each key before the work it limits, atomically.

    Check-then-insert lets parallel attempts all pass the check; here each key is
    locked, the attempt inserted and the total counted in one committed
    transaction, so however many processes race, at most `most` attempts per key
    get through in a window. Returns the claims, or ([], seconds to wait) when a
    key is full (a refused attempt is not counted).
    """
    now = utcnow()
    counted_since = now - LOCKOUT_WINDOW
    async with database.session() as session:
        users = UserRepository(session)
        await users.lock_login_keys(list(limits))
        claims = [
            await users.add_failure(key, _stamp(now, limit.window)) for key, limit in limits.items()
        ]
        waits = []
        for key, limit in limits.items():
            count, oldest = await users.failures_since(key, counted_since)
            if count > limit.most and oldest is not None:
                waits.append((oldest - counted_since).total_seconds())
        if waits:
            await users.remove_failures(claims)  # a refused attempt is not a guess
            for key in limits:
                await users.clear_failures(key, before=counted_since)
            return [], max(*waits, 1)
    return claims, 0


async def _claim(database: Database, limits: dict[str, Limit], refusal: str) -> list[int]:
    """_try_claim, or RateLimited (429 with Retry-After) saying `refusal`."""
    claims, wait = await _try_claim(database, limits)
    if not claims:
        raise RateLimited(refusal, math.ceil(wait))
    return claims


async def _claim_attempt(database: Database, limits: dict[str, int]) -> list[int]:
    """A login attempt, counted as a failure before the password is checked."""
    return await _claim(
        database,
        {key: Limit(most) for key, most in limits.items()},
        "too many failed logins; try again later",
    )


async def login(database: Database, login_name: str, password: str, address: str) -> str:
    """A new token for the right password; 5 failures per account or 20 per address
    in 15 minutes lock further attempts (RateLimited) until the window passes.

    The account's count is kept apart for each address that logged into it in the
    last KNOWN_ADDRESS_FOR: guesses from elsewhere never lock the owner out where
    they usually log in, and guesses from there are limited just the same.
    """
    async with database.session() as session:
        users = UserRepository(session)
        user = await users.find_by_login(login_name)
        # Asked for unknown names too (of no account), so both cost the same queries.
        seen = _seen_key(user.id if user else 0, address)
        marks, _ = await users.failures_since(seen, utcnow() - LOCKOUT_WINDOW)
    if user is not None and marks:
        account_key = _known_key(user.id, address)
    else:  # keyed by the account when there is one, so username and e-mail share a count
        account_key = _name_key(user.username if user else login_name)
    claims = await _claim_attempt(
        database, {account_key: LOCKOUT_FAILURES, _address_key(address): LOCKOUT_ADDRESS_FAILURES}
    )
    # An unknown name is checked against a dummy hash: the same time as a known one.
    if not await verify_password(user.password_hash if user else None, password):
        raise LoginFailed("wrong username or password")
    assert user is not None
    async with database.session() as session:
        users = UserRepository(session)
        await users.remove_failures(claims)
        await users.clear_failures(account_key)
        await users.clear_failures(seen)  # one mark per account and address, renewed
        await users.add_failure(seen, _stamp(utcnow(), KNOWN_ADDRESS_FOR))
        return await issue_token(session, user)


async def allow_signup(database: Database, address: str) -> None:
    """RateLimited past SIGNUPS_PER_ADDRESS sign-ups an hour from one address: each
    costs an argon2 hash, so a flood from one place cannot fill the queue for all."""
    await _claim(
        database,
        {_signup_key(address): Limit(SIGNUPS_PER_ADDRESS, THROTTLE_WINDOW)},
        "too many sign-ups from this address; try again later",
    )


DEFAULT_TOKEN_TTL = timedelta(days=30)
LAST_USE_SLACK = timedelta(minutes=1)
# However often it is used, a token dies this many TTLs after the login that made it
# (90 days by default): a stolen token kept alive by use still ends (review L5).
TOKEN_LIFETIME_TTLS = 3


def token_lifetime(ttl: timedelta) -> timedelta:
    return TOKEN_LIFETIME_TTLS * ttl


async def authenticate(
    session: AsyncSession, token: str, ttl: timedelta = DEFAULT_TOKEN_TTL
) -> User:
    """The token's user; the token must have been used within `ttl` (it is then used
    now) and made within `token_lifetime(ttl)`."""
    users = UserRepository(session)
    now = utcnow()
    found = await users.user_for_token(token_digest(token), now - ttl, now - token_lifetime(ttl))
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
    now = utcnow()
    return await UserRepository(session).token_alive(
        token_digest(token), now - ttl, now - token_lifetime(ttl)
    )


async def logout(session: AsyncSession, token: str) -> None:
    await UserRepository(session).revoke_token(token_digest(token))


@dataclass(frozen=True)
class ResetMail:
    to: str
    username: str
    token: str


async def request_reset(
    database: Database, session: AsyncSession, email: str, address: str
) -> ResetMail | None:
    """A single-use reset token for that e-mail address, or None for an unknown one.

    RateLimited past RESETS_PER_ADDRESS requests an hour from one client address
    (whatever e-mail they name, so the refusal says nothing about any). Past
    RESET_MAILS_PER_ACCOUNT mails an hour to one account, None as for an unknown
    address: the answer stays the same, and the inbox is not flooded.
    """
    await _claim(
        database,
        {_reset_key(address): Limit(RESETS_PER_ADDRESS, THROTTLE_WINDOW)},
        "too many password resets from this address; try again later",
    )
    user = await UserRepository(session).find_by_email(email.strip())
    if user is None or user.email is None:
        return None
    mail_limit = {_reset_mail_key(user.id): Limit(RESET_MAILS_PER_ACCOUNT, THROTTLE_WINDOW)}
    claims, _ = await _try_claim(database, mail_limit)
    if not claims:
        log.info(
            "reset mail for user %d not sent: %d sent this hour", user.id, RESET_MAILS_PER_ACCOUNT
        )
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
    # Addresses that logged in before, whoever's they were, get no count of their own.
    await users.clear_failures_starting(_seen_key(user.id, ""))
    await users.flush()


async def update_me(
    session: AsyncSession, user: User, changes: MeUpdate, token: str | None = None
) -> User:
    """Apply the changes. A new e-mail address ends every other session than `token`'s
    (all of them without one) and every reset link not used yet (review L5)."""
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
        if email != user.email:
            await users.use_all_resets(user.id, utcnow())
            keep = token_digest(token) if token is not None else None
            await users.revoke_tokens_but(user.id, keep)
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
