"""Which calendar kinds are desk work for the office and which are field work for the crews. Pure.

The one place this is decided: the calendar makes office kinds into work orders of kind "office", which
the crews' board and My work never show and the office list (办公事项) shows alone. Every kind of the rule
table and of wording.KINDS is in exactly one of the two sets (a unit test holds the table to it), so a new
kind cannot slip onto a crew's phone unclassified.
"""

# Commissioned, written or decided at a desk: appraisals and assessments are commissioned from qualified
# units, registrations and reviews are filings, plans are approved, and stop-use and restricted operation
# are orders the office issues (the crews then patrol under them, which the field kinds cover).
OFFICE_KINDS = frozenset({
    "first_safety_appraisal",
    "periodic_safety_appraisal",
    "special_safety_appraisal",
    "dam_break_loss_assessment",
    "reinforce_downgrade_or_decommission_plan",
    "restricted_operation",
    "registration_change",
    "three_persons_review",
    "stop_use",
})

# Done on site by the people who go out: patrols, inspections, readings, tests at the structure, signs.
FIELD_KINDS = frozenset({
    "emergency_dam_protection_measures",
    "routine_patrol",
    "special_patrol",
    "danger_watch",
    "annual_pre_flood",
    "annual_post_flood",
    "annual_termite",
    "manual_level_rain_report",
    "seepage_reading",
    "chief_patrol",
    "river_chief_day",
    "routine_check",
    "periodic_inspection",
    "structural_periodic_test",
    "regular_periodic_test",
    "cctv_reinspection",
    "warning_sign",
    "cover_restore",
    "guardrail_and_sign",
    "pre_flood_check",
    "winter_overhaul",
    "safety_recheck",
    "cleaning_check",
    "facility_check",
})


def is_office(kind: str) -> bool:
    """Whether a calendar kind is the office's to do; a kind nobody classified yet counts as field work,
    where a supervisor sees it on the board rather than losing it."""
    return kind in OFFICE_KINDS
