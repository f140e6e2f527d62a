"""The work order's life, as data: which moves exist and who makes them. Pure: no Flask, no database.

new → assigned → in_progress ⇄ on_hold → completed → verified (closed)
completed → in_progress (sent back with a reason); anything open → cancelled (with a reason).
"""
from dataclasses import dataclass

from ..i18n import N_

STATUSES = {
    "new": N_("New"),
    "assigned": N_("Assigned"),
    "in_progress": N_("In progress"),
    "on_hold": N_("On hold"),
    "completed": N_("Completed"),
    "verified": N_("Verified (closed)"),
    "cancelled": N_("Cancelled"),
}
OPEN = ("new", "assigned", "in_progress", "on_hold")
CLOSED = ("verified", "cancelled")

KINDS = {
    "inspection": N_("Inspection"),
    "maintenance": N_("Maintenance"),
    "repair": N_("Repair"),
    "rectification": N_("Rectification of a finding"),
    "citizen_report": N_("Citizen report"),
    "office": N_("Office task"),
}
# Desk work (appraisals, registrations, reviews, orders): the office list's, never a crew's board or My work.
OFFICE = "office"
FIELD_KINDS = tuple(kind for kind in KINDS if kind != OFFICE)
SOURCES = {"manual": N_("Manual"), "calendar": N_("Calendar"), "finding": N_("Finding"), "citizen": N_("Citizen"),
           "field": N_("Started on site")}
PRIORITIES = {"urgent": N_("Urgent"), "high": N_("High"), "normal": N_("Normal"), "low": N_("Low")}


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    by: str  # "supervisor": supervisors and admins; "assignee": the assignee or a member of the assigned team
    needs_reason: bool = False


ACTIONS = {
    a.name: a for a in (
        Action("assign", N_("Assign"), ("new", "assigned", "on_hold"), "assigned", "supervisor"),
        Action("start", N_("Start"), ("assigned",), "in_progress", "assignee"),
        Action("hold", N_("Put on hold"), ("assigned", "in_progress"), "on_hold", "assignee", needs_reason=True),
        Action("resume", N_("Resume"), ("on_hold",), "in_progress", "assignee"),
        Action("complete", N_("Complete"), ("in_progress",), "completed", "assignee"),
        Action("accept", N_("Accept"), ("completed",), "verified", "supervisor"),
        Action("send_back", N_("Send back"), ("completed",), "in_progress", "supervisor", needs_reason=True),
        Action("cancel", N_("Cancel"), OPEN, "cancelled", "supervisor", needs_reason=True),
    )
}


class IllegalMove(Exception):
    def __init__(self, action: str, status: str):
        super().__init__(f"{action} is not possible from {status}")
        self.action, self.status = action, status


def move(action: str, status: str) -> str:
    """The status after `action`, or IllegalMove."""
    spec = ACTIONS.get(action)
    if spec is None or status not in spec.source:
        raise IllegalMove(action, status)
    return spec.target


def available(status: str) -> list[Action]:
    return [a for a in ACTIONS.values() if status in a.source]
