"""Work orders: their state machine, checklists, comments and attachments."""


def init_app(app) -> None:
    """Name a work order's recorded status, priority, kind and source in the audit trail, show that trail on a
    work order's page, and give the facility page its 'work due here' section (municipal/sections.py), which the
    assets domain shows without importing this one."""
    from .. import sections
    from ..audit.reading import register_labels, register_trail
    from . import lists, states

    register_labels("work_order", "status", states.STATUSES)
    register_labels("work_order", "priority", states.PRIORITIES)
    register_labels("work_order", "kind", states.KINDS)
    register_labels("work_order", "source", states.SOURCES)
    register_trail(app, "work_order", "work_order")
    sections.register(app, "asset", "top", "due_here", "workorders/_due_here.html",
                      lambda user, asset, args: lists.due_here(user, asset.id))
