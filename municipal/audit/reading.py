"""Reading the trail for a page: an entity's entries, newest first and page by page, and the words they are
shown in. Actions and fields are named here; the values of a domain's vocabularies (a work order's states, a
facility's statuses...) are named by the domain itself, which registers them at app start: the trail knows
no domain above it.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import paging, sections
from .models import AuditEntry
from .services import canonical

ACTION_LABELS = {
    "create": _l("created"),
    "update": _l("changed"),
    "retire": _l("retired"),
    "issue": _l("code issued"),
    "bind": _l("code bound"),
    "revoke": _l("code revoked"),
    "assign": _l("assigned"),
    "start": _l("started"),
    "hold": _l("put on hold"),
    "resume": _l("resumed"),
    "complete": _l("completed"),
    "accept": _l("accepted"),
    "send_back": _l("sent back"),
    "cancel": _l("cancelled"),
    "comment": _l("commented"),
    "close": _l("closed"),
    "password_reset": _l("password reset"),
    "areas": _l("areas of responsibility changed"),
    "asset_types": _l("facility types of responsibility changed"),
    "members": _l("members changed"),
    "attach": _l("attachment added"),
    "add_photo": _l("photo added"),
    "submit": _l("inspection submitted"),
    "new_version": _l("new version"),
    "import": _l("imported"),
    "history": _l("history recorded"),
    "plan": _l("plan added"),
    "plan_stopped": _l("plan stopped"),
}

# What a recorded field is called on the page; a field not named here shows its own name.
FIELD_LABELS = {
    "name": _l("Name"), "type": _l("Type"), "status": _l("Status"), "area_id": _l("Area"), "area": _l("Area"),
    "address": _l("Location"), "owner_unit": _l("Owner unit"), "maintenance_unit": _l("Maintenance unit"),
    "attributes": _l("Attributes"), "geometry": _l("Position"), "in_service_on": _l("In service since"),
    "internal_notes": _l("Internal notes"), "is_demo": _l("demo data"), "persons": _l("Responsible persons"),
    "chainage_start_m": _l("Chainage"), "chainage_end_m": _l("Chainage"), "code": _l("Identity code"),
    "title": _l("Title"), "kind": _l("Kind"), "priority": _l("Priority"), "due_at": _l("Due"),
    "asset": _l("Facility"), "assignee": _l("Assignee"), "reason": _l("Reason"), "time_spent_min": _l("Time spent (minutes)"),
    "cost_yuan": _l("Cost (yuan)"),
    "comment": _l("Comment"), "reply": _l("Reply"), "category": _l("Category"), "number": _l("Number"),
    "username": _l("User name"), "display_name": _l("Display name"), "role": _l("Role"), "active": _l("Active"),
    "areas": _l("Areas of responsibility"), "members": _l("Members"), "asset_types": _l("Facility types"),
    "token": _l("API token"), "scopes": _l("Scopes"), "expires_at": _l("Expires"),
    "attachment": _l("Attachment"), "photo": _l("Photo"), "photos": _l("Photos"), "findings": _l("Findings"),
    "work_order": _l("Work order"), "distance_m": _l("Distance from the facility (m)"),
    "start_distance_m": _l("Distance from the facility at the start (m)"), "version": _l("Version"),
    "items": _l("Checklist items"), "key": _l("Key"), "rows": _l("Rows"), "file": _l("File"),
    "source": _l("Source"), "result": _l("Result"), "done_on": _l("Done on"), "plan": _l("Plan"),
}

def entries_for(entity_type: str, entity_id, limit: int = 50) -> list[AuditEntry]:
    """The entity's latest entries, newest first."""
    return entries_page(entity_type, entity_id, None, limit)[0]


def entries_page(entity_type: str, entity_id, before: int | None = None,
                 limit: int = 50) -> tuple[list[AuditEntry], int | None]:
    """The entity's entries older than entry `before` (the latest when None), newest first, and the id to
    pass as `before` for the next page (None on the last). By id on the entity's index: any page is cheap."""
    query = sa.select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
    return paging.page(query, (AuditEntry.id,), before, limit, descending=True)


@dataclass(frozen=True)
class Trail:
    """A page of an entity's trail: `before` is the entry it starts below (None: the latest), `older` the one
    to pass for the next page (None: the last)."""

    entity_type: str
    entries: list[AuditEntry]
    before: int | None
    older: int | None


def trail(entity_type: str, entity_id, args: Mapping[str, str], limit: int = 50) -> Trail:
    """The page of the entity's trail the request asks for with `?audit_before=<id>`; a value that is no entry
    id shows the latest page, as a page's link from an older page would."""
    raw = args.get("audit_before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 19 else None
    entries, older = entries_page(entity_type, entity_id, before, limit)
    return Trail(entity_type, entries, before, older)


def register_trail(app, page: str, entity_type: str) -> None:
    """Show the trail of a page's subject (an `entity_type`, by its id) at the end of the page."""
    sections.register(app, page, "trail", "audit", "audit/_trail.html",
                      lambda user, subject, args: trail(entity_type, subject.id, args))


def display_value(value, limit: int = 200) -> str:
    """A recorded value as one short line for a page."""
    if value is None or value == "":
        return "—"
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the words of other domains ----------------------------------------------------

# (entity_type, field) → {recorded key: msgid}: recorded values that are keys of a vocabulary.
_VOCABULARIES: dict[tuple[str, str], Mapping[str, str]] = {}
# (entity_type, field) → a function from the recorded value to its line on a page.
_FORMATTERS: dict[tuple[str, str], Callable[[object], str]] = {}


def register_labels(entity_type: str, field: str, labels: Mapping[str, str]) -> None:
    """Show a recorded value of `field` of `entity_type` that is a key of `labels` as its label (an N_
    msgid), translated for the reader. Registering again replaces the labels."""
    _VOCABULARIES[(entity_type, field)] = labels


def register_formatter(entity_type: str, field: str, formatter: Callable[[object], str]) -> None:
    """Show a recorded value of `field` of `entity_type` as `formatter(value)` says (in the reader's
    language; None when it has nothing to say, and the value is shown as recorded)."""
    _FORMATTERS[(entity_type, field)] = formatter


def value_text(entity_type: str, field: str, recorded) -> str:
    """A recorded value in the reader's words: a registered vocabulary's label, a registered formatter's
    line, or the value itself as one short line."""
    words = _VOCABULARIES.get((entity_type, field), {})
    if isinstance(recorded, str) and recorded in words:
        return _(words[recorded])
    formatter = _FORMATTERS.get((entity_type, field))
    if formatter is not None:
        text = formatter(recorded)
        if text is not None:
            return display_value(text)
    return display_value(recorded)
