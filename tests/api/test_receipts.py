"""GET /api/documents/{id}/reading/: a receipt read once on this machine, then served stored."""

import logging
from decimal import Decimal

import httpx
import pytesseract
import pytest
from sqlalchemy import func, select

from core.models import ReceiptReading
from core.receipts import ocr_available
from finbot.processes import create_app
from tests.support.receipts import GeneratedReceipt, Spec, landscape_picture, render, render_pdf

needs_tesseract = pytest.mark.skipif(
    not ocr_available(),
    reason="the Tesseract binary is not installed (Debian: tesseract-ocr tesseract-ocr-eng)",
)
# A clean British receipt (DD/MM/YYYY) that Tesseract reads whole.
RECEIPT = Spec(1, "en_gb", "DejaVuSans.ttf", 26, "EUR")


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tesseract "uninstalled" through pytesseract's own setting for the binary."""
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")


async def upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes) -> str:
    answer = await client.post(
        "/api/documents/upload/", headers=headers, files={"file": ("receipt", data)}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["document_id"])


async def stored_readings(app, document_id: str) -> int:
    async with app.state.database.session() as session:
        query = select(func.count()).where(ReceiptReading.document_id == document_id)
        return int((await session.execute(query)).scalar_one())


def expected(receipt: GeneratedReceipt) -> dict[str, object]:
    return {
        "total": float(receipt.total),
        "currency": receipt.currency,
        "date": receipt.date.isoformat(),
        "merchant": receipt.merchant,
    }


@needs_tesseract
async def test_a_receipt_is_read_once_and_then_served_stored(
    app, client, alice, monkeypatch: pytest.MonkeyPatch
):
    receipt = render(RECEIPT)
    document_id = await upload(client, alice, receipt.data)
    assert await stored_readings(app, document_id) == 0  # an upload alone reads nothing

    answer = await client.get(
        f"/api/documents/{document_id}/reading/",
        headers={**alice, "Accept-Language": "en-GB,en;q=0.8"},
    )
    assert answer.status_code == 200, answer.text
    reading = answer.json()
    assert {key: reading[key] for key in ("total", "currency", "date", "merchant")} == expected(
        receipt
    )
    assert [(line["text"], Decimal(str(line["amount"]))) for line in reading["lines"]] == [
        (name, amount) for name, amount in receipt.items
    ]
    assert 0.5 < reading["confidence"] <= 1
    assert await stored_readings(app, document_id) == 1

    # Without Tesseract a second read would answer 503: a 200 proves it came from the row.
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    again = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert again.status_code == 200
    assert again.json() == reading
    assert await stored_readings(app, document_id) == 1

    # The reading goes with its document.
    assert (await client.delete(f"/api/documents/{document_id}/", headers=alice)).status_code == 204
    assert await stored_readings(app, document_id) == 0


@needs_tesseract
async def test_a_picture_that_is_not_a_receipt_is_404_and_not_read_again(
    app, client, alice, monkeypatch: pytest.MonkeyPatch
):
    document_id = await upload(client, alice, landscape_picture())
    answer = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "receipt not found"}
    assert await stored_readings(app, document_id) == 1  # "not a receipt" is kept too
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    assert (
        await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    ).status_code == 404


async def test_a_document_that_is_neither_picture_nor_pdf_is_404(client, alice):
    document_id = await upload(client, alice, b"just some notes, no receipt here\n")
    answer = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert answer.status_code == 404


@needs_tesseract
async def test_another_users_document_is_404(app, client, alice, bob):
    document_id = await upload(client, alice, render(RECEIPT).data)
    answer = await client.get(f"/api/documents/{document_id}/reading/", headers=bob)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "document not found"}
    assert await stored_readings(app, document_id) == 0  # bob's ask read nothing
    unknown = await client.get("/api/documents/no-such-document/reading/", headers=alice)
    assert unknown.status_code == 404


async def test_without_tesseract_a_picture_is_503_and_nothing_is_stored(
    app, client, alice, no_tesseract
):
    document_id = await upload(client, alice, render(RECEIPT).data)
    answer = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert answer.status_code == 503
    assert answer.json() == {"detail": "ocr not available"}
    # Nothing stored: once Tesseract is installed, the same document is read.
    assert await stored_readings(app, document_id) == 0


async def test_a_pdf_with_a_text_layer_is_read_without_tesseract(client, alice, no_tesseract):
    receipt = render_pdf(Spec(100, "de", "DejaVuSans.ttf", 22, "EUR"), text_layer=True)
    document_id = await upload(client, alice, receipt.data)
    answer = await client.get(
        f"/api/documents/{document_id}/reading/", headers={**alice, "Accept-Language": "de-DE"}
    )
    assert answer.status_code == 200, answer.text
    reading = answer.json()
    assert {key: reading[key] for key in ("total", "currency", "date", "merchant")} == expected(
        receipt
    )
    assert reading["confidence"] > 0


async def test_the_reading_needs_a_token(client):
    answer = await client.get("/api/documents/anything/reading/")
    assert answer.status_code == 401


async def test_serve_says_at_start_when_ocr_is_not_available(
    settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    def started() -> str:
        return " ".join(r.getMessage() for r in caplog.records if r.name == "finbot")

    with caplog.at_level(logging.INFO, logger="finbot"):
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            pass
        assert ("OCR not available" in started()) is not ocr_available()
        caplog.clear()
        monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            pass
        assert "OCR not available: receipts are stored but not read" in started()
