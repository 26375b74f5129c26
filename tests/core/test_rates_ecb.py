"""The ECB file reader: exact decimals, every format, hostile XML refused."""

from datetime import date
from decimal import Decimal

import pytest

from core.currencies import ecb

DAILY_CSV = "Date, USD, JPY, GBP, \n30 October 2026, 1.1172, 175.68, 0.8338, \n"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"><Cube>&lol2;</Cube>
</gesmes:Envelope>"""


def test_the_daily_csv_with_its_spelled_out_date():
    assert ecb.parse(DAILY_CSV.encode()) == [
        ecb.DailyRate("USD", date(2026, 10, 30), Decimal("1.1172")),
        ecb.DailyRate("JPY", date(2026, 10, 30), Decimal("175.68")),
        ecb.DailyRate("GBP", date(2026, 10, 30), Decimal("0.8338")),
    ]


def test_na_cells_are_skipped_and_digits_kept():
    rates = ecb.parse_csv("Date,CYP,GBP,\n1999-01-04,0.58231,N/A,\n")
    assert rates == [ecb.DailyRate("CYP", date(1999, 1, 4), Decimal("0.58231"))]
    assert str(rates[0].rate) == "0.58231"


@pytest.mark.parametrize(
    "content",
    [
        BOMB,
        b"<html><body>down for maintenance</body></html>",
        b"Day,USD\n2026-10-30,1.1\n",
        b"Date,USD\n2026-10-30,one\n",
        b"Date,USD\n2026-10-30,-1.1\n",
        b"PK\x03\x04 not really a zip",
    ],
)
def test_what_is_not_an_ecb_file_is_refused(content):
    with pytest.raises(ecb.EcbFormatError):
        ecb.parse(content)


def test_the_shipped_history_is_complete_and_exact():
    rates = ecb.shipped_history()
    first = {r.currency: r.rate for r in rates if r.day == date(1999, 1, 4)}
    assert first["USD"] == Decimal("1.1789")
    assert str(first["CYP"]) == "0.58231"
    assert len({r.currency for r in rates}) >= 40
