"""Bytes to text for the line-based formats: the encoding is read from the first bytes, and
the input is kept as a seekable binary stream so that big files are read, never loaded."""

from __future__ import annotations

import codecs
import io
import shutil
import tempfile
from typing import BinaryIO

SNIFF_BYTES = 64 * 1024
_SPOOL_IN_MEMORY_UP_TO = 1024 * 1024


def as_seekable(data: bytes | BinaryIO) -> BinaryIO:
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data))
    if data.seekable():
        return data
    # A pipe or socket: spool it so that detection can look at the start and then re-read.
    spooled = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_UP_TO)  # noqa: SIM115
    shutil.copyfileobj(data, spooled)
    spooled.seek(0)
    return spooled  # type: ignore[return-value]


def read_head(stream: BinaryIO, size: int = SNIFF_BYTES) -> bytes:
    start = stream.tell()
    head = stream.read(size)
    stream.seek(start)
    return head


def detect_encoding(head: bytes) -> str:
    """UTF-8 with BOM, UTF-8, else cp1252 (what Windows-era bank exports are written in)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: the sample may end in the middle of a multi-byte character.
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def open_text(stream: BinaryIO, encoding: str) -> io.TextIOWrapper:
    """A text view of the stream; a byte that does not fit the detected encoding further down
    the file becomes U+FFFD rather than failing the whole import."""
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def quoted(text: str, limit: int = 40) -> str:
    """`text` for a failure's reason, cut short: a reason is kept per failed line and shown to
    the user, so it must not carry a 100 KB cell along."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def brief(error: BaseException, limit: int = 120) -> str:
    """A library's error for a message: its first line, cut short (some quote the whole
    input they could not read)."""
    # mt-940 raises RuntimeError(message, tag, value): its str() is the whole tuple.
    message = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    lines = message.strip().splitlines()
    first = lines[0] if lines else type(error).__name__
    return first if len(first) <= limit else first[:limit] + "…"
