"""Citizen reports: what anyone can send from a scanned label, and the supervisors' triage of them."""


def init_app(app) -> None:
    """Give the calendar's compliance page the citizen reports' deadlines kept (municipal/sections.py)."""
    from .. import sections
    from . import followup

    sections.register(app, "compliance", "bottom", "citizen_reports", "intake/_compliance.html",
                      lambda user, period, args: followup.compliance_for(user, *period))
