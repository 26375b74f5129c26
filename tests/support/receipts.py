"""Receipts drawn with Pillow (and one PDF with a text layer), each with the truth it shows.

Every receipt comes from a fixed seed, so a miss in the table test is reproducible.
Fonts: the DejaVu family when Debian's fonts-dejavu-core is there, and Pillow's own
default font always.
"""

import io
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = [
    "DejaVuSans.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
]
CENT = Decimal("0.01")


def font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / name
    if name == "default" or not path.exists():
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)


@dataclass(frozen=True)
class Style:
    """How one language writes a receipt."""

    total_label: str
    decimal_comma: bool
    date_format: str  # strftime pattern
    locale_hint: str | None
    subtotal_label: str | None = None
    tax_label: str | None = None
    paid_label: str | None = None
    change_label: str | None = None


STYLES = {
    "en_us": Style("TOTAL", False, "%m/%d/%Y", "en_US", "Subtotal", "Sales tax", "Cash", "Change"),
    "en_us_due": Style("Amount due", False, "%b %d, %Y", "en_US", "Subtotal", "Tax"),
    "en_gb": Style("TOTAL", False, "%d/%m/%Y", "en_GB", None, None, "Card", None),
    "en_gb_named": Style("Balance due", False, "%d %b %Y", "en_GB"),
    "de": Style("SUMME", True, "%d.%m.%Y", "de_DE", None, "MwSt 19%", "Gegeben BAR", "Rückgeld"),
    "de_short": Style("Gesamtbetrag", True, "%d.%m.%y", "de_DE", "Zwischensumme"),
    "de_zahlen": Style("Zu zahlen", True, "%d.%m.%Y", "de"),
    "fr": Style("Total TTC", True, "%d/%m/%Y", "fr_FR", "Total HT", "TVA 20%"),
    "it": Style("TOTALE", True, "%d/%m/%Y", "it_IT", "Subtotale", None, "Contanti", "Resto"),
    "it_dash": Style("Totale complessivo", True, "%d-%m-%Y", "it"),
    "es": Style("Total a pagar", True, "%d/%m/%Y", "es_ES"),
    "nl": Style("Totaal", True, "%d-%m-%Y", "nl_NL"),
    "iso": Style("TOTAL", False, "%Y-%m-%d", None),
    "unlabelled": Style("", False, "%d/%m/%Y", "en_GB"),
}

MERCHANTS = [
    "BAKERY HOFMANN",
    "CORNER MARKET",
    "GREEN GROCER",
    "CAFE CENTRAL",
    "BOOKSHOP ATLAS",
    "PHARMACY NORD",
    "SUPERMARKT KRAUSE",
    "PIZZERIA ROMA",
    "HARDWARE DEPOT",
    "FRESH FOODS",
]
ITEMS = [
    "Bread",
    "Milk 1L",
    "Coffee beans",
    "Apples",
    "Cheese",
    "Butter",
    "Orange juice",
    "Tomatoes",
    "Rice 1kg",
    "Pasta",
    "Eggs 10",
    "Yogurt",
    "Chocolate",
    "Water 6x1.5L",
    "Notebook",
    "Batteries",
]
# (symbol or code, where it goes); None: no currency printed, the base applies
CURRENCY_MARKS: dict[str, list[tuple[str | None, str]]] = {
    "EUR": [("€", "after"), ("EUR", "after"), ("€", "before"), (None, "")],
    "USD": [("$", "before"), (None, "")],
    "GBP": [("£", "before"), ("GBP", "after")],
    "CHF": [("CHF", "before")],
}


@dataclass
class GeneratedReceipt:
    name: str
    data: bytes
    content_type: str
    total: Decimal
    date: date
    currency: str
    merchant: str
    base_currency: str
    locale_hint: str | None
    items: list[tuple[str, Decimal]] = field(default_factory=list)


def money(value: Decimal, style: Style, mark: str | None = None, where: str = "") -> str:
    text = f"{value:,.2f}"
    if style.decimal_comma:
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    if mark and where == "before":
        return f"{mark}{text}" if len(mark) == 1 else f"{mark} {text}"
    if mark and where == "after":
        return f"{text} {mark}"
    return text


@dataclass(frozen=True)
class Spec:
    seed: int
    style: str
    font_name: str
    size: int
    currency: str
    layout: str = "single"  # single | two_column | wide
    rotation: float = 0.0
    noise: float = 0.0
    blur: bool = False
    jpeg: bool = False
    base_currency: str = "EUR"


def _content(spec: Spec) -> tuple[list[tuple[str, str]], GeneratedReceipt]:
    """The rows of the receipt as (left, right) pairs, and its truth."""
    rng = random.Random(spec.seed)
    style = STYLES[spec.style]
    mark, where = rng.choice(CURRENCY_MARKS[spec.currency])
    if spec.font_name == "default" and mark in ("€", "£"):
        # Pillow's own font has no glyph for these: it would print a box
        mark, where = spec.currency, "after"
    merchant = rng.choice(MERCHANTS)
    day = date(2025, rng.randint(1, 12), rng.randint(1, 28))
    if spec.style in ("en_us", "en_gb", "de", "fr", "it", "nl"):
        # Make DD/MM vs MM/DD matter: a day of 12 or less reads both ways.
        day = day.replace(day=rng.randint(2, 12))
    count = rng.randint(3, 7)
    items = [
        (rng.choice(ITEMS), (Decimal(rng.randint(49, 2999)) / 100).quantize(CENT))
        for _ in range(count)
    ]
    subtotal = sum((amount for _, amount in items), Decimal(0))
    tax = Decimal(0)
    if style.tax_label and spec.style in ("en_us", "en_us_due", "fr"):
        tax = (subtotal * Decimal("0.08")).quantize(CENT)
    total = subtotal + tax
    rows: list[tuple[str, str]] = [(merchant, "")]
    rows.append((f"{rng.randint(1, 99)} Main Street", ""))
    rows.append((f"Tel. 0{rng.randint(100, 999)} {rng.randint(100000, 999999)}", ""))
    rows.append(("", ""))
    stamp = day.strftime(style.date_format)
    clock = f"{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"
    rows.append((stamp, clock))
    rows.append(("", ""))
    for name, amount in items:
        rows.append((name, money(amount, style)))
    rows.append(("", ""))
    if style.subtotal_label:
        rows.append((style.subtotal_label, money(subtotal, style)))
    if style.tax_label:
        shown_tax = tax if tax else (total * Decimal("0.19") / Decimal("1.19")).quantize(CENT)
        rows.append((style.tax_label, money(shown_tax, style)))
    if style.total_label:
        rows.append((style.total_label, money(total, style, mark, where)))
    else:
        rows.append(("", money(total, style, mark, where)))
    if style.paid_label:
        paid = (total / 10).to_integral_value() * 10 + 10 if style.change_label else total
        rows.append((style.paid_label, money(paid, style)))
        if style.change_label:
            rows.append((style.change_label, money(paid - total, style)))
    rows.append(("", ""))
    rows.append(("Thank you!", ""))
    truth = GeneratedReceipt(
        name=(
            f"{spec.seed:02d}-{spec.style}-{spec.font_name.removesuffix('.ttf')}-{spec.size}"
            f"-{spec.layout}-r{spec.rotation:g}"
        ),
        data=b"",
        content_type="image/png",
        total=total,
        date=day,
        currency=spec.currency,
        merchant=merchant,
        base_currency=spec.base_currency,
        locale_hint=style.locale_hint,
        items=items,
    )
    return rows, truth


def _draw(rows: list[tuple[str, str]], spec: Spec) -> Image.Image:
    face = font(spec.font_name, spec.size)
    big = font(spec.font_name, int(spec.size * 1.4))
    width = {"single": spec.size * 20, "two_column": spec.size * 34, "wide": spec.size * 40}[
        spec.layout
    ]
    line = int(spec.size * 1.45)
    margin = spec.size
    height = margin * 2 + line * (len(rows) + 2)
    image = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(image)
    y = margin
    for index, (left, right) in enumerate(rows):
        if index == 0:
            # The merchant, large and centred as on a till roll
            box = draw.textbbox((0, 0), left, font=big)
            draw.text(((width - (box[2] - box[0])) // 2, y), left, font=big, fill=20)
            y += int(line * 1.4)
            continue
        draw.text((margin, y), left, font=face, fill=20)
        if right:
            box = draw.textbbox((0, 0), right, font=face)
            draw.text((width - margin - (box[2] - box[0]), y), right, font=face, fill=20)
        y += line
    return image


def _two_column(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Address left and the date right on one row; the rest as it was."""
    merchant, street, phone, _, stamp_row, *rest = rows
    return [merchant, (street[0], stamp_row[0]), (phone[0], stamp_row[1]), ("", ""), *rest]


def _degrade(image: Image.Image, spec: Spec) -> Image.Image:
    rng = random.Random(spec.seed * 7 + 1)
    if spec.noise:
        pixels = image.load()
        assert pixels is not None
        width, height = image.size
        for _ in range(int(width * height * spec.noise)):
            x, y = rng.randrange(width), rng.randrange(height)
            pixels[x, y] = rng.choice((0, 255))
    if spec.blur:
        image = image.filter(ImageFilter.GaussianBlur(0.8))
    if spec.rotation:
        image = image.rotate(
            spec.rotation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=250
        )
    return image


def render(spec: Spec) -> GeneratedReceipt:
    rows, truth = _content(spec)
    if spec.layout == "two_column":
        rows = _two_column(rows)
    image = _degrade(_draw(rows, spec), spec)
    buffer = io.BytesIO()
    if spec.jpeg:
        image.save(buffer, "JPEG", quality=80)
        truth.content_type = "image/jpeg"
    else:
        image.save(buffer, "PNG")
    truth.data = buffer.getvalue()
    return truth


def render_pdf(spec: Spec, *, text_layer: bool) -> GeneratedReceipt:
    """A receipt as a PDF: with a real text layer (fpdf2), or a scan with only a picture."""
    rows, truth = _content(spec)
    truth.content_type = "application/pdf"
    truth.name = f"{truth.name}-pdf-{'text' if text_layer else 'scan'}"
    if not text_layer:
        image = _degrade(_draw(rows, spec), spec).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, "PDF", resolution=150)
        truth.data = buffer.getvalue()
        return truth
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(226, 14 * len(rows) + 80))
    pdf.add_font("DejaVu", fname=str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("DejaVu", size=9)
    y = 30.0
    for left, right in rows:
        pdf.set_xy(12, y)
        pdf.cell(120, 12, left)
        if right:
            pdf.set_xy(110, y)
            pdf.cell(104, 12, right, align="R")
        y += 14
    truth.data = bytes(pdf.output())
    return truth


FONT_CYCLE = [*FONT_FILES, "default"]
STYLE_CYCLE = list(STYLES)


def receipt_specs() -> list[Spec]:
    """About three dozen receipts that vary font, size, layout, language, currency and damage."""
    specs = []
    currencies = {"en_us": "USD", "en_us_due": "USD", "en_gb": "GBP", "en_gb_named": "GBP"}
    for seed in range(32):
        style = STYLE_CYCLE[seed % len(STYLE_CYCLE)]
        currency = currencies.get(style, "CHF" if seed % 11 == 5 else "EUR")
        specs.append(
            Spec(
                seed=seed,
                style=style,
                font_name=FONT_CYCLE[seed % len(FONT_CYCLE)],
                size=(18, 22, 26, 30)[seed % 4],
                currency=currency,
                layout=("single", "single", "two_column", "wide")[(seed // 3) % 4],
                rotation=(0.0, 1.5, -2.5, 0.0, 3.5, -1.0)[seed % 6],
                noise=0.004 if seed % 5 == 3 else 0.0,
                blur=seed % 7 == 4,
                jpeg=seed % 4 == 1,
                base_currency="USD" if currency == "USD" else "EUR",
            )
        )
    return specs


def generated_receipts() -> list[GeneratedReceipt]:
    receipts = [render(spec) for spec in receipt_specs()]
    receipts.append(render_pdf(Spec(100, "de", "DejaVuSans.ttf", 22, "EUR"), text_layer=True))
    receipts.append(
        render_pdf(
            Spec(101, "en_us", "DejaVuSans.ttf", 22, "USD", base_currency="USD"), text_layer=True
        )
    )
    receipts.append(render_pdf(Spec(102, "fr", "DejaVuSerif.ttf", 24, "EUR"), text_layer=False))
    return receipts


def landscape_picture() -> bytes:
    """A picture with no text: sky, sun, hills."""
    image = Image.new("RGB", (1200, 800), (120, 170, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((900, 80, 1040, 220), fill=(250, 220, 80))
    draw.polygon(
        [(0, 800), (0, 500), (300, 380), (650, 520), (1000, 420), (1200, 480), (1200, 800)],
        fill=(60, 130, 60),
    )
    draw.rectangle((200, 560, 320, 680), fill=(150, 80, 40))
    rng = random.Random(5)
    for _ in range(200):
        x, y = rng.randrange(1200), rng.randrange(560, 800)
        draw.line((x, y, x + 2, y - 12), fill=(40, 100, 40), width=2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


WORDS = (
    "the river ran past old mills and quiet fields while people walked slowly toward "
    "town talking about weather books music gardens and the long summer evenings"
).split()


def text_page() -> bytes:
    """A page of plain prose: text, but no receipt."""
    rng = random.Random(9)
    face = font("DejaVuSerif.ttf", 22)
    image = Image.new("L", (1000, 900), 255)
    draw = ImageDraw.Draw(image)
    for row in range(24):
        sentence = " ".join(rng.choice(WORDS) for _ in range(11)).capitalize()
        draw.text((40, 30 + row * 34), sentence, font=face, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def blank_pdf(pages: int = 3, side: int = 14400) -> bytes:
    """A PDF of `pages` blank pages of side x side points, written by hand (about 540 bytes
    for three pages of 14,400 points, 5 m: 60,000 pixels square at 300 dpi)."""
    kids = " ".join(f"{3 + page} 0 R" for page in range(pages))
    bodies = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        *[f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {side} {side}] >>"] * pages,
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    table = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\n".encode()
    return out + f"startxref\n{table}\n%%EOF\n".encode()
