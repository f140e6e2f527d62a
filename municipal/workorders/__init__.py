"""Work orders: their state machine, checklists, comments and attachments."""


def init_app(app) -> None:
    """The facility page's 'work due here' section (assets/sections.py): the assets domain shows it
    without importing this one."""
    from ..assets import sections
    from . import services

    sections.register(app, "due_here", "workorders/_due_here.html",
                      lambda user, asset: services.due_here(user, asset.id))
