"""Receipt photos and PDFs -> text, on this machine: Tesseract through pytesseract, PDFium.

pypdfium2 is the PDF library: one wheel (PDFium, Chrome's engine, built in) both reads a
PDF's text layer and renders a scanned page to a picture, so there is no poppler to install
and no second PDF library. Everything slow runs in a worker thread, at most
OCR_CONCURRENCY at once, so the event loop never waits on it.

No picture is read past MAX_PIXELS, counting every scaling the reading does (SPEC
section 12): a picture's size is checked before it is decoded, a PDF page's before it
is rendered (its render scale comes from the budget), and the clean-up's rotation and
upscaling stay within it; a larger one is not a receipt.
"""

import asyncio
import functools
import io
import logging
import math
import os
import shutil
import threading
import warnings
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np
import pypdfium2 as pdfium
import pytesseract
from PIL import Image, ImageFilter, ImageOps

from core.exceptions import ServiceUnavailable
from core.receipts.extract import extract_reading
from core.receipts.schemas import Reading

log = logging.getLogger("finbot.receipts")

# Each Tesseract then keeps to one core (its OpenMP threads fight each other when
# several run at once, Tesseract's own advice); our semaphore gives the parallelism.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# One Tesseract per core: more only queue for the same cores and hold more memory.
OCR_CONCURRENCY = max(1, os.cpu_count() or 1)
OCR_TIMEOUT_SECONDS = 60
OCR_LANGUAGE = "eng"
# Page segmentation 6, one uniform block: an item and its price far to the right stay on
# one line (mode 4 split wide receipts into a column of names and a column of prices).
TESSERACT_CONFIG = "--psm 6"
# Larger pictures are refused rather than decoded (a 40 MP photo is already huge), and
# no step of the reading (a PDF page's render, the clean-up's rotation and upscaling)
# makes one larger than this either.
MAX_PIXELS = 40_000_000
PDF_MAX_PAGES = 3
PDF_RENDER_DPI = 300
# A page too large for MAX_PIXELS at 300 dpi is rendered at less, but not below this:
# a page that does not fit at 150 dpi (over 3,000 points square, 1 m) is no receipt.
PDF_MIN_RENDER_DPI = 150
# A text layer longer than this (per page) is cut: a receipt is a few hundred characters.
PDF_TEXT_MAX_CHARS = 20_000
# Fewer characters than this in a PDF's text layer: it is a scan, read it by OCR.
PDF_TEXT_MIN_CHARS = 20
# Tesseract reads best when a text line is about this many pixels high.
TARGET_LINE_HEIGHT = 40
MAX_SKEW_DEGREES = 8.0

_gates: "WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = WeakKeyDictionary()
# PDFium is not thread-safe, not even across documents (pypdfium2's own warning): one
# thread of the process uses it at a time. Tesseract, the slow part, runs outside it.
_PDFIUM = threading.Lock()


class TooLarge(ValueError):
    """A picture that would pass MAX_PIXELS: not a receipt, and never made."""


def ocr_available() -> bool:
    """True when Tesseract and its language data are installed (finbot works without them)."""
    return _tesseract_ready(pytesseract.pytesseract.tesseract_cmd)


@functools.lru_cache(maxsize=4)
def _tesseract_ready(command: str) -> bool:
    # Asked once per binary: the answer only changes when someone installs a package.
    if shutil.which(command) is None:
        return False
    try:
        return OCR_LANGUAGE in pytesseract.get_languages()
    except (OSError, RuntimeError):
        return False


def _gate() -> asyncio.Semaphore:
    # One semaphore per event loop: an asyncio primitive belongs to the loop it waits on.
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(OCR_CONCURRENCY)
    return gate


@dataclass(frozen=True)
class PageText:
    text: str
    confidence: float  # in [0, 1]; 1 for a PDF's own text layer


# --- cleaning a picture ---------------------------------------------------------------


def _ink(grey: Image.Image) -> np.ndarray:
    """True where there is ink (darker than the page): one byte a pixel, not a float's four."""
    pixels = np.asarray(grey, dtype=np.uint8)
    threshold = (int(pixels.min()) + int(pixels.max())) // 2
    return pixels < threshold


def _room(width: int, height: int) -> float:
    """The largest scaling (per side) that keeps a width x height picture within MAX_PIXELS."""
    return math.sqrt(MAX_PIXELS / max(1, width * height))


def _check_size(picture: Image.Image) -> Image.Image:
    if picture.width * picture.height > MAX_PIXELS:
        raise TooLarge(f"{picture.width}x{picture.height} pixels")
    return picture


def _turned_size(width: int, height: int, angle: float) -> tuple[int, int]:
    """The size Pillow's rotate(angle, expand=True) gives (its bounding box, rounded out)."""
    cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    return math.ceil(width * cos + height * sin) + 1, math.ceil(width * sin + height * cos) + 1


def _resized(grey: Image.Image, scale: float) -> Image.Image:
    # Rounded down: the result stays within the budget the scale was chosen for.
    size = (max(1, math.floor(grey.width * scale)), max(1, math.floor(grey.height * scale)))
    return _check_size(grey.resize(size, Image.Resampling.LANCZOS))


def estimate_skew(grey: Image.Image) -> float:
    """Degrees to rotate (counter-clockwise) so the text lines lie level.

    The projection-profile method: when the lines are level, rows of ink and rows of
    paper alternate sharply, so the row sums vary the most.
    """
    small = grey.copy()
    small.thumbnail((700, 1400))
    ink = Image.fromarray(_ink(small).astype(np.uint8) * 255)

    def sharpness(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR), np.float32)
        rows = turned.sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    coarse = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.1, 1.0), key=sharpness)
    fine = max(np.arange(coarse - 1.0, coarse + 1.01, 0.25), key=sharpness)
    return float(fine)


def _line_height(grey: Image.Image) -> float | None:
    """The median height of the text lines, from runs of rows that carry ink."""
    ink = _ink(grey)
    rows = np.count_nonzero(ink, axis=1) > max(2.0, ink.shape[1] * 0.004)
    heights: list[int] = []
    run = 0
    for has_ink in rows:
        if has_ink:
            run += 1
        elif run:
            heights.append(run)
            run = 0
    heights = [height for height in heights if height >= 4]
    if not heights:
        return None
    return float(np.median(heights))


def prepare(image: Image.Image) -> Image.Image:
    """Grey, contrast stretched, de-noised, level and at the size Tesseract reads best.

    Never larger than MAX_PIXELS: the levelling's larger canvas and the upscaling for
    small print are kept within it (TooLarge for a picture that is larger already).
    """
    image = _check_size(ImageOps.exif_transpose(image))
    grey = ImageOps.grayscale(image)
    grey = ImageOps.autocontrast(grey, cutoff=1)
    angle = estimate_skew(grey)
    if abs(angle) >= 0.3:
        room = _room(*_turned_size(grey.width, grey.height, angle))
        if room < 1:  # the level picture's corners would take it past the budget
            grey = _resized(grey, room)
        turned = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        grey = _check_size(turned)
    height = _line_height(grey)
    if height:
        wanted = min(3.0, max(0.4, TARGET_LINE_HEIGHT / height))
        scale = min(wanted, _room(grey.width, grey.height))
        if abs(scale - 1) > 0.15:
            grey = _resized(grey, scale)
    # A 3x3 median takes salt-and-pepper specks away and keeps strokes; only after the
    # scaling, so that a small print's decimal point is big enough to survive it.
    return grey.filter(ImageFilter.MedianFilter(3))


# --- Tesseract ------------------------------------------------------------------------


def ocr_picture(image: Image.Image) -> PageText:
    """Tesseract on a cleaned picture: its lines, and the mean confidence of its words."""
    data = pytesseract.image_to_data(
        prepare(image),
        lang=OCR_LANGUAGE,
        config=TESSERACT_CONFIG,
        output_type=pytesseract.Output.DICT,
        timeout=OCR_TIMEOUT_SECONDS,
    )
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for index, word in enumerate(data["text"]):
        word = word.strip()
        confidence = float(data["conf"][index])
        if not word or confidence < 0:
            continue
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        lines.setdefault(key, []).append(word)
        confidences.append(confidence)
    text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
    mean = sum(confidences) / len(confidences) / 100 if confidences else 0.0
    return PageText(text, mean)


def _open_picture(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                return None
            image.load()
    except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None
    return image


def _ocr_or_nothing(image: Image.Image) -> PageText | None:
    try:
        return ocr_picture(image)
    except TooLarge as error:
        log.info("a picture too large to read: %s", error)
        return None
    except RuntimeError as error:  # pytesseract's TesseractError and its time-out
        log.warning("tesseract could not read a picture: %s", error)
        return None


def _read_picture(data: bytes) -> PageText | None:
    image = _open_picture(data)
    return None if image is None else _ocr_or_nothing(image)


# --- PDF ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfLayer:
    """A PDF's own text; or, when it has none (a scan), the render scale of each page to
    read by OCR, its page number first (pages too large for MAX_PIXELS are left out)."""

    text: str | None
    scales: list[tuple[int, float]]


def render_scale(width: float, height: float) -> float | None:
    """The scale to render a page of width x height points at: 300 dpi, or less so that the
    picture stays within MAX_PIXELS; None when even PDF_MIN_RENDER_DPI would not fit."""
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        return None
    lowest = PDF_MIN_RENDER_DPI / 72
    scale = min(PDF_RENDER_DPI / 72, math.sqrt(MAX_PIXELS / (width * height)))
    # PDFium's bitmap is the page's size times the scale, rounded up: a hair less then.
    while scale >= lowest and math.ceil(width * scale) * math.ceil(height * scale) > MAX_PIXELS:
        scale *= 0.995
    return scale if scale >= lowest else None


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        count = min(textpage.count_chars(), PDF_TEXT_MAX_CHARS)
        return textpage.get_text_range(0, count) if count > 0 else ""
    except RecursionError:  # pypdfium2 recurses once per generated char at either end
        return ""
    finally:
        textpage.close()


def _pdf_layer(data: bytes) -> PdfLayer | None:
    """The first pages' text, or how to render them; None when it is no PDF at all."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return None
        try:
            texts = []
            scales = []
            for number in range(min(len(document), PDF_MAX_PAGES)):
                page = document[number]
                try:
                    texts.append(_page_text(page))
                    # Its size, not its pixels: nothing is rendered here.
                    scale = render_scale(*page.get_size())
                finally:
                    page.close()
                if scale is not None:
                    scales.append((number, scale))
        finally:
            document.close()
    text = "\n".join(texts).replace("\r\n", "\n").replace("\r", "\n")
    if sum(not char.isspace() for char in text) >= PDF_TEXT_MIN_CHARS:
        return PdfLayer(text, [])
    return PdfLayer(None, scales)


def _render_page(data: bytes, number: int, scale: float) -> Image.Image | None:
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return None
        try:
            page = document[number]
            try:
                bitmap = page.render(scale=scale, grayscale=True)
                # A copy: the bitmap's memory goes with the document.
                picture = bitmap.to_pil().copy()
                bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    return _check_size(picture)


def _read_pdf_page(data: bytes, number: int, scale: float) -> PageText | None:
    """One scanned page: rendered (one at a time in the process), then read by Tesseract."""
    try:
        picture = _render_page(data, number, scale)
    except TooLarge as error:
        log.info("a PDF page too large to read: %s", error)
        return None
    return None if picture is None else _ocr_or_nothing(picture)


def _require_ocr() -> None:
    if not ocr_available():
        raise ServiceUnavailable("ocr not available")


async def read_text(data: bytes, content_type: str) -> PageText | None:
    """The text of a receipt picture or PDF, or None when it is neither (or unreadable)."""
    if content_type == "application/pdf":
        async with _gate():
            layer = await asyncio.to_thread(_pdf_layer, data)
        if layer is None:
            return None
        if layer.text is not None:
            return PageText(layer.text, 1.0)
        if not layer.scales:  # a scan whose pages are all too large: not a receipt
            return None
        _require_ocr()  # before anything is rendered
        pages = []
        for number, scale in layer.scales:
            # One page at a time, each in its own turn of the gate: at most one page's
            # picture per Tesseract is in memory.
            async with _gate():
                page = await asyncio.to_thread(_read_pdf_page, data, number, scale)
            if page is not None:
                pages.append(page)
        if not pages:
            return None
        return PageText(
            "\n".join(page.text for page in pages),
            sum(page.confidence for page in pages) / len(pages),
        )
    if content_type.startswith("image/"):
        _require_ocr()
        async with _gate():
            return await asyncio.to_thread(_read_picture, data)
    return None


async def read_receipt(
    data: bytes, content_type: str, *, base_currency: str, locale_hint: str | None = None
) -> Reading | None:
    """Read a receipt: its total, currency, date, merchant and lines; None if it is not one.

    Raises ServiceUnavailable("ocr not available") when a picture needs Tesseract and
    Tesseract is not installed (a PDF with a text layer is read all the same).
    """
    page = await read_text(data, content_type)
    if page is None or not page.text.strip():
        return None
    # Off the loop too: a PDF's text layer is anyone's text, and extraction is pure CPU.
    return await asyncio.to_thread(
        extract_reading,
        page.text,
        base_currency=base_currency,
        locale_hint=locale_hint,
        ocr_confidence=page.confidence,
    )
