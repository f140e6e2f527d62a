"""Charts as SVG text, for the printed report and the page alike. Pure: the caller gives the words.

Vector output keeps the PDF sharp at any zoom and small; text stays text, so it is searchable and
embedded with the report's own CJK font.
"""
from html import escape

# The report's serif print face first, as its body text (render.print_font_css).
FONT = "'Noto Serif CJK SC', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', serif"
# A chart fills the A4 page's content width (210 − 2 × 16 mm ≈ 504 pt, annual.html's @page), so at this
# width one unit prints as one point and the sizes below are print sizes: no label under 8 pt.
WIDTH = 504
TITLE, LABEL, NOTE = 11, 8.5, 10
BAR = "#2b6cb0"
COLOURS = {"closed": "#38a169", "open": "#dd6b20"}


def _text(x, y, content, size=10, anchor="middle", weight="normal", fill="#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}" font-family="{FONT}">{escape(str(content))}</text>')


def rate_by_month(rates: list[tuple[str, float | None]], title: str, empty: str,
                  width: int = WIDTH, height: int = 190) -> str:
    """Bars of a rate (0…1) per month; a month with nothing due gets no bar, only its label."""
    left, right, top, bottom = 34, 6, 30, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             _text(width / 2, 14, title, size=TITLE, weight="bold")]
    for percent in (0, 50, 100):
        y = top + plot_h * (1 - percent / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.5"/>')
        parts.append(_text(left - 4, y + 3, f"{percent}%", size=LABEL, anchor="end"))
    slot = plot_w / max(len(rates), 1)
    for index, (label, rate) in enumerate(rates):
        x = left + index * slot
        if rate is not None:
            bar_h = plot_h * rate
            parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot_h - bar_h:.1f}" width="{slot * 0.7:.1f}" '
                         f'height="{bar_h:.1f}" fill="{BAR}"/>')
            parts.append(_text(x + slot / 2, top + plot_h - bar_h - 3, f"{rate * 100:.0f}%", size=LABEL))
        parts.append(_text(x + slot / 2, height - bottom + 14, label, size=LABEL))
    if all(rate is None for _label, rate in rates):
        # Midway between the 100 % and 50 % lines, clear of both.
        parts.append(_text(width / 2, top + plot_h / 4 + NOTE / 3, empty, size=NOTE, fill="#777"))
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(rows: list[tuple[str, dict]], series: list[tuple[str, str]], title: str, empty: str,
                 width: int = WIDTH, height: int = 170) -> str:
    """Horizontal bars, one per row, split into the series (key, label): findings by severity and status."""
    left, right, top = 70, 20, 40
    total_max = max((sum(values.get(key, 0) for key, _label in series) for _row, values in rows), default=0)
    row_h = (height - top - 10) / max(len(rows), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             _text(width / 2, 14, title, size=TITLE, weight="bold")]
    legend_x = left
    for key, label in series:
        parts.append(f'<rect x="{legend_x}" y="24" width="10" height="10" fill="{COLOURS.get(key, BAR)}"/>')
        parts.append(_text(legend_x + 14, 33, label, size=LABEL, anchor="start"))
        legend_x += 20 + LABEL * len(label) + 20
    for index, (label, values) in enumerate(rows):
        y = top + index * row_h
        parts.append(_text(left - 6, y + row_h / 2 + 3, label, size=LABEL, anchor="end"))
        x = left
        for key, _series_label in series:
            value = values.get(key, 0)
            if value and total_max:
                bar_w = (width - left - right - 30) * value / total_max
                parts.append(f'<rect x="{x:.1f}" y="{y + row_h * 0.2:.1f}" width="{bar_w:.1f}" '
                             f'height="{row_h * 0.6:.1f}" fill="{COLOURS.get(key, BAR)}"/>')
                x += bar_w
        total = sum(values.get(key, 0) for key, _series_label in series)
        parts.append(_text(x + 4, y + row_h / 2 + 3, total, size=LABEL, anchor="start"))
    if not total_max:
        parts.append(_text(width / 2, top + (height - top) / 2, empty, size=NOTE, fill="#777"))
    parts.append("</svg>")
    return "".join(parts)
