"""Report charts, drawn with matplotlib off the event loop."""

import asyncio
import io
from decimal import Decimal


def _draw(title: str, rows: list[tuple[str, Decimal]], currency: str) -> bytes:
    # Imported here: matplotlib is large, and most processes never draw.
    from matplotlib.figure import Figure  # the OO API: no pyplot, no display

    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.add_subplot()
    names = [name for name, _ in rows][::-1] or ["nothing yet"]
    # Plotting needs floats; the figures in the caption stay exact.
    values = [float(total) for _, total in rows][::-1] or [0.0]
    axes.barh(names, values, color="#3b82f6")
    axes.set_title(title)
    axes.set_xlabel(currency)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def category_chart(title: str, rows: list[tuple[str, Decimal]], currency: str) -> bytes:
    return await asyncio.to_thread(_draw, title, rows, currency)
