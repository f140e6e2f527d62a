"""The words for what the calendar holds: each kind of due item and each outcome, as msgids. Pure."""
from ...i18n import N_

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
    "danger_watch": N_("Danger watch"),
    "vacated": N_("Vacated (the building emptied)"),
    "cleaning_check": N_("Cleaning check"),
    "facility_check": N_("Facility check"),
}

# What a month cell counts by: the kinds gathered the way a supervisor reads a day ("巡查 3 · 检查 1").
KIND_GROUPS = {
    "patrol": N_("Patrols"),
    "check": N_("Checks"),
    "reading": N_("Readings"),
    "appraisal": N_("Appraisals"),
    "office": N_("Office tasks"),
    "on_site": N_("On-site measures"),
    "plan": N_("Own plans"),
}
_GROUP_OF = {
    "reading": ("manual_level_rain_report", "seepage_reading"),
    "office": ("registration_change", "three_persons_review", "dam_break_loss_assessment",
               "reinforce_downgrade_or_decommission_plan"),
    "on_site": ("warning_sign", "cover_restore", "guardrail_and_sign", "stop_use", "restricted_operation",
                "emergency_dam_protection_measures"),
}


def kind_group(kind: str) -> str:
    """The KIND_GROUPS key of an item kind; a supervisor's plan (plan:<id>) is an own plan."""
    if kind.startswith("plan:"):
        return "plan"
    for group, kinds in _GROUP_OF.items():
        if kind in kinds:
            return group
    if "appraisal" in kind:
        return "appraisal"
    if kind.endswith(("patrol", "_day", "_watch")):
        return "patrol"
    return "check"


# How sure the rule table is of a rule (rules.v1.yaml's `confidence`), for the reader.
CONFIDENCE_LABELS = {
    "confirmed": N_("confirmed in a public source"),
    "partial": N_("partly confirmed, from a secondary source"),
    "recollection": N_("recalled from the standard, to be checked"),
    "policy": N_("a local policy default"),
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


# Dam safety appraisal results are recorded as the regulations write them (一类坝 …); these are their msgids.
RESULT_LABELS = {"一类": N_("Category 1"), "二类": N_("Category 2"), "三类": N_("Category 3")}


def kind_msgid(kind: str) -> str:
    """The msgid of a kind; a kind the table does not name yet (a supervisor's plan) shows as written."""
    return KINDS.get(kind, kind.replace("_", " "))


def standing(status: str, due_on, closed_on, today) -> str:
    """planned, overdue, done, done_late, missed or superseded: the item's status read against today.
    A scheduled item (known, its work not made yet) reads as planned."""
    if status in ("planned", "scheduled"):
        return "overdue" if due_on < today else "planned"
    if status == "done":
        return "done_late" if closed_on is not None and closed_on > due_on else "done"
    return status


EVENT_LABELS = {
    "rainstorm": N_("Rainstorm"),
    "typhoon_response": N_("Typhoon emergency response"),
    "big_flood": N_("Big flood"),
    "felt_earthquake": N_("Felt earthquake"),
    "strong_earthquake": N_("Strong earthquake"),
    "extraordinary_flood": N_("Extraordinary flood"),
    "major_accident": N_("Major accident"),
    "abnormal_phenomenon": N_("Abnormal phenomenon"),
    "rapid_level_change": N_("Rapid water level change"),
    "high_water": N_("High water (at or above the flood limit)"),
    "sustained_high_water": N_("Sustained high water"),
    "serious_damage": N_("Serious damage"),
    "first_filling_start": N_("First filling starts"),
    "patrol_found_missing_cover": N_("Patrol found a manhole cover missing"),
    "report_received_missing_cover": N_("Report of a missing manhole cover"),
}

FLAG_LABELS = {
    "risky": N_("Risky: heavier duties apply"),
    "appraisal_overdue": N_("Safety appraisal overdue"),
    "require_lowered_level_or_empty": N_("Water level to be lowered or the reservoir emptied"),
    "reinforcement_required": N_("Reinforcement required"),
    "restricted_operation": N_("Restricted operation"),
    "rehabilitation_required": N_("Rehabilitation required"),
    "stop_use": N_("Building not to be used"),
    "high_water": N_("High water"),
    "first_impoundment": N_("First impoundment"),
    "three_persons_incomplete": N_("The three responsible persons are incomplete"),
}

PLAN_UNITS = {"day": N_("days"), "week": N_("weeks"), "month": N_("months")}
PLAN_SEASONS = {"flood": N_("flood season only"), "outside_flood": N_("outside the flood season")}
