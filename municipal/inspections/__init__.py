"""Inspection records: what a crew found at a facility, with photos, position and findings."""


def init_app(app) -> None:
    """Give templates a work order's records and a facility's history, so other domains' pages show
    them without their views importing this domain."""
    from ..workorders.checklist_rules import SEVERITIES
    from ..workorders.states import STATUSES
    from . import services

    app.jinja_env.globals.update(
        order_inspections=services.inspections_of_order,
        checklist_items=services.items_for,
        facility_work=services.history_page,
        facility_findings=services.findings_of_asset,
        finding_status=services.finding_status,
        describe_finding=services.describe_finding,
        finding_statuses=services.FINDING_STATUSES,
        severities=SEVERITIES,
        work_statuses=STATUSES,
    )
