from functools import lru_cache
from zoneinfo import available_timezones


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """An IANA name known to this system's tz database (never a file path)."""
    return name in _names()
