"""argon2id hashing, off the event loop and bounded.

Each hash costs tens of milliseconds and 64 MiB of memory, so a burst of
sign-ups or guesses must not run them all at once: a small pool of threads
does the hashing, and past a queue of HASH_QUEUE_LIMIT waiting requests the
caller is told to come back (429) instead of piling up.
"""

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.exceptions import RateLimited

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Verified against when the user does not exist, so a miss costs the same time.
_DUMMY_HASH = _hasher.hash("finbot-timing-equaliser")

HASH_CONCURRENCY = max(1, min(4, os.cpu_count() or 1))
HASH_QUEUE_LIMIT = 64
# A thread pool (not an asyncio.Semaphore) so the bound holds whatever event loop calls.
_pool = ThreadPoolExecutor(max_workers=HASH_CONCURRENCY, thread_name_prefix="argon2")
_in_flight = 0

T = TypeVar("T")


async def _bounded(function: Callable[..., T], *args: str) -> T:
    global _in_flight
    if _in_flight >= HASH_CONCURRENCY + HASH_QUEUE_LIMIT:
        raise RateLimited("too many password checks at once; try again shortly", 1)
    _in_flight += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)
    finally:
        _in_flight -= 1


def _hash(password: str) -> str:
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    return await _bounded(_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Always one argon2 verification, so an unknown account answers in the same time."""
    if password_hash is None:
        await _bounded(_verify, _DUMMY_HASH, password)
        return False
    return await _bounded(_verify, password_hash, password)
