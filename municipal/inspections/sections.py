"""What inspections add to other domains' pages (see municipal/sections.py): a facility's work and findings,
a work order's records. Everything the sections show is fetched and worded here, never in the template."""
from dataclasses import dataclass
from typing import Mapping

from flask_babel import get_locale

from .. import i18n, sections
from ..workorders.models import WorkOrder
from . import services
from .models import Finding, Inspection


@dataclass(frozen=True)
class FindingLine:
    finding: Finding
    label: str
    value: str
    status: str


@dataclass(frozen=True)
class History:
    """A facility's work, newest first, a page at a time (`more`: the id for the next page), and its findings."""

    orders: list[WorkOrder]
    more: int | None
    findings: list[FindingLine]


@dataclass(frozen=True)
class Records:
    """A work order's records, each with its findings worded, and the checklist's items they answer."""

    records: list[tuple[Inspection, list[FindingLine]]]
    items: list


def _lines(findings, locale: str) -> list[FindingLine]:
    return [FindingLine(f, *services.describe_finding(f, locale), services.finding_status(f)) for f in findings]


def _locale() -> str:
    return str(get_locale() or i18n.DEFAULT_LOCALE)


def facility_history(user, asset, args: Mapping[str, str]) -> History:
    raw = args.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 19 else None
    orders, more = services.history_page(asset.id, before)
    return History(orders, more, _lines(services.findings_of_asset(asset.id), _locale()))


def order_records(user, order, args: Mapping[str, str]) -> Records | None:
    found = services.inspections_of_order(order.id)
    if not found:
        return None
    locale = _locale()
    return Records([(inspection, _lines(inspection.findings, locale)) for inspection in found],
                   services.items_for(order))


def register(app) -> None:
    sections.register(app, "asset", "bottom", "history", "inspections/_history.html", facility_history)
    sections.register(app, "work_order", "records", "records", "inspections/_records.html", order_records)
