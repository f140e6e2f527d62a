"""The work order state machine: every legal move, and every other move refused."""
import pytest

from municipal.workorders import states

LEGAL = {
    ("assign", "new"): "assigned", ("assign", "assigned"): "assigned", ("assign", "on_hold"): "assigned",
    ("start", "assigned"): "in_progress", ("hold", "assigned"): "on_hold", ("hold", "in_progress"): "on_hold",
    ("resume", "on_hold"): "in_progress", ("complete", "in_progress"): "completed",
    ("accept", "completed"): "verified", ("send_back", "completed"): "in_progress",
    **{("cancel", s): "cancelled" for s in states.OPEN},
}


@pytest.mark.parametrize("action", sorted(states.ACTIONS))
@pytest.mark.parametrize("status", sorted(states.STATUSES))
def test_each_move_is_legal_exactly_when_the_table_says(action, status):
    if (action, status) in LEGAL:
        assert states.move(action, status) == LEGAL[(action, status)]
    else:
        with pytest.raises(states.IllegalMove):
            states.move(action, status)


def test_closed_work_cannot_move_at_all():
    for status in states.CLOSED:
        assert states.available(status) == []


def test_an_unknown_action_is_refused():
    with pytest.raises(states.IllegalMove):
        states.move("reopen", "verified")
