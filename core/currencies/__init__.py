"""Currencies: ISO 4217 codes and exponents, ECB reference rates, conversion."""

from core.currencies.codes import CURRENCY_EXPONENTS, is_currency

__all__ = ["CURRENCY_EXPONENTS", "is_currency"]
