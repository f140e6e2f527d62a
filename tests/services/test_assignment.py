"""New work lands on someone as it is made: by the supervisor's rules, else by the fallbacks, and the work order
says which decided. Rules pointing at no one who may work are refused; a deactivated person's work goes back."""
import pytest
import sqlalchemy as sa

from municipal.assets.models import Area, ResponsiblePerson
from municipal.auth import services as auth_services
from municipal.auth import teams as team_services
from municipal.errors import ValidationError
from municipal.intake.services import accept_report, submit_report
from municipal.people import services as people
from municipal.workorders.models import WorkOrder
from municipal.workorders.services import create_many_from_calendar, create_work_order


@pytest.fixture
def place(db, users, area, make_asset):
    xindian = Area(code="xindian", name="新店镇", name_en="Xindian Town", level="town", parent=area.parent)
    db.session.add(xindian)
    db.session.flush()
    xindian.path = f"{area.parent.path}{xindian.id}/"
    db.session.commit()
    dam = make_asset("reservoir", "登云水库")
    manhole = make_asset("manhole", "测试井")
    return {"gushan": area, "xindian": xindian, "dam": dam, "manhole": manhole}


def _calendar_order(asset, kind="inspection") -> WorkOrder:
    from datetime import timedelta

    from municipal.db import utcnow

    from municipal.extensions import db

    [order_id] = create_many_from_calendar([{"asset": asset, "kind": kind, "title": "巡查", "description": "",
                                             "priority": "normal", "due_at": utcnow() + timedelta(days=2),
                                             "with_checklist": False}])
    return db.session.get(WorkOrder, order_id)


def test_the_most_specific_rule_wins_whatever_the_order_they_were_made_in(db, users, place):
    admin, crew = users["admin"], users["crew"]
    other = auth_services.create_user("crew2", "a long password", "crew")
    team = team_services.create_team(admin, "鼓山一队")
    broad = people.create_rule(admin, team_id=team.id)
    by_type = people.create_rule(admin, asset_type="reservoir", user_id=other.id)
    exact = people.create_rule(admin, area=place["gushan"].code, asset_type="reservoir", kind="inspection",
                               user_id=crew.id)
    db.session.commit()
    order = _calendar_order(place["dam"])
    assert (order.assignee_user_id, order.assigned_by, order.assignment_rule_id) == (crew.id, "rule", exact.id)
    assert order.status == "assigned"
    repair = _calendar_order(place["dam"], kind="repair")
    assert (repair.assignee_user_id, repair.assignment_rule_id) == (other.id, by_type.id)
    manhole = _calendar_order(place["manhole"])
    assert (manhole.assignee_team_id, manhole.assignment_rule_id) == (team.id, broad.id)

    rows, overlaps = people.list_rules(admin)
    assert [r.id for r in rows] == [exact.id, by_type.id, broad.id]
    assert {(o.winner.id, o.loser.id) for o in overlaps} == {(exact.id, by_type.id), (exact.id, broad.id),
                                                            (by_type.id, broad.id)}


def test_overlapping_rules_are_listed_with_the_one_that_decides(db, users, place):
    admin = users["admin"]
    team = team_services.create_team(admin, "鼓山一队")
    by_kind = people.create_rule(admin, kind="inspection", team_id=team.id)
    by_area = people.create_rule(admin, area=place["xindian"].code, user_id=users["crew"].id)
    by_type = people.create_rule(admin, asset_type="manhole", user_id=users["supervisor"].id)
    db.session.commit()
    # A kind of work counts before a type: the manhole's inspection goes by the kind rule, both naming one thing.
    assert _calendar_order(place["manhole"]).assignment_rule_id == by_kind.id
    rows, overlaps = people.list_rules(admin)
    # A deeper area counts before a kind: the area rule decides wherever it meets the others.
    assert [r.id for r in rows] == [by_area.id, by_kind.id, by_type.id]
    assert [(o.winner.id, o.loser.id) for o in overlaps] == [(by_area.id, by_kind.id), (by_area.id, by_type.id),
                                                            (by_kind.id, by_type.id)]
    # A rule for the reservoirs of 鼓山镇 never meets the one for 新店镇.
    other_town = people.create_rule(admin, area=place["gushan"].code, asset_type="reservoir", team_id=team.id)
    _rows, overlaps = people.list_rules(admin)
    assert (by_area.id, other_town.id) not in {(o.winner.id, o.loser.id) for o in overlaps}
    assert (other_town.id, by_area.id) not in {(o.winner.id, o.loser.id) for o in overlaps}


@pytest.mark.parametrize("who", ("viewer", "deactivated"))
def test_a_rule_pointing_at_someone_who_may_not_work_is_refused(db, users, place, who):
    target = users["viewer"]
    if who == "deactivated":
        target = users["crew"]
        auth_services.deactivate_user(users["admin"], target)
        db.session.commit()
    with pytest.raises(ValidationError) as refused:
        people.create_rule(users["supervisor"], asset_type="reservoir", user_id=target.id)
    assert refused.value.status == 422 and "user" in refused.value.fields
    team = team_services.create_team(users["admin"], "一队")
    people.create_rule(users["supervisor"], kind="repair", team_id=team.id)
    with pytest.raises(ValidationError) as repeated:
        people.create_rule(users["supervisor"], kind="repair", team_id=team.id)
    assert "kind" in repeated.value.fields


def test_without_a_rule_the_patrol_person_then_the_team_then_the_supervisor(db, users, place):
    dam, manhole = place["dam"], place["manhole"]
    # Nobody but the supervisor answers for the area: the queue of the supervisor.
    order = _calendar_order(dam)
    assert (order.assignee_user_id, order.assigned_by) == (users["supervisor"].id, "supervisor")
    team = team_services.create_team(users["admin"], "鼓山一队", area_code=place["gushan"].code)
    team_services.create_team(users["admin"], "全区队")
    db.session.commit()
    order = _calendar_order(manhole)
    assert (order.assignee_team_id, order.assigned_by) == (team.id, "team")
    db.session.add(ResponsiblePerson(asset_id=dam.id, role="patrol", name="陈巡查", user_id=users["crew"].id))
    db.session.commit()
    order = _calendar_order(dam)
    assert (order.assignee_user_id, order.assigned_by, order.status) == (users["crew"].id, "patrol", "assigned")
    # A viewer named as the patrol person cannot be given the work: the team gets it.
    db.session.execute(sa.update(ResponsiblePerson).values(user_id=users["viewer"].id))
    db.session.commit()
    assert _calendar_order(dam).assigned_by == "team"


def test_a_citizen_report_accepted_is_assigned_and_a_manual_order_is_not(db, users, place):
    dam = place["dam"]
    team = team_services.create_team(users["admin"], "鼓山一队")
    rule = people.create_rule(users["admin"], kind="citizen_report", user_id=users["crew"].id)
    db.session.commit()
    report = submit_report(asset_id=dam.id, category="damaged", description="坝顶路面开裂，裂缝长约三米，宽约两厘米", fingerprint="test")
    db.session.commit()
    accepted = accept_report(users["supervisor"], report.id)
    order = db.session.get(WorkOrder, accepted.work_order_id)
    assert (order.assignee_user_id, order.assignment_rule_id, order.status) == (users["crew"].id, rule.id, "assigned")
    manual = create_work_order(users["supervisor"], asset_id=dam.id, kind="repair", title="更换闸门")
    assert manual.assignee_user_id is None and manual.assignee_team_id is None and manual.assigned_by == ""
    assert team.id  # the team stays unused: a person's own order waits for them to assign it


def test_a_deactivated_person_s_open_work_goes_back_to_their_team(db, users, place):
    crew = users["crew"]
    team = team_services.set_members(users["admin"], team_services.create_team(users["admin"], "鼓山一队"), [crew.id])
    people.create_rule(users["admin"], user_id=crew.id)
    db.session.commit()
    orders = [_calendar_order(place["dam"]), _calendar_order(place["manhole"])]
    assert all(o.assignee_user_id == crew.id for o in orders)
    auth_services.deactivate_user(users["admin"], crew)
    db.session.commit()
    for order in orders:
        db.session.refresh(order)
        assert (order.assignee_user_id, order.assignee_team_id, order.assigned_by) == (None, team.id, "released")
    # The rule pointing at them is skipped from now on, and the page says so.
    assert _calendar_order(place["dam"]).assigned_by == "team"
