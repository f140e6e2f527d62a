"""Work orders: their state machine, checklists, comments and attachments."""


def init_app(app) -> None:
    """Name a work order's recorded status, priority, kind and source in the audit trail, show that trail on a
    work order's page, give the facility page its 'work due here' and 我来处理 sections (municipal/sections.py),
    which the assets domain shows without importing this one, and give back the open work of anyone who stops
    working (auth/services.py)."""
    from .. import sections
    from ..audit.reading import register_labels, register_trail
    from . import assignment, lists, states, taking

    register_labels("work_order", "status", states.STATUSES)
    register_labels("work_order", "priority", states.PRIORITIES)
    register_labels("work_order", "kind", states.KINDS)
    register_labels("work_order", "source", states.SOURCES)
    register_trail(app, "work_order", "work_order")
    # A person deactivated, or no longer one who may be given work, gives their open work back.
    app.extensions.setdefault("user_stops_working", []).append(assignment.release_work_of)
    sections.register(app, "asset", "top", "due_here", "workorders/_due_here.html",
                      lambda user, asset, args: lists.due_here(user, asset.id))
    sections.register(app, "asset", "top", "handle_here", "workorders/_handle_here.html",
                      lambda user, asset, args: taking.handle_here(user, asset))
