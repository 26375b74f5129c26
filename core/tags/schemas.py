import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

TAG_MAX = 32
MAX_TAGS = 20
_WORD = re.compile(r"[^\W_][\w-]*")
# What str.strip() strips (str.isspace), spelled out for JSON Schema's ECMA-262 reading.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# `#word`, with spaces around it; a word is a letter or digit, then letters, digits, `_`
# or `-` (\w as Python reads it: any script's letters and digits).
TAG_PATTERN = f"^[{_SPACE}]*#*[^\\W_][\\w-]{{0,{TAG_MAX - 1}}}[{_SPACE}]*$"


def _tag(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    word = value.strip().lstrip("#")
    # Checked before lower-casing, which can lengthen a word (İ becomes i and a dot).
    if not _WORD.fullmatch(word) or len(word) > TAG_MAX:
        raise ValueError(f"a tag is one word of letters, digits or '-', at most {TAG_MAX} long")
    return word.lower()


def _distinct(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return sorted(set(tags))


Tag = Annotated[
    str,
    BeforeValidator(_tag),
    WithJsonSchema({"type": "string", "pattern": TAG_PATTERN}, mode="validation"),
]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_distinct)]


def usable_tags(words: list[str] | tuple[str, ...]) -> list[str]:
    """The words that make valid tags, normalised; the rest are dropped (chat `#words`)."""
    kept: list[str] = []
    for word in words:
        try:
            kept.append(_tag(word))
        except ValueError:
            continue
    return _distinct(kept[:MAX_TAGS])
