"""The one mapping between the staff's state and the citizen's, read both ways; the categories' rules."""
from datetime import datetime, timedelta, timezone

from municipal.intake import rules, states


def test_every_staff_state_maps_to_one_public_status_and_back():
    seen = set()
    for report in states.REPORT_STATUSES:
        for order in (None, *states.ORDER_STATUSES):
            if order is not None and report != "accepted":
                continue
            public = states.public_status(report, order)
            assert public in states.PUBLIC
            assert (report, order) in states.staff_states(public)
            seen.add(public)
    assert seen == set(states.PUBLIC)
    for public in states.PUBLIC:
        assert all(states.public_status(*pair) == public for pair in states.staff_states(public))


def test_open311_is_closed_only_when_done_or_closed():
    assert {p for p in states.PUBLIC if states.open311_status(p) == "closed"} == {"done", "closed"}
    assert sorted(states.public_for_open311("open")) == ["accepted", "in_progress", "new", "review"]


def test_urgent_words_raise_the_priority_per_category():
    assert rules.suggested_priority("crack", "坝顶有裂缝") == "urgent"
    assert rules.suggested_priority("leaking", "水管漏水") == "urgent"
    assert rules.suggested_priority("leaking", "水龙头坏了") == "normal"
    assert rules.suggested_priority("dirty", "路面塌陷了") == "urgent"
    assert rules.suggested_priority("crack", "墙面有点旧") == "high"
    assert rules.urgent_words("cover_missing", "井盖缺失") == ["井盖缺失"]


def test_categories_fit_the_facility_type_and_deadlines_follow_the_category():
    assert "cover_missing" in rules.categories_for("manhole") and "cover_missing" not in rules.categories_for("reservoir")
    assert rules.categories_for(None) == rules.ALL
    table = {"*": {"response": 24, "fix": 168}, "urgent": {"response": 2, "fix": 24},
             "dirty": {"response": 24, "fix": 72}}
    at = datetime(2026, 11, 26, 2, tzinfo=timezone.utc)
    assert rules.deadlines("dirty", "normal", at, table) == (at + timedelta(hours=24), at + timedelta(hours=72))
    assert rules.deadlines("other", "urgent", at, table) == (at + timedelta(hours=2), at + timedelta(hours=24))
