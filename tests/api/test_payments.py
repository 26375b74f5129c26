"""Payments against localstripe, a real local Stripe API server process."""

import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from pydantic import SecretStr

from core.models.base import utcnow
from core.payments import make_gateway
from core.payments.service import reconcile
from finbot.processes import create_app
from tests.conftest import clean_database
from tests.support.mail import free_port

WEBHOOK_SECRET = "whsec_finbot_test"
API_KEY = "sk_test_finbot"
VISA = {"payment_method": "pm_card_visa"}


class LocalStripe:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, fresh: bool = True) -> "LocalStripe":
        """Run it; `fresh` forgets what an earlier run kept (it saves its state to disk)."""
        script = Path(sys.executable).parent / "localstripe"
        self.process = subprocess.Popen(
            [str(script), "--port", str(self.port), *(["--from-scratch"] if fresh else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                httpx.get(f"{self.url}/v1/payment_intents", timeout=0.5)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("localstripe did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def intents(self) -> list[dict[str, object]]:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": self.url})
        return [i.to_dict() for i in client.v1.payment_intents.list().data]


@pytest.fixture
def localstripe() -> Iterator[LocalStripe]:
    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture
async def pay(settings, localstripe) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(
        settings.model_copy(
            update={
                "stripe_api_key": SecretStr(API_KEY),
                "stripe_api_base": localstripe.url,
                "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            }
        )
    )
    await clean_database(app.state.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
        yield http, app
    await app.state.database.dispose()


@pytest.fixture
async def payer(pay):
    from tests.conftest import make_user

    return await make_user(pay[0], "payer")


async def paid(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, object]) -> Any:
    answer = await client.post("/api/payments/", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def signed(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header, made the way Stripe makes it."""
    timestamp = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


async def set_status(app: Any, payment_id: int, status: str) -> None:
    from sqlalchemy import update

    from core.models import Payment

    async with app.state.database.session() as session:
        await session.execute(update(Payment).where(Payment.id == payment_id).values(status=status))


async def send_event(client: httpx.AsyncClient, payload: bytes) -> httpx.Response:
    return await client.post(
        "/api/payments/webhook/", content=payload, headers={"Stripe-Signature": signed(payload)}
    )


def event(event_id: str, intent_id: str, status: str, kind: str) -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {"object": {"id": intent_id, "object": "payment_intent", "status": status}},
    }
    return json.dumps(body).encode()


async def test_a_successful_card(pay, payer, localstripe):
    client, _ = pay
    answer = await client.post(
        "/api/payments/",
        headers=payer,
        json={"amount": "12.34", "currency": "eur", "payment_method": "pm_card_visa"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["amount"], body["currency"], body["status"]) == (12.34, "EUR", "succeeded")
    assert body["stripe_payment_intent_id"].startswith("pi_")
    [intent] = localstripe.intents()
    assert intent["amount"] == 1234 and intent["currency"] == "eur"
    assert (await client.get(f"/api/payments/{body['id']}/", headers=payer)).json() == body
    listed = await client.get("/api/payments/", headers=payer)
    assert listed.json() == [body] and listed.headers["X-Total-Count"] == "1"
    notes = (await client.get("/api/notifications/", headers=payer)).json()
    assert [n["message"] for n in notes] == ["Payment of 12.34 EUR: succeeded"]


async def test_a_declined_card_is_402_and_kept_as_failed(pay, payer):
    client, _ = pay
    answer = await client.post(
        "/api/payments/",
        headers=payer,
        # localstripe's card that is declined when charged (Stripe's 4000000000000341).
        json={"amount": 20, "currency": "EUR", "payment_method": "pm_card_chargeCustomerFail"},
    )
    assert answer.status_code == 402
    assert answer.json()["detail"] == "Your card was declined."
    [stored] = (await client.get("/api/payments/", headers=payer)).json()
    assert stored["status"] == "failed"
    assert stored["failure_message"] == "Your card was declined."


async def test_zero_and_three_decimal_currencies_are_exact(pay, payer, localstripe):
    client, _ = pay
    yen = await client.post(
        "/api/payments/",
        headers=payer,
        json={"amount": 500, "currency": "JPY", "payment_method": "pm_card_visa"},
    )
    assert yen.status_code == 201 and yen.json()["amount"] == 500
    dinar = await client.post(
        "/api/payments/",
        headers=payer,
        json={"amount": "1.23", "currency": "KWD", "payment_method": "pm_card_visa"},
    )
    assert dinar.status_code == 201 and dinar.json()["amount"] == 1.23
    amounts = sorted((i["currency"], i["amount"]) for i in localstripe.intents())
    assert amounts == [("jpy", 500), ("kwd", 1230)]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"amount": "500.5", "currency": "JPY"}, "amount", "at most 0 decimals"),
        ({"amount": "1.005", "currency": "EUR"}, "amount", "at most 2 decimals"),
        ({"amount": "1.0005", "currency": "KWD"}, "amount", "at most 3 decimals"),
        # Stripe takes three-decimal currencies in steps of 0.010 only.
        ({"amount": "1.234", "currency": "KWD"}, "amount", "last decimal is 0"),
        # ISO gives MGA two decimals; Stripe takes whole ariary.
        ({"amount": "5000.50", "currency": "MGA"}, "amount", "whole units"),
        # ISK has no decimals in ISO, two at Stripe: the largest is 999,999.99 there.
        ({"amount": "1000000", "currency": "ISK"}, "amount", "largest ISK payment"),
        ({"amount": "0.10", "currency": "EUR"}, "amount", "smallest EUR payment is 0.50"),
        ({"amount": "1000000", "currency": "USD"}, "amount", "largest USD payment"),
        ({"amount": 5, "currency": "XYZ"}, "currency", "ISO 4217"),
        ({"amount": -5, "currency": "EUR"}, "amount", "greater than 0"),
    ],
)
async def test_bad_amounts_and_currencies_are_clear_422s(
    pay, payer, localstripe, body, field, words
):
    client, _ = pay
    answer = await client.post(
        "/api/payments/", headers=payer, json={**body, "payment_method": "pm_card_visa"}
    )
    assert answer.status_code == 422, answer.text
    [detail] = answer.json()["detail"]
    assert detail["field"] == field and words in detail["msg"]
    assert localstripe.intents() == []
    assert (await client.get("/api/payments/", headers=payer)).json() == []


async def test_idempotency_key_returns_the_same_payment_and_stripe_sees_one(
    pay, payer, localstripe
):
    client, _ = pay
    headers = {**payer, "Idempotency-Key": "order-17"}
    body = {"amount": "9.99", "currency": "USD", "payment_method": "pm_card_visa"}
    first = await client.post("/api/payments/", headers=headers, json=body)
    again = await client.post("/api/payments/", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(localstripe.intents()) == 1
    other = await client.post("/api/payments/", headers=headers, json={**body, "amount": "10"})
    assert other.status_code == 409
    assert len(localstripe.intents()) == 1
    assert (await client.get("/api/payments/", headers=payer)).headers["X-Total-Count"] == "1"


async def test_webhook_signed_like_stripe_updates_once_and_refuses_forgeries(pay, payer):
    client, app = pay
    created = await paid(
        client, payer, {"amount": 30, "currency": "EUR", "payment_method": "pm_card_visa"}
    )
    intent = created["stripe_payment_intent_id"]
    url = f"/api/payments/{created['id']}/"
    # A payment still waiting for the payer (a succeeded one can no longer be canceled).
    await set_status(app, created["id"], "requires_action")
    payload = event("evt_cancel_1", intent, "canceled", "payment_intent.canceled")

    forged = await client.post(
        "/api/payments/webhook/",
        content=payload,
        headers={"Stripe-Signature": signed(payload, secret="whsec_wrong")},
    )
    assert forged.status_code == 400
    stale = await client.post(
        "/api/payments/webhook/",
        content=payload,
        headers={"Stripe-Signature": signed(payload, at=int(time.time()) - 3600)},
    )
    assert stale.status_code == 400
    unsigned = await client.post("/api/payments/webhook/", content=payload)
    assert unsigned.status_code == 400
    assert (await client.get(url, headers=payer)).json()["status"] == "requires_action"

    good = await client.post(
        "/api/payments/webhook/", content=payload, headers={"Stripe-Signature": signed(payload)}
    )
    assert good.status_code == 200 and good.json() == {"received": True, "duplicate": False}
    assert (await client.get(url, headers=payer)).json()["status"] == "canceled"
    notes = [n["message"] for n in (await client.get("/api/notifications/", headers=payer)).json()]
    assert notes[0] == "Payment of 30.00 EUR: canceled"

    # The same event again (a retry) changes nothing, even after a manual status change.
    replay = await client.post(
        "/api/payments/webhook/", content=payload, headers={"Stripe-Signature": signed(payload)}
    )
    assert replay.json() == {"received": True, "duplicate": True}
    again = [n["message"] for n in (await client.get("/api/notifications/", headers=payer)).json()]
    assert again == notes


async def test_stripe_down_is_503_with_a_pending_row_that_reconciles(pay, payer, localstripe):
    client, app = pay
    localstripe.stop()
    answer = await client.post(
        "/api/payments/",
        headers={**payer, "Idempotency-Key": "k-down"},
        json={"amount": "15.17", "currency": "EUR", "payment_method": "pm_card_visa"},
    )
    assert answer.status_code == 503
    [pending] = (await client.get("/api/payments/", headers=payer)).json()
    assert pending["status"] == "pending"

    # Still down: reconciliation leaves it pending.
    gateway = app.state.gateway
    later = utcnow() + timedelta(minutes=5)
    assert await reconcile(app.state.database, gateway, now=later) == 0

    # Stripe is back (on the same address): the pending payment is settled, once.
    back = LocalStripe()
    back.port, back.url = localstripe.port, localstripe.url
    back.start(fresh=False)  # Stripe keeps its data across an outage
    try:
        assert await reconcile(app.state.database, gateway, now=later) == 1
        [settled] = (await client.get("/api/payments/", headers=payer)).json()
        assert settled["status"] == "succeeded"
        assert await reconcile(app.state.database, gateway, now=later) == 0
        # (localstripe may also remember earlier tests' intents: count only this one.)
        assert [i["amount"] for i in back.intents()].count(1517) == 1
    finally:
        back.stop()


async def test_without_a_stripe_key_payments_answer_503(client, alice, settings):
    assert make_gateway(settings) is None
    answer = await client.post(
        "/api/payments/",
        headers=alice,
        json={"amount": 5, "currency": "EUR", "payment_method": "pm_card_visa"},
    )
    assert answer.status_code == 503
    assert answer.json()["detail"] == "payment gateway not configured"
    assert (await client.get("/api/payments/", headers=alice)).json() == []


async def test_another_users_payment_is_404(pay, payer):
    from tests.conftest import make_user

    client, _ = pay
    created = await paid(
        client, payer, {"amount": 5, "currency": "EUR", "payment_method": "pm_card_visa"}
    )
    other = await make_user(client, "other")
    assert (await client.get(f"/api/payments/{created['id']}/", headers=other)).status_code == 404
    assert (await client.get("/api/payments/", headers=other)).json() == []


async def test_a_card_that_needs_authentication_answers_requires_action(pay, payer, localstripe):
    client, _ = pay
    stripe_client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe.url})
    method = stripe_client.v1.payment_methods.create(
        params={
            "type": "card",
            # Stripe's test card that always asks for 3-D Secure.
            "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    answer = await client.post(
        "/api/payments/",
        headers=payer,
        json={"amount": 25, "currency": "EUR", "payment_method": method.id},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "requires_action"
    assert body["next_action"]["type"] == "use_stripe_sdk"


async def test_late_events_never_move_a_payment_backwards(pay, payer):
    client, app = pay
    created = await paid(
        client, payer, {"amount": 40, "currency": "EUR", "payment_method": "pm_card_visa"}
    )
    intent, url = created["stripe_payment_intent_id"], f"/api/payments/{created['id']}/"
    await set_status(app, created["id"], "requires_action")
    steps = [
        ("evt_1", "processing", "processing"),
        ("evt_2", "requires_action", "processing"),  # late: processing is further on
        ("evt_3", "succeeded", "succeeded"),
        ("evt_4", "processing", "succeeded"),  # late: succeeded is final
        ("evt_5", "requires_payment_method", "succeeded"),
        ("evt_6", "canceled", "succeeded"),
    ]
    for event_id, status, expected in steps:
        kind = f"payment_intent.{status}"
        assert (await send_event(client, event(event_id, intent, status, kind))).status_code == 200
        assert (await client.get(url, headers=payer)).json()["status"] == expected, event_id
    notes = [n["message"] for n in (await client.get("/api/notifications/", headers=payer)).json()]
    # One note per status reached (the second "succeeded" is the same note); none for late ones.
    assert notes == ["Payment of 40.00 EUR: processing", "Payment of 40.00 EUR: succeeded"]


def test_stripe_units_follow_stripes_table_not_iso():
    from core.payments.gateway import AmountNotAccepted
    from core.payments.stripe_gateway import stripe_amount

    assert stripe_amount(1234, "EUR") == 1234
    assert stripe_amount(500, "JPY") == 500
    assert stripe_amount(500, "ISK") == 50000  # ISO 0 decimals, Stripe 2
    assert stripe_amount(5000, "UGX") == 500000
    assert stripe_amount(500000, "MGA") == 5000  # ISO 2 decimals, Stripe 0
    assert stripe_amount(1230, "KWD") == 1230
    with pytest.raises(AmountNotAccepted):
        stripe_amount(1234, "KWD")
    with pytest.raises(AmountNotAccepted):
        stripe_amount(500050, "MGA")


def test_idempotency_keys_sent_to_stripe_stay_within_255_characters():
    from core.models import Payment
    from core.payments.service import provider_key

    longest = Payment(id=1, user_id=2**31 - 1, idempotency_key="k" * 255)
    other = Payment(id=2, user_id=2**31 - 1, idempotency_key="k" * 254 + "j")
    assert len(provider_key(longest)) <= 255
    assert provider_key(longest) != provider_key(other)
    assert provider_key(Payment(id=3, user_id=7, idempotency_key="order-17")) == "finbot-7-order-17"
