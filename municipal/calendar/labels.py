"""The words for what the calendar holds: each kind of due item and each outcome, as msgids. Pure."""
from ..assets.types import N_

KINDS = {
    "first_safety_appraisal": N_("First dam safety appraisal"),
    "periodic_safety_appraisal": N_("Periodic dam safety appraisal"),
    "special_safety_appraisal": N_("Special dam safety appraisal"),
    "dam_break_loss_assessment": N_("Dam-break loss assessment"),
    "reinforce_downgrade_or_decommission_plan": N_("Plan to reinforce, downgrade or decommission"),
    "emergency_dam_protection_measures": N_("Emergency dam protection measures"),
    "restricted_operation": N_("Restricted operation"),
    "registration_change": N_("Registration change"),
    "routine_patrol": N_("Routine patrol"),
    "special_patrol": N_("Special patrol"),
    "annual_pre_flood": N_("Annual pre-flood inspection"),
    "annual_post_flood": N_("Annual post-flood inspection"),
    "annual_termite": N_("Annual termite inspection"),
    "manual_level_rain_report": N_("Water level and rainfall report"),
    "seepage_reading": N_("Seepage reading"),
    "three_persons_review": N_("Review of the three responsible persons"),
    "chief_patrol": N_("Chief's patrol"),
    "river_chief_day": N_("River chief day"),
    "routine_check": N_("Routine check"),
    "periodic_inspection": N_("Periodic inspection"),
    "structural_periodic_test": N_("Structural periodic test"),
    "regular_periodic_test": N_("Regular periodic test"),
    "cctv_reinspection": N_("CCTV re-inspection"),
    "warning_sign": N_("Put up a warning sign"),
    "cover_restore": N_("Restore the manhole cover"),
    "guardrail_and_sign": N_("Put up a guardrail and sign"),
    "pre_flood_check": N_("Pre-flood check"),
    "winter_overhaul": N_("Winter overhaul"),
    "safety_recheck": N_("Safety re-check"),
    "stop_use": N_("Stop use"),
    "cleaning_check": N_("Cleaning check"),
    "facility_check": N_("Facility check"),
}

# How an item stands on a given day: what the calendar marks and the compliance table counts.
STANDINGS = {
    "planned": N_("Planned"),
    "overdue": N_("Overdue"),
    "done": N_("Done"),
    "done_late": N_("Done late"),
    "missed": N_("Missed"),
    "superseded": N_("Superseded"),
}


def kind_msgid(kind: str) -> str:
    """The msgid of a kind; a kind the table does not name yet (a supervisor's plan) shows as written."""
    return KINDS.get(kind, kind.replace("_", " "))


def standing(status: str, due_on, closed_on, today) -> str:
    """planned, overdue, done, done_late, missed or superseded: the item's status read against today."""
    if status == "planned":
        return "overdue" if due_on < today else "planned"
    if status == "done":
        return "done_late" if closed_on is not None and closed_on > due_on else "done"
    return status
