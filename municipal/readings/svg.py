"""The year in water as SVG text for the printed report: each day's highest level as a line, the flood
limit and normal level as dashed lines, each day's rainfall as bars beneath. Pure: the caller gives the
series and the words."""
from html import escape

FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif"
WIDTH = 504  # the A4 page's content width in points (annual.html's @page), as reports/charts.py
LABEL = 8.5
LEVEL, RAIN = "#2b6cb0", "#63b3ed"
LINES = {"flood_limit": "#c53030", "normal": "#2f855a"}


def _text(x, y, content, size=LABEL, anchor="middle", fill="#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-family="{FONT}">{escape(str(content))}</text>')


def year_chart(days: int, levels: list[tuple[int, float]], rain: list[tuple[int, float]], lines: dict,
               words: dict, months: list[tuple[int, str]], height: int = 230) -> str:
    """`levels` and `rain`: (day of the year from 0, value); `lines`: {name: level or None}; `words`: title,
    level and rain axis labels, and each line's name; `months`: (day index, label) ticks."""
    left, right, top = 40, 8, 28
    level_h, gap, rain_h, bottom = 112, 14, 44, 18
    plot_w = WIDTH - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(words["title"])}">',
             _text(WIDTH / 2, 14, words["title"], size=11)]

    def x_of(day):
        return left + plot_w * (day + 0.5) / max(days, 1)

    values = [v for _d, v in levels] + [v for v in lines.values() if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = max((high - low) * 0.08, 0.1)
    low, high = low - pad, high + pad

    def y_of(value):
        return top + level_h * (1 - (value - low) / (high - low))

    for tick in (low + pad, (low + high) / 2, high - pad):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#ddd" stroke-width="0.5"/>')
        parts.append(_text(left - 3, y + 3, f"{tick:.1f}", anchor="end"))
    parts.append(_text(left - 3, top - 6, words["level"], anchor="start"))
    legend_x = left + 70
    for name, colour in LINES.items():
        value = lines.get(name)
        if value is None:
            continue
        y = y_of(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{colour}" '
                     f'stroke-width="1" stroke-dasharray="5 3"/>')
        parts.append(f'<line x1="{legend_x}" y1="{top - 9}" x2="{legend_x + 14}" y2="{top - 9}" stroke="{colour}" '
                     f'stroke-dasharray="5 3"/>')
        parts.append(_text(legend_x + 17, top - 6, f"{words[name]} {value:g} m", anchor="start"))
        legend_x += 150
    run = []
    for day, value in levels:
        if run and day != run[-1][0] + 1:  # days without a reading break the line
            parts.append(_polyline(run, x_of, y_of))
            run = []
        run.append((day, value))
    if run:
        parts.append(_polyline(run, x_of, y_of))
    rain_top = top + level_h + gap
    most = max((v for _d, v in rain), default=0) or 1
    parts.append(_text(left - 3, rain_top + 8, words["rain"], anchor="start"))
    parts.append(_text(left - 3, rain_top + rain_h, "0", anchor="end"))
    parts.append(_text(left - 3, rain_top + 12, f"{most:.0f}", anchor="end"))
    bar_w = max(plot_w / max(days, 1) * 0.8, 0.6)
    for day, value in rain:
        bar_h = rain_h * value / most
        parts.append(f'<rect x="{x_of(day) - bar_w / 2:.2f}" y="{rain_top + rain_h - bar_h:.2f}" width="{bar_w:.2f}" '
                     f'height="{bar_h:.2f}" fill="{RAIN}"/>')
    axis_y = rain_top + rain_h
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{WIDTH - right}" y2="{axis_y}" stroke="#999" stroke-width="0.5"/>')
    for day, label in months:
        parts.append(_text(left + plot_w * day / max(days, 1), axis_y + bottom - 5, label, anchor="start"))
    parts.append("</svg>")
    return "".join(parts)


def _polyline(run, x_of, y_of) -> str:
    points = " ".join(f"{x_of(d):.1f},{y_of(v):.2f}" for d, v in run)
    if len(run) == 1:
        return f'<circle cx="{x_of(run[0][0]):.1f}" cy="{y_of(run[0][1]):.2f}" r="1.5" fill="{LEVEL}"/>'
    return f'<polyline points="{points}" fill="none" stroke="{LEVEL}" stroke-width="1.2"/>'
