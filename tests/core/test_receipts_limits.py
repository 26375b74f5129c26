"""No receipt input stalls finbot (SPEC section 12): pictures and PDF pages stay within
40 megapixels through every scaling of the reading, text extraction is bounded and off
the event loop, and no pooled connection is held while a document is read.

Each test fails fast on the code before these limits: the spies refuse (raise) instead
of letting the old code allocate gigabytes or run for minutes.
"""

import asyncio
import math
import re
import threading
from decimal import Decimal
from typing import Any

import pypdfium2 as pdfium
import pytesseract
import pytest
from PIL import Image, ImageDraw

from core.documents import readings
from core.exceptions import ServiceUnavailable
from core.receipts import extract, ocr, read_receipt
from tests.support.receipts import Spec, blank_pdf, font, render, render_pdf

BUDGET = 40_000_000  # SPEC section 12: pixels of a picture or PDF page, any scaling counted


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float, float]]:
    """Every PDF page render asked for: (width, height in points, scale). A render past
    the budget is refused instead of made (it would take gigabytes)."""
    asked: list[tuple[float, float, float]] = []
    real = pdfium.PdfPage.render

    def render_page(page: pdfium.PdfPage, *args: Any, scale: float = 1, **kwargs: Any) -> Any:
        width, height = page.get_size()
        asked.append((width, height, scale))
        if math.ceil(width * scale) * math.ceil(height * scale) > BUDGET:
            raise AssertionError(f"a {width}x{height} pt page rendered at scale {scale}")
        return real(page, *args, scale=scale, **kwargs)

    monkeypatch.setattr(pdfium.PdfPage, "render", render_page)
    return asked


@pytest.fixture
def ocr_sizes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The pictures handed to Tesseract (as if it were installed): their sizes."""
    sizes: list[tuple[int, int]] = []

    def fake_ocr(picture: Image.Image) -> ocr.PageText:
        sizes.append(picture.size)
        return ocr.PageText("", 0.0)

    monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    monkeypatch.setattr(ocr, "ocr_picture", fake_ocr)
    return sizes


# --- H4: PDF pages ----------------------------------------------------------------------


@pytest.mark.parametrize("tesseract", ["installed", "missing"])
async def test_a_pdf_of_huge_blank_pages_is_not_a_receipt_and_is_never_rendered(
    tesseract: str, renders: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    if tesseract == "missing":
        monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    else:
        monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    data = blank_pdf(pages=3, side=14400)
    assert len(data) < 600
    # 60,000 pixels square at 300 dpi, 720 MP even at 72: no scale a receipt is read at fits.
    assert await read_receipt(data, "application/pdf", base_currency="EUR") is None
    assert renders == []


async def test_a_large_scanned_page_is_rendered_at_less_than_300_dpi_within_the_budget(
    renders: list, ocr_sizes: list
) -> None:
    # 2,000 points square: 69 MP at 300 dpi, so rendered at about 227 dpi.
    data = blank_pdf(pages=2, side=2000)
    assert await read_receipt(data, "application/pdf", base_currency="EUR") is None
    assert len(renders) == 2
    for width, height, scale in renders:
        assert (width, height) == (2000, 2000)
        assert ocr.PDF_MIN_RENDER_DPI / 72 <= scale < ocr.PDF_RENDER_DPI / 72
    assert len(ocr_sizes) == 2
    assert all(BUDGET * 0.99 < width * height <= BUDGET for width, height in ocr_sizes)


async def test_a_receipt_sized_scan_is_still_rendered_at_300_dpi(
    renders: list, ocr_sizes: list
) -> None:
    receipt = render_pdf(Spec(7, "de", "DejaVuSans.ttf", 24, "EUR"), text_layer=False)
    await read_receipt(receipt.data, receipt.content_type, base_currency="EUR")
    [(_, _, scale)] = renders
    assert scale == pytest.approx(300 / 72)


async def test_without_tesseract_a_scan_is_refused_before_anything_is_rendered(
    renders: list, no_tesseract: None
) -> None:
    scan = render_pdf(Spec(2, "en_gb", "DejaVuSans.ttf", 22, "GBP"), text_layer=False)
    with pytest.raises(ServiceUnavailable, match="ocr not available"):
        await read_receipt(scan.data, scan.content_type, base_currency="EUR")
    assert renders == []


def test_render_scale_keeps_every_page_within_the_budget() -> None:
    assert ocr.render_scale(595, 842) == pytest.approx(300 / 72)  # A4 at 300 dpi
    for width, height in [(2000, 2000), (3000, 3000), (226, 40000), (3020, 3020)]:
        scale = ocr.render_scale(width, height)
        assert scale is not None
        assert math.ceil(width * scale) * math.ceil(height * scale) <= BUDGET
    too_large = [(14400.0, 14400.0), (3100.0, 3100.0), (0.0, 100.0), (-5.0, 100.0)]
    for side, other in [*too_large, (math.inf, 1.0), (math.nan, 100.0)]:
        assert ocr.render_scale(side, other) is None


def test_a_page_with_many_generated_characters_reads_as_no_text() -> None:
    """pypdfium2's text range recurses once per generated character at its ends: the
    text layer is cut to PDF_TEXT_MAX_CHARS and a RecursionError is no text, not a 500."""

    class Recursing:
        def count_chars(self) -> int:
            return 10**9

        def get_text_range(self, index: int, count: int) -> str:
            assert count == ocr.PDF_TEXT_MAX_CHARS
            raise RecursionError

        def close(self) -> None:
            pass

    class Page:
        def get_textpage(self) -> Recursing:
            return Recursing()

    assert ocr._page_text(Page()) == ""


# --- M5: the clean-up's rotation and upscaling --------------------------------------


def small_print(width: int, height: int) -> Image.Image:
    """Lines of text 10 pixels high: the clean-up wants them three times as large."""
    picture = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(picture)
    face = font("DejaVuSans.ttf", 10)
    for y in range(10, height - 20, 18):
        draw.text((10, y), "Bread 1.00   Milk 2.00   Eggs 3.00" * 4, font=face, fill=20)
    return picture


def test_small_print_is_upscaled_only_as_far_as_the_budget(monkeypatch) -> None:
    picture = small_print(900, 1000)
    budget = 2_000_000  # so that the wanted 3x (8.1 MP) would pass it
    monkeypatch.setattr(ocr, "MAX_PIXELS", budget)
    prepared = ocr.prepare(picture)
    assert prepared.width * prepared.height <= budget
    assert prepared.width > picture.width  # still upscaled, as far as it goes


def test_a_tilted_picture_at_the_budget_is_levelled_within_it(monkeypatch) -> None:
    picture = render(Spec(5, "en_gb", "DejaVuSans.ttf", 24, "GBP"))
    tilted = Image.open(__import__("io").BytesIO(picture.data)).convert("L")
    tilted = tilted.rotate(5, expand=True, fillcolor=250)
    budget = tilted.width * tilted.height  # it just fits; level, its corners would not
    monkeypatch.setattr(ocr, "MAX_PIXELS", budget)
    assert ocr.estimate_skew(tilted) == pytest.approx(-5, abs=0.5)
    prepared = ocr.prepare(tilted)
    assert prepared.width * prepared.height <= budget


def test_a_picture_past_the_budget_is_not_prepared(monkeypatch) -> None:
    monkeypatch.setattr(ocr, "MAX_PIXELS", 1000)
    with pytest.raises(ocr.TooLarge):
        ocr.prepare(Image.new("L", (100, 100), 255))
    assert ocr._ocr_or_nothing(Image.new("L", (100, 100), 255)) is None


# --- H5: extraction ---------------------------------------------------------------------


class PatternSpy:
    """Stands in for the amount pattern: counts its uses and refuses a line longer than
    a receipt's (the old pattern took minutes on one of 30,000 tabs)."""

    def __init__(self, pattern: re.Pattern[str], longest: int = 1000, uses: int = 5000) -> None:
        self.pattern = pattern
        self.longest = longest
        self.most_uses = uses
        self.uses = 0

    def _check(self, line: str) -> None:
        self.uses += 1
        assert len(line) <= self.longest, f"a line of {len(line)} characters was matched"
        assert self.uses <= self.most_uses, "the pattern ran on every line of the text"

    def match(self, line: str, *args: Any) -> re.Match[str] | None:
        self._check(line)
        return self.pattern.match(line, *args)

    def search(self, line: str, *args: Any) -> re.Match[str] | None:
        self._check(line)
        return self.pattern.search(line, *args)


RECEIPT_TEXT = "CORNER MARKET\n12/03/2025\nBread 1.20\nMilk 0.99\nTOTAL 2.19 EUR\n"


def test_a_line_of_thirty_thousand_tabs_is_never_matched(monkeypatch) -> None:
    spy = PatternSpy(extract._AMOUNT_AT_END)
    monkeypatch.setattr(extract, "_AMOUNT_AT_END", spy)
    text = RECEIPT_TEXT + "a" + "\t" * 30000 + "x\n" + "b" + "\t" * 30000 + "1.00\n"
    reading = extract.extract_reading(text, base_currency="EUR")
    assert reading is not None
    assert (reading.total, reading.currency) == (Decimal("2.19"), "EUR")


def test_forty_thousand_amount_lines_are_not_all_read(monkeypatch) -> None:
    spy = PatternSpy(extract._AMOUNT_AT_END, uses=2000)
    monkeypatch.setattr(extract, "_AMOUNT_AT_END", spy)
    text = "SHOP\n" + "x 1.00\n" * 40000
    assert extract.extract_reading(text, base_currency="EUR") is None
    assert spy.uses <= 2000


class CountedDecimal(Decimal):
    """An amount that counts the additions it takes part in (Python calls a subclass's
    reflected method first), refusing more than the test allows."""

    additions = 0
    allowed = 0

    def __radd__(self, other: Any) -> Decimal:
        CountedDecimal.additions += 1
        assert CountedDecimal.additions <= CountedDecimal.allowed, "quadratic in amount lines"
        return Decimal(other) + Decimal(self)


def test_the_unlabelled_total_is_looked_for_in_a_window(monkeypatch) -> None:
    count = 40000
    amounts = [
        extract._AmountLine(index, "x", CountedDecimal("1.00"), None) for index in range(count)
    ]
    CountedDecimal.additions = 0
    # Each amount is summed with at most the 50 above it; the old code: 800 million.
    CountedDecimal.allowed = count * 51
    assert extract._summed_total(amounts) is None

    # A total of the amounts right above it is found; one of more than the window is not.
    def lines(*values: str) -> list[extract._AmountLine]:
        return [
            extract._AmountLine(index, "x", Decimal(value), None)
            for index, value in enumerate(values)
        ]

    ten = lines(*["1.00"] * 10, "10.00")
    found = extract._summed_total(ten)
    assert found is not None and found[0].amount == Decimal("10.00")
    many = extract.SUM_WINDOW + 5
    assert extract._summed_total(lines(*["1.00"] * many, f"{many}.00")) is None


# The amount pattern before it was made linear: the new one must find the same.
_QUADRATIC = re.compile(
    r"^(?P<text>.*?)\s*(?P<sign>-\s?)?(?P<before>(?:[€$£¥₹₽₺]|EUR|USD|GBP|CHF|JPY|CAD|AUD|SEK"
    r"|NOK|DKK|PLN|CZK))?\s?"
    r"(?<![\d.,/])(?P<number>\d{1,3}(?:[.,']\d{3})+[.,]\s?\d{2}|\d+[.,]\s?\d{2})(?!\d)"
    r"\s?(?P<minus>-)?\s?(?P<after>(?:[€$£¥₹₽₺]|EUR|USD|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN"
    r"|CZK))?\s*(?:[A-Z]{1,2}|[^\w\s]{1,2})?\s*$"
)


def test_the_linear_amount_pattern_finds_what_the_old_one_found() -> None:
    import random

    pieces = [*"0123456789" * 3, *".,'/- \t\xa0*=:AbXZ€$£", "EUR", "USD", "Total ", "x"]
    rng = random.Random(12)
    for _ in range(30000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))).strip()
        old = _QUADRATIC.match(line)
        new = extract._amount_at_end(line)
        assert (old is None) == (new is None), line
        if old is not None and new is not None:
            groups = ("sign", "before", "number", "minus", "after")
            assert [old[name] for name in groups] == [new[1][name] for name in groups], line
            assert old["text"].strip() == new[0].strip(), line


async def test_extraction_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real = ocr.extract_reading

    def extract_reading(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(ocr, "extract_reading", extract_reading)
    receipt = render_pdf(Spec(100, "de", "DejaVuSans.ttf", 22, "EUR"), text_layer=True)
    reading = await read_receipt(receipt.data, receipt.content_type, base_currency="EUR")
    assert reading is not None and reading.total == receipt.total
    assert threads and threading.get_ident() not in threads


# --- M6: no pooled connection held while reading -------------------------------------


async def upload(client: Any, headers: dict[str, str], data: bytes) -> str:
    answer = await client.post(
        "/api/documents/upload/", headers=headers, files={"file": ("receipt", data)}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["document_id"])


async def test_the_reading_api_answers_404_for_the_huge_pdf(client, alice, renders) -> None:
    document_id = await upload(client, alice, blank_pdf())
    answer = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "receipt not found"}
    assert renders == []


async def test_no_pooled_connection_is_held_while_a_document_is_fetched_and_read(
    app, client, alice, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = app.state.database.engine.pool
    store = app.state.store
    held: dict[str, int] = {}
    real_get = store.get

    async def get(key: str) -> bytes:
        held["fetching"] = pool.checkedout()
        return await real_get(key)

    async def read_content(data: bytes, content_type: str, user: Any, hint: Any = None) -> None:
        held["reading"] = pool.checkedout()
        await asyncio.sleep(0)  # a turn of the loop, as the OCR gate's wait is
        held["still reading"] = pool.checkedout()

    document_id = await upload(
        client, alice, render(Spec(1, "en_gb", "DejaVuSans.ttf", 22, "EUR")).data
    )
    monkeypatch.setattr(store, "get", get)
    monkeypatch.setattr(readings, "read_content", read_content)
    assert pool.checkedout() == 0
    answer = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert answer.status_code == 404  # the fake read no receipt, and that was stored
    assert held == {"fetching": 0, "reading": 0, "still reading": 0}
    again = await client.get(f"/api/documents/{document_id}/reading/", headers=alice)
    assert again.status_code == 404
    assert "fetching" in held and len(held) == 3


async def test_more_readings_at_once_than_the_pool_has_connections_all_complete(
    app, client, alice, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = app.state.database.engine.pool
    count = pool.size() + 2
    inside = 0
    everyone = asyncio.Event()

    async def read_content(data: bytes, content_type: str, user: Any, hint: Any = None) -> None:
        nonlocal inside
        inside += 1
        if inside == count:
            everyone.set()
        # Only a guard against hanging for ever: all of them are in here at once.
        await asyncio.wait_for(everyone.wait(), timeout=60)

    picture = render(Spec(1, "en_gb", "DejaVuSans.ttf", 22, "EUR")).data
    documents = [await upload(client, alice, picture) for _ in range(count)]
    monkeypatch.setattr(readings, "read_content", read_content)
    answers = await asyncio.gather(
        *(client.get(f"/api/documents/{d}/reading/", headers=alice) for d in documents)
    )
    assert [answer.status_code for answer in answers] == [404] * count
    assert inside == count
