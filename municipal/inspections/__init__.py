"""Inspection records: what a crew found at a facility, with photos, position and findings."""


def init_app(app) -> None:
    """Add a facility's work and a work order's records to those pages (sections.py), so other domains' pages
    show them without their views importing this domain; and give templates the vocabularies they show."""
    from ..workorders.checklist_rules import SEVERITIES
    from ..workorders.states import STATUSES
    from . import sections, services

    sections.register(app)
    app.jinja_env.globals.update(
        finding_statuses=services.FINDING_STATUSES,
        severities=SEVERITIES,
        work_statuses=STATUSES,
    )
