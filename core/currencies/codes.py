"""ISO 4217 currency codes and their minor-unit exponents."""

from decimal import Decimal

_TWO_DECIMALS = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN
BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD
FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR
KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD
SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT TOP TRY TTD TWD TZS
UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL
"""
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"

# Exponent = digits after the decimal point in the currency's minor unit.
CURRENCY_EXPONENTS: dict[str, int] = {
    code: exponent
    for codes, exponent in ((_TWO_DECIMALS, 2), (_ZERO_DECIMALS, 0), (_THREE_DECIMALS, 3))
    for code in codes.split()
}


def is_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


def minor_unit(code: str) -> Decimal:
    """The smallest amount of `code` (0.01 for EUR, 1 for JPY, 0.001 for KWD)."""
    return Decimal(1).scaleb(-CURRENCY_EXPONENTS[code])
