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
