"""Work orders through their life: created, assigned, done, checked; illegal and stale moves refused."""
from datetime import timedelta

import pytest

from municipal.auth.models import Team
from municipal.db import utcnow
from municipal.errors import Conflict, NotFound, PermissionDenied, ValidationError
from municipal.workorders import access as workorders_access
from municipal.workorders import bulk
from municipal.workorders import lists as workorders_lists
from municipal.workorders import notes as workorders_notes
from municipal.workorders import services


@pytest.fixture
def order(db, users, make_asset):
    well = make_asset("manhole", "温泉路3号井")
    made = services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title="井盖破损",
                                      priority="high")
    db.session.commit()
    return made


def test_a_work_order_gets_its_due_date_from_the_priority(order):
    assert order.status == "new"
    assert timedelta(hours=71) < order.due_at - utcnow() <= timedelta(hours=72)
    assert order.number == f"WO-{order.id:06d}"


def test_the_whole_life_of_a_repair(db, users, order):
    sup, crew = users["supervisor"], users["crew"]
    services.act(sup, order.id, "assign", version=order.version, assignee_user_id=crew.id)
    services.act(crew, order.id, "start", version=order.version)
    services.act(crew, order.id, "complete", version=order.version, time_spent_min="45")
    services.act(sup, order.id, "send_back", version=order.version, reason="照片不清楚")
    assert order.status == "in_progress" and order.reason == "照片不清楚"
    services.act(crew, order.id, "complete", version=order.version, time_spent_min=50)
    services.act(sup, order.id, "accept", version=order.version)
    db.session.commit()
    assert order.status == "verified" and order.closed_at is not None and order.time_spent_min == 50


def test_an_illegal_move_is_a_conflict_with_the_current_state(users, order):
    with pytest.raises(Conflict) as caught:
        services.act(users["supervisor"], order.id, "accept", version=order.version)
    assert caught.value.current["status"] == "new"


def test_a_stale_version_is_refused_with_the_current_state(db, users, order):
    old = order.version
    services.act(users["supervisor"], order.id, "assign", version=old, assignee_user_id=users["crew"].id)
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        services.act(users["supervisor"], order.id, "cancel", version=old, reason="重复")
    assert caught.value.current["status"] == "assigned" and caught.value.current["version"] == order.version


def test_crew_may_not_create_assign_or_accept(users, order, make_asset):
    crew = users["crew"]
    with pytest.raises(PermissionDenied):
        services.create_work_order(crew, asset_id=order.asset_id, kind="repair", title="x")
    with pytest.raises(PermissionDenied):  # work that is not theirs is refused before anything else
        services.act(crew, order.id, "assign", version=order.version, assignee_user_id=crew.id)
    services.act(users["supervisor"], order.id, "assign", version=order.version, assignee_user_id=crew.id)
    with pytest.raises(PermissionDenied):
        services.act(crew, order.id, "accept", version=order.version)


def test_crew_sees_only_its_own_work(db, users, order):
    with pytest.raises(PermissionDenied):
        workorders_access.get_work_order(users["crew"], order.id)
    with pytest.raises(NotFound):
        workorders_access.get_work_order(users["crew"], order.id + 1000)
    team = Team(name="鼓山排水班", members=[users["crew"]])
    db.session.add(team)
    db.session.flush()
    services.act(users["supervisor"], order.id, "assign", version=order.version, assignee_team_id=team.id)
    assert workorders_access.get_work_order(users["crew"], order.id) is order
    services.act(users["crew"], order.id, "start", version=order.version)


def test_bad_input_names_the_field_and_writes_nothing(db, users, make_asset):
    from municipal.workorders.models import WorkOrder

    with pytest.raises(ValidationError) as caught:
        services.create_work_order(users["supervisor"], asset_id=999999, kind="painting", title="", priority="asap")
    assert set(caught.value.fields) >= {"asset", "kind", "title", "priority"}
    assert db.session.query(WorkOrder).count() == 0


def test_a_reason_is_needed_to_cancel(users, order):
    with pytest.raises(ValidationError) as caught:
        services.act(users["supervisor"], order.id, "cancel", version=order.version, reason="  ")
    assert "reason" in caught.value.fields


def test_a_supervisor_of_another_area_cannot_touch_it(db, users, order):
    from municipal.assets.models import Area

    other = Area(code="xindian", name="新店镇", level="town", path="/999/")
    db.session.add(other)
    db.session.flush()
    users["supervisor"].areas = [other]
    db.session.flush()
    with pytest.raises(Exception) as caught:
        services.act(users["supervisor"], order.id, "assign", version=order.version, assignee_user_id=users["crew"].id)
    assert caught.value.status == 403


def test_the_board_puts_overdue_work_first_and_pages_by_keyset(db, users, make_asset):
    well = make_asset()
    sup = users["supervisor"]
    now = utcnow()
    made = [services.create_work_order(sup, asset_id=well.id, kind="maintenance", title=f"清淤{i}",
                                       due_at=now + timedelta(hours=h)) for i, h in enumerate((48, -20, 5, 100, -2))]
    db.session.commit()
    first, after = workorders_lists.board_page(sup, workorders_lists.BoardFilters(), None, 3)
    second, end = workorders_lists.board_page(sup, workorders_lists.BoardFilters(), after, 3)
    titles = [o.title for o in first + second]
    assert titles == ["清淤1", "清淤4", "清淤2", "清淤0", "清淤3"] and end is None
    assert len(made) == 5


def test_assignment_and_send_back_reach_the_crew_and_a_citizen_report_reaches_the_supervisor(db, users, make_asset):
    from municipal.intake.services import submit_report
    from municipal.notify.services import recent

    crew, sup = users["crew"], users["supervisor"]
    well = make_asset("manhole", "温泉路7号井")
    order = services.create_work_order(sup, asset_id=well.id, kind="repair", title="井盖松动",
                                       assignee_user_id=crew.id)
    services.act(crew, order.id, "start", version=order.version)
    services.act(crew, order.id, "complete", version=order.version)
    services.act(sup, order.id, "send_back", version=order.version, reason="缺少照片")
    assert [n.kind for n in recent(crew)] == ["sent_back", "assigned"]
    submit_report(category=sorted(__import__("municipal.intake.models", fromlist=["CATEGORIES"]).CATEGORIES)[0],
                  description="井盖破损，有行人绊倒的危险", fingerprint="f" * 64, asset_id=well.id)
    # The supervisor was told when the work came in for review, then of the citizen's report.
    assert [n.kind for n in recent(sup)] == ["citizen_report", "submitted"]


def test_comments_and_bulk_assignment_refuse_bad_input(db, users, order):
    sup = users["supervisor"]
    with pytest.raises(ValidationError) as caught:
        workorders_notes.add_comment(sup, order.id, "   ")
    assert "body" in caught.value.fields
    with pytest.raises(PermissionDenied):
        workorders_notes.add_comment(users["viewer"], order.id, "看过了")
    with pytest.raises(ValidationError) as caught:
        bulk.apply(sup, bulk.Selection(ids=[]), bulk.Change(priority="high"))
    assert "ids" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        bulk.apply(sup, bulk.Selection(ids=[order.id]), bulk.Change(assignee_user_id="nobody"))
    assert "assignee_user" in caught.value.fields
    db.session.rollback()
    assert workorders_access.get_work_order(sup, order.id).status == "new"
    workorders_notes.add_comment(sup, order.id, "请尽快处理")
    assert [c.body for c in order.comments] == ["请尽快处理"]


def test_time_spent_must_be_whole_minutes_in_range(users, order):
    sup, crew = users["supervisor"], users["crew"]
    services.act(sup, order.id, "assign", version=order.version, assignee_user_id=crew.id)
    services.act(crew, order.id, "start", version=order.version)
    for bad in ("an hour", -5, 10**6):
        with pytest.raises(ValidationError) as caught:
            services.act(crew, order.id, "complete", version=order.version, time_spent_min=bad)
        assert "time_spent_min" in caught.value.fields
    assert order.status == "in_progress"


def test_work_goes_only_to_people_and_teams_of_the_facility_s_area_and_type(db, users, order, area):
    from municipal.assets.models import Area

    other = Area(code="xindian", name="新店镇", level="town", parent=area.parent, path="")
    db.session.add(other)
    db.session.flush()
    other.path = f"{area.parent.path}{other.id}/"
    users["crew"].areas = [other]
    roads = Team(name="新店道路班", area=other)
    pipes = Team(name="鼓山管网班", area=area, asset_types="water_pipe,sewer_segment")
    db.session.add_all([roads, pipes])
    db.session.commit()
    for person, team, field in ((users["crew"].id, None, "assignee_user"), (None, roads.id, "assignee_team"),
                                (None, pipes.id, "assignee_team")):
        with pytest.raises(ValidationError) as refused:
            services.act(users["supervisor"], order.id, "assign", version=order.version,
                         assignee_user_id=person, assignee_team_id=team)
        assert list(refused.value.fields) == [field]
    db.session.rollback()
    assert db.session.get(type(order), order.id).status == "new"


def test_my_work_shows_the_most_urgent_of_a_long_backlog_and_counts_the_rest(db, users, make_asset):
    from zoneinfo import ZoneInfo

    well, crew, now = make_asset(), users["crew"], utcnow()
    for hours in range(1, 31):
        services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title=f"积压{hours}",
                                   due_at=now - timedelta(minutes=hours), assignee_user_id=crew.id)
    services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title="下周",
                               due_at=now + timedelta(days=3), assignee_user_id=crew.id)
    db.session.commit()
    work = workorders_lists.my_work(crew, now, ZoneInfo("Asia/Shanghai"))
    assert work["counts"] == {"overdue": 30, "today": 0, "upcoming": 1}
    assert len(work["overdue"]) == 10 and work["overdue"][0].title == "积压30"


def test_the_assignee_lists_hold_the_people_and_teams_of_the_supervisor_s_areas(db, users, area):
    from municipal.assets.models import Area
    from municipal.auth.services import create_user

    other = Area(code="xindian", name="新店镇", level="town", parent=area.parent, path="")
    db.session.add(other)
    db.session.flush()
    other.path = f"{area.parent.path}{other.id}/"
    far = create_user("crew_xindian", "correct horse battery", "crew")
    far.areas = [other]
    near = create_user("crew_gushan", "correct horse battery", "crew")
    near.areas = [area]
    db.session.add_all([Team(name="新店班", area=other), Team(name="鼓山班", area=area), Team(name="区机动班")])
    users["supervisor"].areas = [area]
    db.session.commit()
    people = {name for _id, name in workorders_access.assignable_people(users["supervisor"])}
    assert "crew_gushan" in people and "crew" in people and "crew_xindian" not in people
    assert {name for _id, name in workorders_access.assignable_teams(users["supervisor"])} == {"区机动班", "鼓山班"}
    assert len(workorders_access.assignable_teams(users["admin"])) == 3


def test_the_cost_is_recorded_on_completion_to_the_fen_and_audited(db, users, order):
    from decimal import Decimal

    from municipal.audit.models import AuditEntry

    sup, crew = users["supervisor"], users["crew"]
    services.act(sup, order.id, "assign", version=order.version, assignee_user_id=crew.id)
    services.act(crew, order.id, "start", version=order.version)
    for bad in ("a lot", -0.01, "NaN", "Infinity", "1e12", True):
        with pytest.raises(ValidationError) as caught:
            services.act(crew, order.id, "complete", version=order.version, cost_yuan=bad)
        assert "cost_yuan" in caught.value.fields, bad
    assert order.status == "in_progress"
    services.act(crew, order.id, "complete", version=order.version, time_spent_min=30, cost_yuan="1250.505")
    db.session.commit()
    db.session.expire_all()
    assert workorders_access.get_work_order(sup, order.id).cost_yuan == Decimal("1250.51")
    entry = db.session.query(AuditEntry).filter_by(entity_id=str(order.id), action="complete").one()
    assert entry.changes["cost_yuan"] == [None, "1250.51"]


def test_a_viewer_cannot_be_given_work_and_so_cannot_complete_it(db, users, order):
    sup, viewer = users["supervisor"], users["viewer"]
    with pytest.raises(ValidationError) as caught:
        services.act(sup, order.id, "assign", version=order.version, assignee_user_id=viewer.id)
    assert "assignee_user" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        services.create_work_order(sup, asset_id=order.asset_id, kind="repair", title="井盖松动",
                                   assignee_user_id=viewer.id)
    assert "assignee_user" in caught.value.fields
    db.session.rollback()
    assert (order.status, order.assignee_user_id) == ("new", None)
    with pytest.raises(PermissionDenied):
        services.act(viewer, order.id, "complete", version=order.version)
    assert viewer.id not in {user_id for user_id, _name in workorders_access.assignable_people(sup)}
