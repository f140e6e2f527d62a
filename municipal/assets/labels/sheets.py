"""Printable QR labels for asset identity codes, rendered to PDF with ReportLab.

QR symbols are drawn as vector paths straight from the module matrix, so they
stay sharp at any print resolution. Chinese text uses WenQuanYi Micro Hei,
embedded as a TrueType subset so the PDF shows correctly in every viewer.

Call ``render_labels`` inside a Flask app context: captions are translated
with Flask-Babel into the request's language.
"""

import io
import os
import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from typing import Callable, Optional

from flask_babel import gettext as _
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ..identity.qr import QUIET_ZONE, dark_runs, qr_matrix

FONT = "WenQuanYiMicroHei"
MONO_FONT = "WenQuanYiMicroHeiMono"

# Where distributions install fonts-wqy-microhei (Debian/Ubuntu, Fedora, Arch).
_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)
_FONT_FILE = "wqy-microhei.ttc"

INK = HexColor("#1a1a1a")
MUTED = HexColor("#555555")
# The blue of Chinese municipal and road signage.
SIGN_BLUE = HexColor("#1b4f9c")

# WenQuanYi has no bold face; filling and stroking the outlines (text render
# mode 2) with this stroke width, as a fraction of the font size, stands in.
_FAUX_BOLD = 0.035
# Top of CJK ideographs above the baseline, as a fraction of the font size;
# used to hang text from a top edge.
_ASCENT = 0.86
# What a line may not be broken inside of. Chinese breaks between any two
# characters, but a run of Latin letters or digits stays whole together with
# the character after it ("DN800", "283号"), and closing punctuation never
# starts a line.
_CLOSING = "，。、；：！？）》」”’…,.;:!?)"
_BREAK_UNIT = re.compile(rf"[A-Za-z0-9]+[^\sA-Za-z0-9]?[{_CLOSING}]*|\s+|.[{_CLOSING}]*")


@dataclass(frozen=True)
class LabelPerson:
    """A responsible person as a nameplate prints them, with the phone given for 公示."""

    role: str
    name: str
    unit: str
    position: str
    phone: str


@dataclass
class LabelItem:
    """One label to print: the asset's code, the URL its QR encodes, and captions."""

    code: str
    url: str
    name: str
    type_label: str
    owner_unit: str = ""
    maintenance_unit: str = ""
    area: str = ""
    persons: list = field(default_factory=list)


@dataclass(frozen=True)
class LabelPreset:
    """A kind of label: page size, label grid, QR size and error correction.

    Lengths are in millimetres. ``qr_mm`` is the side of the QR symbol
    including its four-module quiet zone. Labels fill the page row by row from
    the top-left corner at ``margin_mm`` (left, top).
    """

    name: str
    page_mm: tuple[float, float]
    label_mm: tuple[float, float]
    columns: int
    rows: int
    margin_mm: tuple[float, float]
    qr_mm: float
    ec: str
    draw: Callable[[Canvas, LabelItem, list[list[bool]], float, float], None]

    @property
    def per_page(self) -> int:
        """Number of labels on one page."""
        return self.columns * self.rows

    def slot_origin(self, slot: int) -> tuple[float, float]:
        """Return the lower-left corner, in points, of the label in ``slot`` on its page."""
        column, row = slot % self.columns, slot // self.columns
        x = (self.margin_mm[0] + column * self.label_mm[0]) * mm
        y = (self.page_mm[1] - self.margin_mm[1] - (row + 1) * self.label_mm[1]) * mm
        return x, y


def _find_font_file() -> str:
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "WenQuanYi Micro Hei"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    # fc-match answers with a substitute when the font is missing, so only
    # trust it when it names the WenQuanYi collection itself.
    candidates = ([found] if os.path.basename(found) == _FONT_FILE else []) + list(_FONT_PATHS)
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise RuntimeError(
        "Label PDFs need the WenQuanYi Micro Hei font (Debian package fonts-wqy-microhei), "
        "which was not found. Run scripts/install_system_deps.sh to install it."
    )


@cache
def _register_fonts() -> None:
    # Parsing the font collection takes a noticeable fraction of a second, so
    # do it once per process, and only when labels are first rendered.
    path = _find_font_file()
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    pdfmetrics.registerFont(TTFont(MONO_FONT, path, subfontIndex=1))


def _draw_qr(c: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw the symbol with its quiet zone in the square at (x, y) of side ``size``."""
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    # One path of integer-coordinate rectangles per symbol, written as raw PDF
    # operators: building it through ReportLab's path objects formats every
    # number separately and was several times slower than encoding the QR.
    rects = " ".join(f"{col} {row} {n} 1 re" for row, col, n in dark_runs(matrix))
    c.saveState()
    # Scale to one unit per module and flip the y axis so matrix rows count
    # downwards from the top of the symbol.
    c.transform(module, 0, 0, -module, x + QUIET_ZONE * module, y + size - QUIET_ZONE * module)
    c.setFillColor(black)
    c.addLiteral(f"{rects} f")
    c.restoreState()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``, at the units of ``_BREAK_UNIT``."""
    lines, line = [], ""
    for unit in _BREAK_UNIT.findall(text):
        if line and pdfmetrics.stringWidth(line + unit, font, size) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
        # A unit wider than a whole line has to be split somewhere.
        while len(line) > 1 and pdfmetrics.stringWidth(line, font, size) > width:
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fit(text: str, font: str, sizes: tuple[float, float], width: float,
         max_lines: int = 1) -> tuple[float, list[str]]:
    """Return a font size between ``sizes`` (largest, smallest) and the lines of ``text`` at it.

    Shrinking by up to a fifth is preferred to wrapping, which would leave a
    character or two alone on a second line; wrapped lines are balanced.
    Text that does not fit even at the smallest size is cut short with "…".
    """
    largest, smallest = sizes
    size = largest
    while size - 0.5 >= max(largest * 0.8, smallest) and (
            pdfmetrics.stringWidth(text, font, size) > width):
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return size, [text]

    size = largest
    lines = _wrap(text, font, size, width)
    while len(lines) > max_lines and size - 0.5 >= smallest:
        size -= 0.5
        lines = _wrap(text, font, size, width)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        return size, lines[:max_lines - 1] + [last.rstrip() + "…"]
    # Widen from an even share of the text until it fits in as many lines.
    target = pdfmetrics.stringWidth(text, font, size) / len(lines)
    while len(balanced := _wrap(text, font, size, target)) > len(lines):
        target += size / 2
    return size, balanced


def _text(c: Canvas, x: float, y: float, text: str, font: str, size: float, color: Color,
          bold: bool = False, centred: bool = False) -> None:
    c.setFont(font, size)
    c.setFillColor(color)
    mode = None
    if bold:
        c.setStrokeColor(color)
        c.setLineWidth(size * _FAUX_BOLD)
        mode = 2
    if centred:
        c.drawCentredString(x, y, text, mode=mode)
    else:
        c.drawString(x, y, text, mode=mode)


def _draw_sheet_label(c: Canvas, item: LabelItem, matrix: list[list[bool]],
                      x: float, y: float) -> None:
    preset = PRESETS["sheet"]
    width, height = preset.label_mm[0] * mm, preset.label_mm[1] * mm
    qr_size = preset.qr_mm * mm
    qr_x, qr_y = x + 1.5 * mm, y + (height - qr_size) / 2
    _draw_qr(c, matrix, qr_x, qr_y, qr_size)

    # Align the text block with the dark part of the symbol, not its quiet zone.
    quiet = qr_size * QUIET_ZONE / (len(matrix) + 2 * QUIET_ZONE)
    top, bottom = qr_y + qr_size - quiet, qr_y + quiet
    left = qr_x + qr_size + 1 * mm
    text_width = x + width - 3 * mm - left

    size, (type_label,) = _fit(item.type_label, FONT, (7.5, 6), text_width)
    baseline = top - size * _ASCENT
    _text(c, left, baseline, type_label, FONT, size, MUTED)

    size, lines = _fit(item.name, FONT, (11, 7.5), text_width, max_lines=2)
    baseline -= 2.5 * mm + size * _ASCENT
    for line in lines:
        _text(c, left, baseline, line, FONT, size, INK, bold=True)
        baseline -= size * 1.25

    size, (caption,) = _fit(_("Scan to view / report"), FONT, (6.5, 5), text_width)
    _text(c, left, bottom + 0.3 * mm, caption, FONT, size, MUTED)

    size, (code,) = _fit(item.code, MONO_FONT, (13, 8), text_width)
    _text(c, left, bottom + 3.8 * mm, code, MONO_FONT, size, INK, bold=True)


def _draw_nameplate(c: Canvas, item: LabelItem, matrix: list[list[bool]],
                    x: float, y: float) -> None:
    preset = PRESETS["nameplate"]
    width, height = preset.label_mm[0] * mm, preset.label_mm[1] * mm
    inset, frame, header, footer = 2.5 * mm, 1.2 * mm, 11 * mm, 9 * mm

    # A blue plate with a white panel: the bands at top and bottom carry the
    # heading and the hotline, the panel keeps the QR on a light background.
    c.setFillColor(SIGN_BLUE)
    c.roundRect(x + inset, y + inset, width - 2 * inset, height - 2 * inset, 3 * mm,
                stroke=0, fill=1)
    panel_x, panel_y = x + inset + frame, y + inset + footer
    panel_w, panel_h = width - 2 * (inset + frame), height - 2 * inset - header - footer
    c.setFillColor(white)
    c.roundRect(panel_x, panel_y, panel_w, panel_h, 1.5 * mm, stroke=0, fill=1)

    heading = _("Municipal facility · %(type)s", type=item.type_label)
    size, (heading,) = _fit(heading, FONT, (15, 10), panel_w - 6 * mm)
    _text(c, x + width / 2, panel_y + panel_h + (header - size * 0.72) / 2, heading,
          FONT, size, white, bold=True, centred=True)
    hotline = _("Supervision hotline: 12345") if item.persons else _("Report problems: 12345 hotline")
    size, (hotline,) = _fit(hotline, FONT, (13, 9), panel_w - 6 * mm)
    _text(c, x + width / 2, y + inset + (footer - size * 0.72) / 2, hotline,
          FONT, size, white, bold=True, centred=True)

    qr_size = preset.qr_mm * mm
    qr_x, qr_y = panel_x + 1 * mm, panel_y + panel_h - 1 * mm - qr_size
    _draw_qr(c, matrix, qr_x, qr_y, qr_size)
    # The caption sits below the quiet zone, never inside it.
    size, (caption,) = _fit(_("Scan to view / report"), FONT, (8, 6), qr_size)
    _text(c, qr_x + qr_size / 2, panel_y + 2 * mm, caption, FONT, size, MUTED,
          centred=True)

    quiet = qr_size * QUIET_ZONE / (len(matrix) + 2 * QUIET_ZONE)
    left = qr_x + qr_size + 1 * mm
    text_width = panel_x + panel_w - 3 * mm - left

    # One line when the persons need the room below.
    size, lines = _fit(item.name, FONT, (18, 12), text_width, max_lines=1 if item.persons else 2)
    baseline = qr_y + qr_size - quiet - size * _ASCENT
    for line in lines:
        _text(c, left, baseline, line, FONT, size, INK, bold=True)
        baseline -= size * 1.2

    baseline -= 2.5 * mm
    _text(c, left, baseline, _("Facility code"), FONT, 7.5, MUTED)
    size, (code,) = _fit(item.code, MONO_FONT, (19, 12), text_width)
    baseline -= size * _ASCENT + 1 * mm
    _text(c, left, baseline, code, MONO_FONT, size, INK, bold=True)

    details = [
        _("Owner: %(unit)s", unit=item.owner_unit) if item.owner_unit else "",
        _("Maintained by: %(unit)s", unit=item.maintenance_unit) if item.maintenance_unit else "",
        _("Area: %(area)s", area=item.area) if item.area else "",
    ]
    baseline -= 2 * mm
    if item.persons:
        # The responsible persons take the room of the units and the area: the law asks for them, and the
        # public card behind the QR code names the units.
        details = []
    for detail in filter(None, details):
        size, (detail,) = _fit(detail, FONT, (9, 6.5), text_width)
        baseline -= size * 1.5
        _text(c, left, baseline, detail, FONT, size, INK)
    for person in item.persons:
        size, (line,) = _fit(f"{person.role} {person.name} {person.phone}".strip(), FONT, (7.5, 5.5), text_width)
        baseline -= size * 1.45
        _text(c, left, baseline, line, FONT, size, INK, bold=True)
        unit = " ".join(filter(None, (person.unit, person.position)))
        if unit:
            size, (unit,) = _fit(unit, FONT, (6.5, 5), text_width)
            baseline -= size * 1.3
            _text(c, left, baseline, unit, FONT, size, MUTED)


PRESETS: dict[str, LabelPreset] = {
    # A4 sheet of 24 die-cut 70 × 37 mm labels (Avery 3474 layout).
    "sheet": LabelPreset(
        name="sheet", page_mm=(210, 297), label_mm=(70, 37), columns=3, rows=8,
        margin_mm=(0, 0.5), qr_mm=33, ec="Q", draw=_draw_sheet_label,
    ),
    # One 120 × 80 mm outdoor plate per page. EC H survives dirt and
    # scratches; 46 mm keeps modules over 1 mm up to version 5 (37 modules),
    # for scanning from half a metre.
    "nameplate": LabelPreset(
        name="nameplate", page_mm=(120, 80), label_mm=(120, 80), columns=1, rows=1,
        margin_mm=(0, 0), qr_mm=46, ec="H", draw=_draw_nameplate,
    ),
}


def render_labels(items: list[LabelItem], preset: str = "sheet",
                  progress: Optional[Callable[[int, int], None]] = None) -> bytes:
    """Render ``items`` as labels laid out by ``preset`` and return the PDF.

    ``progress``, if given, is called as ``progress(done, total)`` after each
    label. Raises ``ValueError`` for an unknown preset and ``RuntimeError``
    when the Chinese font is not installed. Needs a Flask app context.
    """
    try:
        spec = PRESETS[preset]
    except KeyError:
        raise ValueError(
            f"unknown label preset {preset!r}; choose one of: {', '.join(PRESETS)}"
        ) from None
    _register_fonts()

    out = io.BytesIO()
    # The initial font must be ours: ReportLab's default, Helvetica, would be
    # referenced on every page without being embedded.
    c = Canvas(out, pagesize=(spec.page_mm[0] * mm, spec.page_mm[1] * mm),
               initialFontName=FONT, pageCompression=1)
    # Viewers show the title in their tab; ReportLab's defaults are
    # "untitled", "anonymous" and "unspecified".
    c.setTitle(_("QR labels"))
    c.setAuthor("")
    c.setSubject("")
    c.setCreator("municipal")
    total = len(items)
    for index, item in enumerate(items):
        slot = index % spec.per_page
        if index and slot == 0:
            c.showPage()
        x, y = spec.slot_origin(slot)
        spec.draw(c, item, qr_matrix(item.url, spec.ec), x, y)
        if progress is not None:
            progress(index + 1, total)
    c.save()
    return out.getvalue()
