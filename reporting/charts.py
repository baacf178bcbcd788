"""Inline SVG bar charts: the HTML report stays one self-contained file (no JS, no network).

Every label is escaped here, so data (node ids, channels, reasons) can never inject markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#2563eb", "#9ca3af", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed")
WIDTH = 640
FONT = "font-family='system-ui, sans-serif' font-size='12'"

Formatter = Callable[[float], str]


def _number(value: float) -> str:
    return f"{value:,.2f}"


def _legend(names: Sequence[str], y: float) -> str:
    parts, x = [], 0.0
    for i, name in enumerate(names):
        parts.append(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='10' height='10' fill='{PALETTE[i % 6]}'/>"
            f"<text x='{x + 14:.1f}' y='{y + 9:.1f}' {FONT}>{escape(name)}</text>"
        )
        x += 24 + 7 * len(name)
    return "".join(parts)


def _svg(height: float, title: str, body: str, width: int = WIDTH) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height:.0f}' "
        f"width='100%' style='max-width:{width}px' role='img' aria-label='{escape(title)}'>"
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def hbar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    fmt: Formatter = _number,
    label_width: int = 170,
    width: int = WIDTH,
    scale_to: float = 0.0,
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series (None = no bar).

    Bars scale to the largest value, or to ``scale_to`` when larger (1.0 for shares, so a
    30 % bar never looks full).
    """
    bar, gap = 14, 10
    group = bar * len(series) + gap
    legend = 22 if len(series) > 1 else 0
    values = [abs(v) for _, vs in series for v in vs if v is not None]
    top = max(*values, scale_to, 0.0) or 1.0
    span = width - label_width - 80
    parts = [_legend([name for name, _ in series], 0)] if legend else []
    for i, label in enumerate(labels):
        y0 = legend + i * group
        parts.append(
            f"<text x='{label_width - 8}' y='{y0 + group / 2:.1f}' text-anchor='end' "
            f"dominant-baseline='middle' {FONT}>{escape(str(label))}</text>"
        )
        for j, (name, vs) in enumerate(series):
            value = vs[i]
            y = y0 + j * bar
            if value is None:
                parts.append(
                    f"<text x='{label_width}' y='{y + 11}' {FONT} fill='#6b7280'>n/a</text>"
                )
                continue
            w = max(span * abs(value) / top, 1.0 if value else 0.0)
            parts.append(
                f"<rect x='{label_width}' y='{y}' width='{w:.1f}' height='{bar - 2}' "
                f"fill='{PALETTE[j % 6]}'><title>{escape(f'{label} — {name}: {fmt(value)}')}"
                f"</title></rect><text x='{label_width + w + 4:.1f}' y='{y + 11}' {FONT}>"
                f"{escape(fmt(value))}</text>"
            )
    return _svg(legend + len(labels) * group + 4, title, "".join(parts), width)


def column_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    fmt: Formatter = _number,
    x_title: str = "",
    width: int = 480,
) -> str:
    """Vertical bars for a distribution (e.g. orders per parcel count, units per delivery day)."""
    height, base, top_pad = 220, 180, 18
    n = max(len(labels), 1)
    slot = (width - 40) / n
    top = max(values, default=0.0) or 1.0
    parts = [f"<line x1='20' y1='{base}' x2='{width - 20}' y2='{base}' stroke='#9ca3af'/>"]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (base - top_pad) * value / top
        x = 20 + i * slot + slot * 0.15
        w = slot * 0.7
        parts.append(
            f"<rect x='{x:.1f}' y='{base - h:.1f}' width='{w:.1f}' height='{h:.1f}' "
            f"fill='{PALETTE[0]}'><title>{escape(f'{label}: {fmt(value)}')}</title></rect>"
            f"<text x='{x + w / 2:.1f}' y='{base - h - 4:.1f}' text-anchor='middle' {FONT}>"
            f"{escape(fmt(value))}</text>"
            f"<text x='{x + w / 2:.1f}' y='{base + 16}' text-anchor='middle' {FONT}>"
            f"{escape(str(label))}</text>"
        )
    if x_title:
        parts.append(
            f"<text x='{width / 2}' y='{height - 4}' text-anchor='middle' {FONT} "
            f"fill='#4b5563'>{escape(x_title)}</text>"
        )
    return _svg(height, title, "".join(parts), width)
