from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, inspect, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import instance_state

from core.db import QUICK_READ, HotStatement
from core.models import AuthToken, LoginFailure, PasswordReset, User
from core.models.base import as_loaded

# Every request runs this: built once, so its SQL and cache key are made once.
# Plain columns (Core), not the User entity: the ORM's loading costs several
# times the query; the user is then put in the session as if it had loaded it.
_USER_COLUMNS = tuple(User.__table__.c)
_USER_KEYS = tuple(column.key for column in _USER_COLUMNS)
_USER_FOR_TOKEN = HotStatement(
    select(*_USER_COLUMNS, AuthToken.id.label("token_id"), AuthToken.last_used_at.label("used"))
    .join(AuthToken, AuthToken.user_id == User.id)
    .where(
        AuthToken.token_hash == bindparam("token_hash"),
        AuthToken.last_used_at >= bindparam("used_since"),
        AuthToken.created_at >= bindparam("created_since"),
    )
    .execution_options(**QUICK_READ)  # one row by a unique index
)


USER_COLUMNS = _USER_COLUMNS


_USER_IDENTITY = inspect(User)._identity_class


def attach_user(session: AsyncSession, values: Any) -> User:
    """The User of a row of USER_COLUMNS, in the session as if the ORM had loaded it
    (its changes are flushed as UPDATEs); the session's own copy if it has one.

    Put in the session as the ORM's loading does (loading.py's new-instance branch:
    identity key, session id, the identity map), not by make_transient_to_detached
    and add(): those work out the key again and walk the cascades and session events
    (User has neither), a tenth of a request's CPU on every authenticated request."""
    sync = session.sync_session
    key = (_USER_IDENTITY, (values[0],), None)
    user: User | None = sync.identity_map.get(key)
    if user is None:
        user = as_loaded(User, zip(_USER_KEYS, values, strict=True))
        state = instance_state(user)
        state.key = key
        state.session_id = sync.hash_key
        sync.identity_map._add_unpresent(state, key)
    return user


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def find_by_login(self, login: str) -> User | None:
        """The user whose username (any case) or e-mail is `login`."""
        lowered = login.lower()
        query = select(User).where(or_(func.lower(User.username) == lowered, User.email == lowered))
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()

    async def username_taken(self, username: str) -> bool:
        query = select(User.id).where(func.lower(User.username) == username.lower())
        return (await self.session.execute(query)).first() is not None

    async def find_by_email(self, email: str) -> User | None:
        query = select(User).where(User.email == email.lower())
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def flush(self) -> None:
        await self.session.flush()

    # Tokens

    async def add_token(self, user_id: int, token_hash: str) -> None:
        self.session.add(AuthToken(user_id=user_id, token_hash=token_hash))
        await self.session.flush()

    async def user_for_token(
        self, token_hash: str, used_since: datetime, created_since: datetime
    ) -> tuple[User, int, datetime] | None:
        """The token's user, the token's id and its last use, if it was used since
        `used_since` and made since `created_since`."""
        row = await _USER_FOR_TOKEN.one_or_none(
            self.session,
            {"token_hash": token_hash, "used_since": used_since, "created_since": created_since},
        )
        if row is None:
            return None
        *values, token_id, last_used_at = row
        return attach_user(self.session, values), token_id, last_used_at

    async def token_alive(
        self, token_hash: str, used_since: datetime, created_since: datetime
    ) -> bool:
        query = select(AuthToken.id).where(
            AuthToken.token_hash == token_hash,
            AuthToken.last_used_at >= used_since,
            AuthToken.created_at >= created_since,
        )
        return (await self.session.execute(query)).first() is not None

    async def touch_token(self, token_id: int, at: datetime) -> None:
        await self.session.execute(
            update(AuthToken).where(AuthToken.id == token_id).values(last_used_at=at)
        )

    async def revoke_token(self, token_hash: str) -> None:
        await self.session.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash))

    async def delete_tokens_unused_since(self, since: datetime) -> int:
        """Tokens last used before `since` (expired: they no longer authenticate)."""
        result = await self.session.execute(delete(AuthToken).where(AuthToken.last_used_at < since))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def revoke_all_tokens(self, user_id: int) -> None:
        await self.session.execute(delete(AuthToken).where(AuthToken.user_id == user_id))

    async def revoke_tokens_but(self, user_id: int, keep_hash: str | None) -> None:
        """Every token of the user but the one stored as `keep_hash` (all when None)."""
        query = delete(AuthToken).where(AuthToken.user_id == user_id)
        if keep_hash is not None:
            query = query.where(AuthToken.token_hash != keep_hash)
        await self.session.execute(query)

    # Login failures, and the throttles' claims (the same table: core/models/users.py)

    async def failures_since(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures `key` had since `since`, and the oldest of them."""
        query = select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at >= since
        )
        count, oldest = (await self.session.execute(query)).one()
        return int(count), oldest

    async def lock_login_keys(self, keys: list[str]) -> None:
        """Serialise attempts on these keys until the transaction ends, across processes.

        PostgreSQL: transaction-scoped advisory locks (sorted, so two attempts never
        deadlock). SQLite: the first write of a transaction already holds the one
        write lock of the whole database (core/db.py), which serialises just as well.
        """
        if self.session.bind is None or self.session.bind.dialect.name != "postgresql":
            return
        for key in sorted(set(keys)):
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"login:{key}"}
            )

    async def add_failure(self, key: str, at: datetime | None = None) -> int:
        failure = LoginFailure(key=key) if at is None else LoginFailure(key=key, at=at)
        self.session.add(failure)
        await self.session.flush()
        return failure.id

    async def remove_failures(self, ids: list[int]) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))

    async def clear_failures(self, key: str, before: datetime | None = None) -> None:
        query = delete(LoginFailure).where(LoginFailure.key == key)
        if before is not None:
            query = query.where(LoginFailure.at < before)
        await self.session.execute(query)

    async def clear_failures_starting(self, prefix: str) -> None:
        query = delete(LoginFailure).where(LoginFailure.key.startswith(prefix, autoescape=True))
        await self.session.execute(query)

    # Password resets

    async def add_reset(self, reset: PasswordReset) -> None:
        self.session.add(reset)
        await self.session.flush()

    async def find_reset(self, token_hash: str) -> PasswordReset | None:
        query = select(PasswordReset).where(PasswordReset.token_hash == token_hash)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def use_all_resets(self, user_id: int, at: datetime) -> None:
        await self.session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
            .values(used_at=at)
        )
