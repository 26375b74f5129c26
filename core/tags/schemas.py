import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

TAG_MAX = 32
MAX_TAGS = 20
_WORD = re.compile(r"[^\W_][\w-]*")


def _tag(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    word = value.strip().lstrip("#").lower()
    if not _WORD.fullmatch(word) or len(word) > TAG_MAX:
        raise ValueError(f"a tag is one word of letters, digits or '-', at most {TAG_MAX} long")
    return word


def _distinct(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return sorted(set(tags))


Tag = Annotated[str, BeforeValidator(_tag)]
Tags = Annotated[list[Tag], AfterValidator(_distinct)]


def usable_tags(words: list[str] | tuple[str, ...]) -> list[str]:
    """The words that make valid tags, normalised; the rest are dropped (chat `#words`)."""
    kept: list[str] = []
    for word in words:
        try:
            kept.append(_tag(word))
        except ValueError:
            continue
    return _distinct(kept[:MAX_TAGS])
