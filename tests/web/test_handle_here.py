"""我来处理 on a facility's staff page (the page a scanned label opens): take an open work order of the facility,
or start a new inspection of it, and land on its record form."""
import pytest
import sqlalchemy as sa

from municipal.audit.models import AuditEntry
from municipal.auth import teams as team_services
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder
from tests.conftest import csrf_in


@pytest.fixture
def well(db, make_asset, checklist):
    return make_asset("manhole", "温泉路7号井")


@pytest.fixture
def team_order(db, users, well):
    team = team_services.create_team(users["admin"], "鼓山一队")
    team_services.set_members(users["admin"], team, [users["crew"].id])
    order = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="月度巡查",
                                   assignee_team_id=team.id)
    db.session.commit()
    return order


def staff_page(client, well) -> str:
    response = client.get(f"/A/{well.code.code}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_crew_member_takes_their_teams_work_and_lands_on_its_record_form(client, db, users, login, well, team_order):
    login("crew")
    page = staff_page(client, well)
    assert "我来处理" in page and team_order.number in page and "认领此工单" in page and "新建一次巡查" in page
    form = page[page.index('class="take"'):]
    response = client.post(f"/work/{team_order.id}/take", data={"csrf_token": csrf_in(form),
                                                                 "version": team_order.version})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/work/{team_order.id}/record")
    db.session.expire_all()
    order = db.session.get(WorkOrder, team_order.id)
    assert (order.assignee_user_id, order.assignee_team_id, order.status) == (users["crew"].id, None, "assigned")
    assert client.get(f"/work/{order.id}/record").status_code == 200
    # Theirs now: nothing left to take here, only a new inspection.
    assert "认领此工单" not in staff_page(client, well)
    trail = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "work_order",
                                                           AuditEntry.entity_id == str(order.id))).all()
    assert trail[-1].action == "assign"


def test_work_that_is_someone_elses_or_under_way_cannot_be_taken(client, db, users, login, well, team_order):
    mine = work.create_work_order(users["supervisor"], asset_id=well.id, kind="maintenance", title="清淤",
                                  assignee_user_id=users["crew"].id)
    db.session.commit()
    login("crew")
    section = staff_page(client, well).split('id="handle-here"')[1].split("</section>")[0]
    assert "清淤" not in section and "月度巡查" in section
    token = csrf_in(staff_page(client, well))
    # Already mine: nothing to take.
    assert client.post(f"/work/{mine.id}/take", data={"csrf_token": token, "version": mine.version}).status_code == 403
    # Started by the team: it stays where it is.
    work.act(users["crew"], team_order.id, "start", version=team_order.version)
    db.session.commit()
    response = client.post(f"/work/{team_order.id}/take", data={"csrf_token": token, "version": team_order.version})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(WorkOrder, team_order.id).assignee_team_id is not None


def test_a_new_inspection_started_on_site_is_mine_due_today_with_the_checklist(client, db, users, login, well,
                                                                                checklist):
    login("crew")
    token = csrf_in(staff_page(client, well))
    response = client.post(f"/assets/{well.id}/inspect", data={"csrf_token": token})
    order = db.session.scalars(sa.select(WorkOrder).where(WorkOrder.asset_id == well.id)).one()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/work/{order.id}/record")
    assert (order.kind, order.source, order.status, order.assignee_user_id, order.checklist_template_id) == (
        "inspection", "field", "assigned", users["crew"].id, checklist.id)
    assert order.title == "现场巡查"
    # Due at the end of the working day, in the district's clock (the suite's today is 2026-11-26).
    assert order.due_at.isoformat() == "2026-11-26T10:00:00+00:00"
    assert client.get(f"/work/{order.id}/record").status_code == 200


def test_who_may_not_work_sees_no_section_and_is_refused(client, db, users, login, well, team_order):
    for role in ("viewer", "admin"):
        login(role)
        page = staff_page(client, well)
        assert "我来处理" not in page
        token = csrf_in(page)
        assert client.post(f"/assets/{well.id}/inspect", data={"csrf_token": token}).status_code == 403
        assert client.post(f"/work/{team_order.id}/take",
                           data={"csrf_token": token, "version": team_order.version}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1


def test_a_crew_member_of_another_area_cannot_start_work_here(client, db, users, login, well):
    from municipal.assets.models import Area
    from municipal.auth import services as auth_services

    elsewhere = Area(code="X99", name="别处", level="town", path="/99/")
    db.session.add(elsewhere)
    db.session.flush()
    auth_services.set_user_areas(users["admin"], users["crew"], ["X99"])
    db.session.commit()
    login("crew")
    assert "我来处理" not in staff_page(client, well)
    token = csrf_in(staff_page(client, well))
    assert client.post(f"/assets/{well.id}/inspect", data={"csrf_token": token}).status_code == 403


def test_a_supervisor_takes_work_in_their_areas(client, db, users, login, well, team_order):
    login("supervisor")
    token = csrf_in(staff_page(client, well))
    response = client.post(f"/work/{team_order.id}/take", data={"csrf_token": token, "version": team_order.version})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(WorkOrder, team_order.id).assignee_user_id == users["supervisor"].id
