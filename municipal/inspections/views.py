"""The crew's record page: the checklist of a work order, photos, notes, time and position."""
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..boundary import commit_claim, discard_changes
from ..db import utcnow
from ..errors import Conflict, DomainError
from ..permissions import roles
from ..readings import daily as daily_readings
from ..workorders import access as workorders_access
from ..workorders import checklist_rules, states
from . import services, uploads

bp = Blueprint("inspections", __name__)


def submission_from(form, files, key: str, user_id: int | None = None) -> services.Submission:
    """The form's fields as a Submission: item.<key> answers, photo.<key> files, repair.<key> marks; and
    photo_ref.<key> / photos_ref, the client ids of photos the user sent ahead (uploads.py)."""
    data = services.Submission(key=key, notes=form.get("notes", ""), time_spent_min=form.get("time_spent_min"),
                               cost_yuan=form.get("cost_yuan"),
                               latitude=form.get("latitude"), longitude=form.get("longitude"),
                               accuracy_m=form.get("accuracy_m"), start_latitude=form.get("start_latitude"),
                               start_longitude=form.get("start_longitude"),
                               start_accuracy_m=form.get("start_accuracy_m"))
    for name, value in form.items():
        if name.startswith("item."):
            data.answers[name[5:]] = value
        elif name.startswith("note."):
            data.item_notes[name[5:]] = value
        elif name.startswith("repair.") and value:
            data.needs_repair.add(name[7:])
        elif name.startswith("reading."):
            data.readings[name[8:]] = value
    for name in files:
        streams = [f for f in files.getlist(name) if f and f.filename]
        if not streams:
            continue
        if name == "photos":
            data.photos.setdefault(services.GENERAL, []).extend(streams)
        elif name.startswith("photo."):
            data.photos.setdefault(name[6:], []).extend(streams)
    for name in form:
        if user_id is None or not (name == "photos_ref" or name.startswith("photo_ref.")):
            continue
        item_key = services.GENERAL if name == "photos_ref" else name[10:]
        field_name = "photos" if name == "photos_ref" else f"photo.{item_key}"
        for ref in form.getlist(name):
            stream = uploads.staged(user_id, ref)
            if stream is None:
                data.missing_photos.setdefault(field_name, []).append(ref)
            else:
                data.photos.setdefault(item_key, []).append(stream)
                data.staged_keys.append(ref)
    return data


def submit_once(actor, order_id, data: services.Submission):
    """Submit and commit. When a twin with the same client id was committed first, its record is the answer."""
    def first():
        found = services.find_submission(str(data.key))
        return None if found is None else (found, False)

    submitted = commit_claim(lambda: services.submit(actor, order_id, data), first)
    if submitted is None:
        raise Conflict(_("The server was busy with another submission; please send again."))
    if submitted[1] and data.staged_keys:
        uploads.discard(actor.id, data.staged_keys)  # the record keeps its own copies, committed
    return submitted


def _suggested_minutes(order) -> int | None:
    if order.started_at is None:
        return None
    return max(1, int((utcnow() - order.started_at).total_seconds() // 60))


@bp.route("/work/<int:order_id>/record", methods=["GET", "POST"])
@roles("admin", "supervisor", "crew")
def record(order_id: int):
    order = workorders_access.get_work_order(current_user, order_id)
    form = FlaskForm()
    errors, values = {}, {}
    if request.method == "POST":
        values = request.form
        if not form.validate_on_submit():
            errors["form"] = _("The form has expired; please try again.")
        else:
            key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key", "")
            try:
                inspection, created = submit_once(current_user, order_id, submission_from(request.form, request.files, key))
            except DomainError as error:
                # The page below shows the work order as stored, and may redirect (a success, committed).
                discard_changes()
                if error.status in (403, 404):
                    raise
                errors = error.fields or {"form": error.message}
                flash(error.message, "error")
            else:
                _report(inspection, created)
                return redirect(url_for("workorders.detail", order_id=order_id), 303)
    if order.status not in ("assigned", "in_progress") and not errors:
        flash(_("This work order is %(status)s; there is nothing to record now.",
                status=_(states.STATUSES[order.status])), "info")
        return redirect(url_for("workorders.detail", order_id=order_id), 303)
    items = services.items_for(order)
    previous = services.inspections_of_order(order.id)
    # Work sent back after a record: the reason goes at the top and the previous record fills the form.
    sent_back = bool(previous) and order.status == "in_progress"
    if sent_back and request.method != "POST":
        values = previous_values(previous[-1], items)
    return render_template(
        "inspections/record.html", order=order, form=form, items=items, errors=errors, sent_back=sent_back,
        values=values, key=values.get("idempotency_key") or str(uuid.uuid4()), locale=str(get_locale()),
        severities=checklist_rules.SEVERITIES, suggested_minutes=_suggested_minutes(order),
        reading_fields=daily_readings.form_fields(order),
    ), 422 if errors else 200


def previous_values(inspection, items) -> dict:
    """A record's answers as the form's fields, to start a corrected record from."""
    values = {"notes": inspection.notes or ""}
    values.update({f"note.{key}": text for key, text in (inspection.item_notes or {}).items()})
    if inspection.time_spent_min is not None:
        values["time_spent_min"] = str(inspection.time_spent_min)
    for item in items:
        answer = (inspection.answers or {}).get(item.key)
        if answer is None:
            continue
        if item.type == "pass_fail":
            values[f"item.{item.key}"] = "pass" if answer else "fail"
        elif item.type == "number":
            values[f"item.{item.key}"] = "%g" % answer
        else:
            values[f"item.{item.key}"] = str(answer)
    return values


def _report(inspection, created: bool) -> None:
    if not created:
        flash(_("This inspection was already recorded; nothing was added."), "info")
        return
    flash(_("Recorded. Work order %(number)s is completed and waits for review.",
            number=inspection.work_order.number), "info")
    if inspection.findings:
        opened = [f.follow_up.number for f in inspection.findings if f.follow_up is not None]
        flash(_("%(count)s findings recorded; rectification work opened: %(numbers)s.",
                count=len(inspection.findings), numbers=", ".join(opened) or "—"), "info")
    if inspection.far_from_facility:
        flash(_("Your position was %(m)s m from the facility; the record says so.", m=round(inspection.nearest_m)),
              "error")
