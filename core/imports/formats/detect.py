"""Which format a statement is in, from its first bytes (the client's file name is not trusted)."""

from __future__ import annotations

import re

from core.exceptions import Invalid

FORMATS = ("csv", "ofx", "qif", "camt053", "mt940")

_OFX = re.compile(rb"OFXHEADER\s*[:=]|<OFX>|<\?OFX\b", re.IGNORECASE)
_CAMT = re.compile(rb"camt\.05[23]|<BkToCstmrStmt\b")
_QIF = re.compile(rb"^\s*!(Type|Account|Option|Clear)\b", re.IGNORECASE)
# Two independent searches, not one pattern spanning lines: linear time on any input.
_MT940_REFERENCE = re.compile(rb"^\s*:20:", re.MULTILINE)
_MT940_BALANCE_OR_LINE = re.compile(rb"^\s*:(25|28C|60F|60M|61):", re.MULTILINE)
_XML = re.compile(rb"^\s*<(\?xml|[A-Za-z])")


def detect_format(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf")
    if _OFX.search(text):
        return "ofx"
    if _CAMT.search(text):
        return "camt053"
    if _QIF.match(text):
        return "qif"
    if _MT940_REFERENCE.search(text) and _MT940_BALANCE_OR_LINE.search(text):
        return "mt940"
    if _XML.match(text):
        raise Invalid("file: XML that is neither OFX nor a CAMT.053 statement", field="file")
    if b"\x00" in text[:4096]:
        raise Invalid("file: not a statement (binary content)", field="file")
    if not text.strip():
        raise Invalid("file: the file is empty", field="file")
    return "csv"


def check_format(name: str) -> str:
    normalised = name.strip().casefold().replace(".", "").replace("qfx", "ofx")
    if normalised == "camt" or normalised == "camt053":
        return "camt053"
    if normalised not in FORMATS:
        raise Invalid(f"format: {name!r} is not one of {', '.join(FORMATS)}", field="format")
    return normalised
