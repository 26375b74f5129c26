"""Which format a statement is in, from its first bytes (the client's file name is not trusted)."""

from __future__ import annotations

import re

from core.exceptions import Invalid

FORMATS = ("csv", "ofx", "qif", "camt053", "mt940")

_OFX = re.compile(rb"OFXHEADER\s*[:=]|<OFX>|<\?OFX\b", re.IGNORECASE)
_CAMT = re.compile(rb"camt\.05[23]|<BkToCstmrStmt\b")
# `match` on the whole head, never `search`/MULTILINE with a leading `\s*`: tried at every
# line start, `\s*` runs over all the blank lines after it, which is quadratic in the head.
_QIF = re.compile(rb"\s*!(Type|Account|Option|Clear)\b", re.IGNORECASE)
_XML = re.compile(rb"\s*<(\?xml|[A-Za-z])")
_MT940_REFERENCE = (b":20:",)
_MT940_BALANCE_OR_LINE = (b":25:", b":28C:", b":60F:", b":60M:", b":61:")


def _mt940(text: bytes) -> bool:
    """A line starting with :20: and one with a balance or a statement line (one pass)."""
    reference = balance_or_line = False
    for line in text.splitlines():
        start = line.lstrip()
        reference = reference or start.startswith(_MT940_REFERENCE)
        balance_or_line = balance_or_line or start.startswith(_MT940_BALANCE_OR_LINE)
        if reference and balance_or_line:
            return True
    return False


def detect_format(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf")
    if not text.strip():
        raise Invalid("file: the file is empty", field="file")
    if _OFX.search(text):
        return "ofx"
    if _CAMT.search(text):
        return "camt053"
    if _QIF.match(text):
        return "qif"
    if _mt940(text):
        return "mt940"
    if _XML.match(text):
        raise Invalid("file: XML that is neither OFX nor a CAMT.053 statement", field="file")
    if b"\x00" in text[:4096]:
        raise Invalid("file: not a statement (binary content)", field="file")
    return "csv"


def check_format(name: str) -> str:
    normalised = name.strip().casefold().replace(".", "").replace("qfx", "ofx")
    if normalised == "camt" or normalised == "camt053":
        return "camt053"
    if normalised not in FORMATS:
        raise Invalid(f"format: {name!r} is not one of {', '.join(FORMATS)}", field="format")
    return normalised
