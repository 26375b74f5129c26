"""The content type of a file, read from its first bytes (never trusted from the client)."""

import re

SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypheic", 4, "image/heic"),
    (b"ftypheix", 4, "image/heic"),
    (b"ftypmif1", 4, "image/heif"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"PK\x03\x04", 0, "application/zip"),
]
SNIFF_BYTES = 512
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def content_type_of(head: bytes) -> str:
    for signature, offset, content_type in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if head else "application/octet-stream"


def safe_filename(name: str | None) -> str:
    """The last path part, reduced to harmless characters; "document" if nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip(" .")
    return cleaned[:120] or "document"
