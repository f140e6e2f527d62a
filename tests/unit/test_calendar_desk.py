"""Every calendar kind is either office or field work, decided in one place."""
from municipal.calendar.engine import desk, wording
from municipal.calendar.engine.rules import EXTRA_HISTORY_KINDS, load_table


def test_every_kind_of_the_rule_table_and_the_wording_is_classified_once():
    # The words name history entries too (a building vacated): those are recorded, never due.
    kinds = set(load_table().item_kinds) | set(wording.KINDS) - set(EXTRA_HISTORY_KINDS)
    assert desk.OFFICE_KINDS.isdisjoint(desk.FIELD_KINDS)
    assert kinds <= desk.OFFICE_KINDS | desk.FIELD_KINDS, sorted(kinds - desk.OFFICE_KINDS - desk.FIELD_KINDS)


def test_the_office_obligations_of_the_issue_are_office_work_and_patrols_are_not():
    for kind in ("periodic_safety_appraisal", "dam_break_loss_assessment", "registration_change",
                 "three_persons_review", "stop_use", "reinforce_downgrade_or_decommission_plan"):
        assert desk.is_office(kind), kind
    for kind in ("routine_patrol", "special_patrol", "chief_patrol", "seepage_reading", "annual_pre_flood"):
        assert not desk.is_office(kind), kind
