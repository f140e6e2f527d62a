"""Work orders: their state machine, checklists, comments and attachments."""


def init_app(app) -> None:
    """Name a work order's recorded status, priority, kind and source in the audit trail."""
    from ..audit.reading import register_labels
    from . import states

    register_labels("work_order", "status", states.STATUSES)
    register_labels("work_order", "priority", states.PRIORITIES)
    register_labels("work_order", "kind", states.KINDS)
    register_labels("work_order", "source", states.SOURCES)
