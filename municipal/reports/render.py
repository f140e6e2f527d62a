"""An annual report as HTML (the print-ready page) and as PDF (WeasyPrint lays out the same HTML).

The page and the PDF come from one template; print CSS gives the PDF its A4 pages, cover, running
headers, page numbers and contents list. Photos and the QR go inline (data URIs and SVG), so the page
needs no further requests and the PDF no file access during layout.
"""
import base64
import functools
import re
import subprocess
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from ..assets.identity.qr import qr_svg, qr_url
from ..assets.models import Asset
from ..assets.types import value_label
from ..calendar import compliance
from ..calendar.engine.wording import EVENT_LABELS, RESULT_LABELS, STANDINGS, kind_msgid
from ..calendar.models import CalendarEvent, CalendarItem
from ..inspections.models import Finding
from ..workorders.checklist_rules import SEVERITIES
from ..workorders.models import WorkOrder
from ..workorders.states import KINDS as WORK_KINDS
from ..workorders.states import STATUSES as WORK_STATUSES
from . import charts
from .measures import SEVERITIES as SEVERITY_ORDER
from .scope import Scope

LANGS = ("zh", "en")
# The families the report's CSS (and charts.FONT) asks for, one of which must be installed: without
# them WeasyPrint falls back, silently, to whatever fontconfig finds, often boxes for every Chinese character.
# The first is the print face (宋体 style, as offices set documents); the sans ones stand in where it is missing.
PRINT_FAMILY = "Noto Serif CJK SC"
CJK_FAMILIES = (PRINT_FAMILY, "Noto Sans CJK SC", "WenQuanYi Micro Hei")


class MissingFont(RuntimeError):
    pass


@functools.cache
def installed_cjk_families() -> tuple[str, ...]:
    """The Chinese-capable font families fontconfig knows, asked once per process (fc-list is WeasyPrint's
    own font source, so what it lists is what the layout gets)."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60,
                                check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(sorted({name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}))


def require_cjk_font() -> None:
    """Refuse to lay out a report that would print without its Chinese font."""
    if not any(family in installed_cjk_families() for family in CJK_FAMILIES):
        raise MissingFont(
            f"No Chinese font for the report: fontconfig (fc-list :lang=zh) lists none of {', '.join(CJK_FAMILIES)}. "
            "Install the fonts-noto-cjk or fonts-wqy-microhei package (scripts/install_system_deps.sh does).")


def print_font_css() -> str:
    """The body's font-family: the serif print face where installed, else the sans faces (and a warning)."""
    families = [family for family in CJK_FAMILIES if family in installed_cjk_families()]
    if families[:1] != [PRINT_FAMILY]:
        current_app.logger.warning("The report's serif face %s is not installed (fonts-noto-cjk); set in sans.",
                                   PRINT_FAMILY)
    return ", ".join(f'"{family}"' for family in families) + (", serif" if families[:1] == [PRINT_FAMILY] else ", sans-serif")


def long_day(value) -> str:
    """A day as a document dates it: 2026年11月26日, 26 November 2026."""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    return format_date(value, "long")


def generator_version() -> str:
    try:
        return f"municipal {version('municipal')}"
    except PackageNotFoundError:
        return "municipal"


def photo_source(path: str | None) -> str | None:
    """A thumbnail as a data URI, or None when the file is not in storage (the page shows a placeholder)."""
    if not path:
        return None
    root = Path(current_app.config["MEDIA_DIR"]).resolve()
    file = (root / path).resolve()
    if root not in file.parents or not file.is_file():
        return None
    return "data:image/jpeg;base64," + base64.b64encode(file.read_bytes()).decode("ascii")


def qr_markup(code: str | None) -> str:
    if not code:
        return ""
    return qr_svg(qr_url(current_app.config["PUBLIC_URL"], code), module_px=3)


def page_counter_css() -> str:
    """"第 x 页 / 共 y 页" as a CSS content value, from the catalogue's words."""
    words = _("Page %(page)s of %(pages)s", page="\x00page\x00", pages="\x00pages\x00")
    pieces = re.split(r"\x00(page|pages)\x00", words)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(f"counter({piece})")
        elif piece:
            out.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(out)


def _rate_text(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _month_rates(by_month) -> list | None:
    """(month label, completion rate) for the chart, or None when no month has a rate yet: a chart saying
    "nothing fell due" under a table of items due would contradict it."""
    rates = [(_("Month %(month)s", month=month), counts.completion_rate) for month, counts in by_month]
    return rates if any(rate is not None for _label, rate in rates) else None


def _facility_chart(entry: dict) -> str:
    rates = _month_rates(entry["inspections"]["by_month"]) if entry["inspections"] is not None else None
    return charts.rate_by_month(rates, _("Completion rate by month"), _("Nothing fell due.")) if rates else ""


def _summary_charts(summary: dict) -> dict:
    rates = _month_rates(summary["by_month"])
    severities = [(_(SEVERITIES[key]), summary["findings_by_severity"].get(key, {})) for key in SEVERITY_ORDER]
    return {
        "months": charts.rate_by_month(rates, _("Completion rate by month"), _("Nothing fell due.")) if rates else "",
        "findings": charts.stacked_bars(severities, [("closed", _("Rectified")), ("open", _("Not rectified"))],
                                        _("Findings by severity and rectification"), _("No findings."))
        if summary["findings"]["count"] else "",
    }


def context(report: dict, lang: str, for_print: bool, toolbar=()) -> dict:
    return {
        "toolbar": toolbar,
        "report": report,
        "lang": lang,
        "for_print": for_print,
        "generator": generator_version(),
        "page_counter": page_counter_css(),
        "print_font": print_font_css(),
        "issuer": current_app.config["REPORT_ISSUER"],
        "long_day": long_day,
        "photo_source": photo_source,
        "qr_markup": qr_markup,
        "facility_chart": _facility_chart,
        "summary_charts": _summary_charts(report["summary"]) if report["kind"] == "summary" else None,
        "rate": _rate_text,
        "kind_label": lambda key: _(kind_msgid(key)),
        "event_name": lambda key: _(EVENT_LABELS.get(key, key)),
        "severity_label": lambda key: _(SEVERITIES.get(key, key)),
        "work_kind_label": lambda key: _(WORK_KINDS.get(key, key)),
        "work_status_label": lambda key: _(WORK_STATUSES.get(key, key)),
        "standing_label": lambda key: _(STANDINGS.get(key, key)),
        "group_label": compliance.group_label,
        "value_label": lambda value: value_label(value, _),
        "result_label": lambda value: _(RESULT_LABELS[value]) if value in RESULT_LABELS else value,
    }


def render_html(report: dict, lang: str, for_print: bool = False, toolbar=()) -> str:
    """`toolbar`: (url, label) links the page shows above the report; never printed."""
    with force_locale(lang):
        return render_template("reports/annual.html", **context(report, lang, for_print, toolbar))


def render_pdf(report: dict, lang: str) -> tuple[bytes, int]:
    """The PDF and its page count."""
    from weasyprint import HTML

    require_cjk_font()
    html = render_html(report, lang, for_print=True)
    document = HTML(string=html, base_url=str(Path(current_app.root_path).parent)).render()
    return document.write_pdf(), len(document.pages)


def as_json(value):
    """Report data as JSON values: records by their id and the few fields a reader needs."""
    if isinstance(value, compliance.Counts):
        return value.as_dict()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Scope):
        return value.key
    if isinstance(value, Asset):
        return {"id": value.id, "name": value.name, "type": value.type,
                "code": value.code.code if value.code else None}
    if isinstance(value, CalendarItem):
        return {"id": value.id, "asset_id": value.asset_id, "kind": value.kind, "due_on": value.due_on.isoformat(),
                "status": value.status, "work_order_id": value.work_order_id}
    if isinstance(value, WorkOrder):
        return {"id": value.id, "number": value.number, "kind": value.kind, "status": value.status,
                "created_at": as_json(value.created_at), "completed_at": as_json(value.completed_at)}
    if isinstance(value, Finding):
        return {"id": value.id, "asset_id": value.asset_id, "severity": value.severity,
                "found_at": as_json(value.found_at), "follow_up_id": value.follow_up_id}
    if isinstance(value, CalendarEvent):
        return {"id": value.id, "kind": value.kind, "start_on": as_json(value.start_on), "end_on": as_json(value.end_on),
                "note": value.note}
    if isinstance(value, dict):
        return {str(key) if key is not None else "": as_json(item) for key, item in value.items() if key != "group"}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value
