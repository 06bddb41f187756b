"""Charts drawn on the server as small SVG documents (issue #24): no JavaScript, a few hundred
bytes each, printable, and readable by a screen reader (`role="img"` with `<title>` and `<desc>`;
the numbers themselves are also printed as a table under each chart by the template).

Two shapes are enough for the dashboard: horizontal bars (one value per label, longest first) and
stacked columns over time (one column per day or week, one colour per series). Every label and
number is escaped here; callers pass plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_AREA, VALUE_WIDTH = 18, 6, 230, 300, 70
COLUMNS_WIDTH, COLUMNS_HEIGHT, AXIS_LEFT, AXIS_BOTTOM, LEGEND_ROW = 640, 200, 48, 22, 18
# Colour-blind-safe (Okabe-Ito) order; series beyond it repeat, and the table carries the numbers.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass
class Series:
    name: str
    values: list[int]
    colour: str = ""


def _open(width: int, height: int, ident: str, title: str, desc: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}-t {ident}-d">'
            f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>')


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bars(rows: list[tuple[str, int]], *, ident: str, title: str, desc: str) -> SafeString:
    """Horizontal bars, one per (label, value), in the order given; scaled to the largest value."""
    top = max((value for _label, value in rows), default=0) or 1
    height = len(rows) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    parts = [_open(LABEL_WIDTH + BAR_AREA + VALUE_WIDTH, height, ident, title, desc)]
    for i, (label, value) in enumerate(rows):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        width = round(BAR_AREA * value / top, 1)
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(_short(label))}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
                     f'fill="{PALETTE[0]}"/>'
                     f'<text x="{LABEL_WIDTH + width + 4}" y="{y + 13}">{value:,}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def columns(periods: list[str], series: list[Series], *, ident: str, title: str, desc: str) -> SafeString:
    """Stacked columns: periods along the bottom (a few labelled), series stacked in each column,
    a legend of the series underneath and the axis' largest total at its top."""
    totals = [sum(s.values[i] for s in series) for i in range(len(periods))]
    top = max(totals, default=0) or 1
    legend_rows = (len(series) + 3) // 4
    height = COLUMNS_HEIGHT + AXIS_BOTTOM + legend_rows * LEGEND_ROW + 4
    plot = COLUMNS_WIDTH - AXIS_LEFT - 8
    step = plot / max(len(periods), 1)
    width = max(step * 0.8, 1)
    parts = [_open(COLUMNS_WIDTH, height, ident, title, desc),
             f'<text x="{AXIS_LEFT - 4}" y="12" text-anchor="end">{top:,}</text>'
             f'<text x="{AXIS_LEFT - 4}" y="{COLUMNS_HEIGHT}" text-anchor="end">0</text>'
             f'<line x1="{AXIS_LEFT}" y1="{COLUMNS_HEIGHT}" x2="{COLUMNS_WIDTH - 8}" y2="{COLUMNS_HEIGHT}" '
             f'stroke="#777"/>']
    label_every = max(1, round(len(periods) / 6))
    for i, period in enumerate(periods):
        x = round(AXIS_LEFT + i * step + (step - width) / 2, 1)
        y = COLUMNS_HEIGHT
        for n, one in enumerate(series):
            value = one.values[i]
            if not value:
                continue
            h = round((COLUMNS_HEIGHT - 16) * value / top, 1)
            y = round(y - h, 1)
            parts.append(f'<rect x="{x}" y="{y}" width="{round(width, 1)}" height="{h}" '
                         f'fill="{one.colour or PALETTE[n % len(PALETTE)]}"/>')
        if i % label_every == 0:
            parts.append(f'<text x="{x}" y="{COLUMNS_HEIGHT + 15}">{escape(period)}</text>')
    for n, one in enumerate(series):
        x, y = 8 + (n % 4) * 155, COLUMNS_HEIGHT + AXIS_BOTTOM + (n // 4) * LEGEND_ROW
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{one.colour or PALETTE[n % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="{y + 11}">{escape(_short(one.name, 22))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped
