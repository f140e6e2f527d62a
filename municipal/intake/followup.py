"""A report after triage: the after-photo and replies the citizen reads, their 满意度回访, the deadlines
escalated when they pass, and contact details forgotten after the retention time. Flushes, never commits."""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..audit.services import record
from ..auth.scope import Scope
from ..db import utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..notify.services import district_supervisors, notify, supervisors_for_area
from ..workorders.models import WorkOrder, WorkOrderAttachment
from . import held, pin, services, states
from .models import CATEGORIES, CitizenReport

SATISFACTION = ("satisfied", "unsatisfied")


def after_photo(report: CitizenReport, order: WorkOrder | None) -> WorkOrderAttachment | None:
    """The last photo the crew attached to the report's work order once it is done: not the citizen's own,
    which the work order carries as `<number>.jpg`."""
    if order is None or states.public_status(report.status, order.status) != "done":
        return None
    return db.session.scalar(
        sa.select(WorkOrderAttachment)
        .where(WorkOrderAttachment.work_order_id == order.id, WorkOrderAttachment.thumb_path.is_not(None),
               WorkOrderAttachment.filename != f"{report.number}.jpg")
        .order_by(WorkOrderAttachment.id.desc()).limit(1))


@dataclass(frozen=True)
class CitizenPage:
    """The status page: what the citizen may see, the after-photo, and whether they may rate it now."""

    status: services.ReportStatus
    after_photo: WorkOrderAttachment | None
    may_rate: bool
    satisfaction: str | None


def citizen_view(report: CitizenReport) -> CitizenPage:
    order = db.session.get(WorkOrder, report.work_order_id) if report.work_order_id else None
    return CitizenPage(services.public_view(report, order), after_photo(report, order), may_rate(report, order),
                       report.satisfaction)


def citizen_page(number: str) -> CitizenPage:
    canonical = services.normalize_number(number)
    report = canonical and db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == canonical))
    if not report:
        services.report_status(number)  # raises the NotFound the status page shows
    return citizen_view(report)


def photo_signature(number: str) -> str:
    """What a link to a report's own photo carries: the public may not walk through the numbers for them."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"report-photo:{number}".encode(), hashlib.sha256).hexdigest()[:24]


def public_photo(number: str, signature: str | None, which: str) -> str | None:
    """The media name of a report's photo the public may see: `which` is "after" (the crew's, once done) or
    "report" (the citizen's own, only through a signed link given to Open311 clients with a key)."""
    canonical = services.normalize_number(number)
    report = canonical and db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == canonical))
    if not report:
        return None
    if which == "report":
        valid = signature is not None and hmac.compare_digest(signature, photo_signature(report.number))
        return report.photo_path if valid else None
    order = db.session.get(WorkOrder, report.work_order_id) if report.work_order_id else None
    photo = after_photo(report, order)
    return photo.path if photo is not None else None


def may_rate(report: CitizenReport, order: WorkOrder | None) -> bool:
    public = states.public_status(report.status, order.status if order is not None else None)
    return report.satisfaction is None and public in ("done", "closed")


def _supervisors(report: CitizenReport):
    if report.asset is not None and report.asset.area_id is not None:
        return supervisors_for_area(report.asset.area_id, report.asset.type)
    return district_supervisors()


def rate(number: str, satisfaction: str) -> CitizenReport:
    """The citizen's 满意度回访, once: satisfied stays as it is; unsatisfied sends the report back to the
    supervisors for review, with its work order kept for reference."""
    if satisfaction not in SATISFACTION:
        raise ValidationError(_("Say whether you are satisfied."), {"satisfaction": _("invalid")})
    canonical = services.normalize_number(number)
    report = canonical and db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == canonical))
    if not report:
        services.report_status(number)  # raises the NotFound the status page shows
    order = db.session.get(WorkOrder, report.work_order_id) if report.work_order_id else None
    if not may_rate(report, order):
        raise Conflict(_("This report cannot be rated now."))
    now = utcnow()
    changes = {"satisfaction": [None, satisfaction]}
    report.satisfaction, report.satisfaction_at = satisfaction, now
    if satisfaction == "unsatisfied":
        changes["status"] = [report.status, "review"]
        report.status, report.closed_at, report.closed_by_id = "review", None, None
        report.response_due_at, report.response_escalated_at = None, None
        notify(_supervisors(report), "citizen_report",
               {"number": report.number, "area": report.asset.area.name if report.asset and report.asset.area else "—",
                "title": _("The citizen is not satisfied; please review.")},
               f"/reports/{report.id}", dedupe_key=f"citizen_report_review:{report.id}")
    db.session.flush()
    record(None, "citizen_report", report.id, "rate", changes)
    return report


def reply(actor, report_id: int, text: str) -> CitizenReport:
    """A reply the citizen reads on the status page, without closing the report."""
    report = services.get_report(actor, report_id)
    text = (text or "").strip()
    if not text or len(text) > services.REPLY_MAX:
        message = _("Write a reply of 1 to %(max)s characters for the citizen.", max=services.REPLY_MAX)
        raise ValidationError(message, {"reply": message})
    record(actor, "citizen_report", report.id, "reply", {"reply": [report.reply or None, text]})
    report.reply = text
    db.session.flush()
    return report


DUPLICATE_DAYS = 14


def duplicates(actor, report: CitizenReport) -> list[CitizenReport]:
    """Other open reports likely about the same problem: on the same facility from the fortnight around it,
    or of the same category within 30 m and 7 days of it (a pin dropped without naming the facility)."""
    if report.status == "closed":
        return []
    window = timedelta(days=DUPLICATE_DAYS)
    same_facility = sa.false() if report.asset_id is None else sa.and_(
        CitizenReport.asset_id == report.asset_id,
        CitizenReport.created_at.between(report.created_at - window, report.created_at + window))
    return list(db.session.scalars(
        sa.select(CitizenReport)
        .where(sa.or_(same_facility, CitizenReport.id.in_(pin.near_report(report))), CitizenReport.id != report.id,
               CitizenReport.status != "closed", Scope.of(actor).clause(CitizenReport))
        .order_by(CitizenReport.created_at).limit(10)))


def merged_in(actor, report: CitizenReport) -> list[CitizenReport]:
    """The reports merged into this one, by a supervisor or by their citizen's 我也遇到, oldest first."""
    return list(db.session.scalars(
        sa.select(CitizenReport)
        .where(CitizenReport.merged_into_id == report.id, Scope.of(actor).clause(CitizenReport))
        .order_by(CitizenReport.created_at, CitizenReport.id)))


def merge(actor, report_id: int, into_number: str) -> CitizenReport:
    """Close a duplicate into the report that stays: its citizen is told the number to follow instead."""
    report = services.get_report(actor, report_id)
    canonical = services.normalize_number(into_number)
    target = canonical and db.session.scalar(sa.select(CitizenReport).where(
        CitizenReport.number == canonical, Scope.of(actor).clause(CitizenReport)))
    if not target or target.id == report.id:
        raise ValidationError(_("Name another report to merge this one into."), {"into": _("invalid")})
    if report.status == "closed" or target.status == "closed":
        raise Conflict(_("Only open reports can be merged."))
    now = utcnow()
    text = _("This report was merged into %(number)s, which is about the same problem: follow that number.",
             number=target.number)
    record(actor, "citizen_report", report.id, "merge",
           {"status": [report.status, "closed"], "merged_into": [None, target.number]})
    report.status, report.reply, report.merged_into_id = "closed", text, target.id
    report.closed_at, report.closed_by_id = now, actor.id
    db.session.flush()
    return report


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


def escalate_overdue(now: datetime) -> int:
    """Tell the area's supervisors of each report whose response or fix deadline passed, once per deadline.
    A report is answered once accepted or closed; fixed once its work is done or it is closed."""
    done_states = states.staff_states("done") + states.staff_states("closed")
    fixed = sa.or_(*[sa.and_(CitizenReport.status == report,
                             WorkOrder.status.is_(None) if order is None else WorkOrder.status == order)
                     for report, order in done_states])
    base = sa.select(CitizenReport).outerjoin(WorkOrder, WorkOrder.id == CitizenReport.work_order_id)
    late_response = base.where(CitizenReport.status.in_(("new", "review")), CitizenReport.response_due_at < now,
                               CitizenReport.response_escalated_at.is_(None))
    late_fix = base.where(~fixed, CitizenReport.fix_due_at < now, CitizenReport.fix_escalated_at.is_(None))
    count = 0
    for query, deadline, column, title in (
            (late_response, "response_due_at", "response_escalated_at", _("no response yet")),
            (late_fix, "fix_due_at", "fix_escalated_at", _("not fixed yet"))):
        for report in db.session.scalars(query.order_by(CitizenReport.id)).all():
            due = getattr(report, deadline)
            notify(_supervisors(report), "report_overdue",
                   {"number": report.number, "due": _local(due),
                    "title": f"{CATEGORIES[report.category]}, {title}"},
                   f"/reports/{report.id}", dedupe_key=f"report_overdue:{column}:{report.id}")
            setattr(report, column, now)
            record(None, "citizen_report", report.id, "escalate", {column: [None, now.isoformat()]})
            count += 1
    db.session.flush()
    return count


def compliance(start: datetime, end: datetime, where=sa.true()) -> dict:
    """For reports received in [start, end): how many, and how many were answered and fixed in time or late."""
    rows = db.session.execute(
        sa.select(CitizenReport, WorkOrder).outerjoin(WorkOrder, WorkOrder.id == CitizenReport.work_order_id)
        .where(CitizenReport.created_at >= start, CitizenReport.created_at < end, where)).all()
    numbers = {"received": len(rows), "responded_in_time": 0, "responded_late": 0, "fixed_in_time": 0,
               "fixed_late": 0}
    for report, order in rows:
        responded = report.accepted_at or report.closed_at
        if responded is not None and report.response_due_at is not None:
            numbers["responded_in_time" if responded <= report.response_due_at else "responded_late"] += 1
        fixed = (order.completed_at if order is not None else None) or report.closed_at
        if fixed is not None and report.fix_due_at is not None:
            numbers["fixed_in_time" if fixed <= report.fix_due_at else "fixed_late"] += 1
    return numbers


def compliance_for(actor, first: date, last: date) -> dict:
    """compliance() of the reports the actor may see, received on the local days first … last."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    return compliance(start, end, Scope.of(actor).clause(CitizenReport))


def purge_contacts(now: datetime) -> int:
    """Forget the name and phone of reports received more than REPORT_CONTACT_RETENTION_DAYS ago, and the
    photos held for forms never sent again."""
    held.forget_old(now)
    cutoff = now - timedelta(days=current_app.config["REPORT_CONTACT_RETENTION_DAYS"])
    result = db.session.execute(
        sa.update(CitizenReport)
        .where(CitizenReport.created_at < cutoff,
               sa.or_(CitizenReport.contact_phone != "", CitizenReport.contact_name != ""))
        .values(contact_phone="", contact_name="").execution_options(synchronize_session=False))
    db.session.flush()
    return result.rowcount
