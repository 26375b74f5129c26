"""Reading generated receipt pictures and PDFs end to end: Pillow clean-up, Tesseract, PDFium."""

import asyncio
import io
import threading
import time

import pytesseract
import pytest
from PIL import Image

from core.exceptions import ServiceUnavailable
from core.receipts import ocr, read_receipt
from core.receipts.ocr import estimate_skew, ocr_available
from tests.support.receipts import (
    Spec,
    generated_receipts,
    landscape_picture,
    render,
    render_pdf,
    text_page,
)

needs_tesseract = pytest.mark.skipif(
    not ocr_available(),
    reason="the Tesseract binary is not installed (Debian: tesseract-ocr tesseract-ocr-eng)",
)


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")


@needs_tesseract
async def test_generated_receipts_total_and_date_are_read() -> None:
    receipts = generated_receipts()
    assert len(receipts) >= 30
    began = time.perf_counter()
    # All at once: read_receipt's own semaphore decides how many Tesseracts run together.
    readings = await asyncio.gather(
        *(
            read_receipt(
                receipt.data,
                receipt.content_type,
                base_currency=receipt.base_currency,
                locale_hint=receipt.locale_hint,
            )
            for receipt in receipts
        )
    )
    elapsed = time.perf_counter() - began
    totals = dates = currencies = 0
    for receipt, reading in zip(receipts, readings, strict=True):
        got_total = reading is not None and reading.total == receipt.total
        got_date = reading is not None and reading.date == receipt.date
        totals += got_total
        dates += got_date
        currencies += reading is not None and reading.currency == receipt.currency
        if not (got_total and got_date):
            found = reading and (reading.total, reading.date, reading.currency, reading.merchant)
            print(f"miss {receipt.name}: truth {receipt.total} {receipt.date}, read {found}")
    count = len(receipts)
    print(
        f"{count} receipts in {elapsed:.1f}s: total {totals}/{count}, date {dates}/{count}, "
        f"currency {currencies}/{count}"
    )
    assert totals >= 0.9 * count
    assert dates >= 0.8 * count
    assert currencies >= 0.8 * count


@needs_tesseract
@pytest.mark.parametrize(
    ("data", "content_type"),
    [(landscape_picture(), "image/jpeg"), (text_page(), "image/png")],
    ids=["landscape", "text-page"],
)
async def test_a_picture_that_is_not_a_receipt_gives_none(data: bytes, content_type: str) -> None:
    assert await read_receipt(data, content_type, base_currency="EUR") is None


@needs_tesseract
async def test_a_scanned_pdf_is_rendered_and_read_by_ocr() -> None:
    receipt = render_pdf(Spec(7, "de", "DejaVuSans.ttf", 24, "EUR"), text_layer=False)
    reading = await read_receipt(
        receipt.data, receipt.content_type, base_currency="EUR", locale_hint="de_DE"
    )
    assert reading is not None
    assert reading.total == receipt.total
    assert reading.date == receipt.date
    assert reading.confidence < 1


async def test_a_pdf_text_layer_is_read_without_tesseract(no_tesseract: None) -> None:
    assert not ocr_available()
    receipt = render_pdf(Spec(3, "fr", "DejaVuSans.ttf", 22, "EUR"), text_layer=True)
    reading = await read_receipt(
        receipt.data, receipt.content_type, base_currency="USD", locale_hint="fr_FR"
    )
    assert reading is not None
    assert reading.total == receipt.total
    assert reading.date == receipt.date
    assert reading.merchant == receipt.merchant
    assert [(line.text, line.amount) for line in reading.lines] == receipt.items


async def test_pictures_and_scans_say_ocr_not_available_without_tesseract(
    no_tesseract: None,
) -> None:
    picture = render(Spec(1, "en_gb", "DejaVuSans.ttf", 22, "GBP"))
    with pytest.raises(ServiceUnavailable, match="ocr not available"):
        await read_receipt(picture.data, picture.content_type, base_currency="EUR")
    scan = render_pdf(Spec(2, "en_gb", "DejaVuSans.ttf", 22, "GBP"), text_layer=False)
    with pytest.raises(ServiceUnavailable, match="ocr not available"):
        await read_receipt(scan.data, scan.content_type, base_currency="EUR")


@needs_tesseract
@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"not a picture at all", "image/png"),
        (b"%PDF-1.7 broken", "application/pdf"),
        (b"date,amount\n2026-11-24,3.50\n", "text/csv"),
        (b"PK\x03\x04", "application/zip"),
    ],
    ids=["bad-png", "bad-pdf", "csv", "zip"],
)
async def test_unreadable_or_other_files_give_none(data: bytes, content_type: str) -> None:
    assert await read_receipt(data, content_type, base_currency="EUR") is None


@needs_tesseract
async def test_a_picture_too_large_to_decode_gives_none(monkeypatch: pytest.MonkeyPatch) -> None:
    receipt = render(Spec(4, "nl", "DejaVuSans.ttf", 22, "EUR"))
    monkeypatch.setattr(ocr, "MAX_PIXELS", 1000)
    assert await read_receipt(receipt.data, receipt.content_type, base_currency="EUR") is None


@pytest.mark.parametrize("tilt", [4.0, -3.0, 0.0])
def test_skew_is_measured_so_the_lines_can_be_levelled(tilt: float) -> None:
    receipt = render(Spec(5, "en_gb", "DejaVuSans.ttf", 24, "GBP"))
    picture = Image.open(io.BytesIO(receipt.data)).convert("L")
    tilted = picture.rotate(tilt, expand=True, fillcolor=250)
    assert estimate_skew(tilted) == pytest.approx(-tilt, abs=0.5)


async def test_reads_run_off_the_loop_and_at_most_the_bound_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = peak = 0
    lock = threading.Lock()

    def slow_read(data: bytes) -> ocr.PageText:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.15)  # a thread that blocks, as Tesseract does
        with lock:
            running -= 1
        return ocr.PageText("SHOP\nThing 1.00\nTOTAL 1.00", 0.9)

    monkeypatch.setattr(ocr, "OCR_CONCURRENCY", 2)
    monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    monkeypatch.setattr(ocr, "_read_picture", slow_read)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    readings = await asyncio.gather(
        *(read_receipt(b"x", "image/png", base_currency="EUR") for _ in range(6))
    )
    ticking.cancel()
    assert all(reading is not None for reading in readings)
    assert peak == 2
    # Six reads of 0.15 s, two at a time: about 0.45 s in which the loop kept ticking.
    assert ticks >= 20


@needs_tesseract
async def test_a_tesseract_that_times_out_gives_none(monkeypatch: pytest.MonkeyPatch) -> None:
    receipt = render(Spec(6, "en_gb", "DejaVuSans.ttf", 22, "GBP"))
    monkeypatch.setattr(ocr, "OCR_TIMEOUT_SECONDS", 0.001)
    assert await read_receipt(receipt.data, receipt.content_type, base_currency="EUR") is None


@needs_tesseract
def test_ocr_is_not_available_without_the_language_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "OCR_LANGUAGE", "klingon")
    ocr._tesseract_ready.cache_clear()
    try:
        assert not ocr_available()
    finally:
        ocr._tesseract_ready.cache_clear()
