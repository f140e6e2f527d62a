"""One state, two views: the staff's state of a report (its own status and its work order's) and what the
citizen, and Open311, are told. Pure: both directions are read from the one table below."""

# The work order's statuses as the citizen's: waiting for a crew is "accepted"; started or paused is being
# worked on; completed (waiting for the supervisor's check) or verified is done; cancelled closes the report.
_FROM_ORDER = {
    "new": "accepted", "assigned": "accepted", "in_progress": "in_progress", "on_hold": "in_progress",
    "completed": "done", "verified": "done", "cancelled": "closed",
}
REPORT_STATUSES = ("new", "accepted", "review", "closed")
ORDER_STATUSES = tuple(_FROM_ORDER)
PUBLIC = ("new", "accepted", "in_progress", "done", "review", "closed")
# Open311 knows two: a request is closed once the citizen's problem was dealt with, or refused.
OPEN311 = {"new": "open", "accepted": "open", "in_progress": "open", "review": "open", "done": "closed",
           "closed": "closed"}


def public_status(report_status: str, order_status: str | None) -> str:
    """What the citizen sees for a report in `report_status` whose work order (if any) is in `order_status`."""
    if report_status == "accepted" and order_status is not None:
        return _FROM_ORDER[order_status]
    return report_status


def staff_states(public: str) -> list[tuple[str, str | None]]:
    """Every (report status, work order status or None) the citizen sees as `public`: the same table read
    backwards, so a filter by public status cannot disagree with the page that shows it."""
    pairs = [(report, None) for report in REPORT_STATUSES]
    pairs += [("accepted", order) for order in ORDER_STATUSES]
    return [pair for pair in pairs if public_status(*pair) == public]


def open311_status(public: str) -> str:
    return OPEN311[public]


def public_for_open311(status: str) -> list[str]:
    return [public for public, value in OPEN311.items() if value == status]
