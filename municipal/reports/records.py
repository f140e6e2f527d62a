"""What an annual report says the crews recorded: the year's inspection records, a finding worded as the
problem found (the checklist's failure wording, the crew's own note) rather than as the item that failed,
and the day the platform went live, before which there is nothing to count. No rendering, no locale."""
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from ..calendar.models import CalendarItem
from ..extensions import db
from ..inspections.models import Finding, Inspection
from ..workorders.models import WorkOrder
from .measures import utc_bounds, zone


def live_on() -> date | None:
    """The local day the platform went live: the PLATFORM_LIVE_ON setting, or the day of the first work order
    or calendar item done on record. None while nothing is recorded at all."""
    setting = current_app.config.get("PLATFORM_LIVE_ON")
    if setting:
        return date.fromisoformat(str(setting).strip())
    first_order = db.session.scalar(sa.select(sa.func.min(WorkOrder.created_at)))
    # Calendar items left open are no evidence: the calendar writes overdue obligations from years before.
    first_done = db.session.scalar(sa.select(sa.func.min(CalendarItem.closed_on)).where(CalendarItem.status == "done"))
    days = [day for day in (first_order.astimezone(zone()).date() if first_order else None, first_done) if day]
    return min(days, default=None)


def platform(year: int, live: date | None) -> dict:
    """Where the year stands against the go-live: wholly before it (`before`), or the year it began (`within`)."""
    return {"live_on": live, "before": live is None or live.year > year,
            "within": live is not None and live.year == year and live > date(year, 1, 1)}


def _template_item(template, key: str) -> dict | None:
    return next((item for item in (template.items if template is not None else []) if item.get("key") == key), None)


def problem(template, key: str, value: str, reason: str) -> dict:
    """The problem a finding records, for the page to word: `text` (both languages) when the checklist words
    it (a failure wording, a finding choice's name); `range` ("below"/"above") with the item's name and the
    value measured; otherwise only `place`, the checklist section (or the item) where it was found."""
    item = _template_item(template, key) or {}
    label, section = item.get("label") or {"zh": key, "en": key}, item.get("section") or {}
    if item.get("finding"):
        return {"text": item["finding"]}
    if reason == "choice":
        choice = next((c for c in item.get("choices") or [] if c.get("key") == value), None)
        if choice is not None:
            return {"text": {"zh": choice["zh"], "en": choice.get("en", choice["zh"])}}
    if reason in ("below", "above"):
        return {"range": reason, "item": label, "value": value}
    return {"place": section or label}


def crew_note(inspection: Inspection) -> str:
    """What the crew wrote: the checklist's note items, then the inspection's own notes."""
    notes = [str(inspection.answers.get(item["key"]) or "").strip()
             for item in (inspection.template.items if inspection.template is not None else [])
             if item.get("type") == "note" and isinstance(inspection.answers, dict)]
    return "\n".join(filter(None, [*notes, (inspection.notes or "").strip()]))


def inspection_records(asset_id: int, start: date, end: date) -> list[dict]:
    """Every inspection recorded at the facility in the period, oldest first: when, what work (the calendar's
    kind when the calendar asked for it), who, and what was found."""
    since, until = utc_bounds(start, end)
    rows = list(db.session.scalars(
        sa.select(Inspection).where(Inspection.asset_id == asset_id, Inspection.submitted_at >= since,
                                    Inspection.submitted_at < until)
        .options(joinedload(Inspection.inspector), joinedload(Inspection.work_order).load_only(WorkOrder.kind),
                 selectinload(Inspection.template), selectinload(Inspection.findings))
        .order_by(Inspection.submitted_at, Inspection.id)))
    kinds = dict(db.session.execute(
        sa.select(CalendarItem.work_order_id, CalendarItem.kind)
        .where(CalendarItem.work_order_id.in_([row.work_order_id for row in rows]))).all()) if rows else {}
    return [{
        "at": row.submitted_at,
        "calendar_kind": kinds.get(row.work_order_id),
        "work_kind": row.work_order.kind if row.work_order is not None else None,
        "person": (row.inspector.display_name or row.inspector.username) if row.inspector is not None else None,
        "problems": [{"severity": found.severity, **problem(row.template, found.item_key, found.value, found.reason)}
                     for found in row.findings],
        "note": crew_note(row),
    } for row in rows]


def finding_words(row: Finding) -> dict:
    """A finding's problem and the crew's note, for the findings table."""
    template = row.inspection.template
    return {"problem": problem(template, row.item_key, row.value, row.reason), "note": crew_note(row.inspection),
            "place": (_template_item(template, row.item_key) or {}).get("section") or None}
