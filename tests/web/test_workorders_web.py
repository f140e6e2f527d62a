"""The work pages as people use them: a supervisor creates and assigns, the crew does it, the supervisor accepts."""
import re

import pytest
import sqlalchemy as sa

from municipal.auth import services as auth_services
from municipal.workorders import notes as workorders_notes
from municipal.auth import teams as auth_teams
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder
from tests.conftest import PASSWORD, csrf_in, csrf_token


def test_supervisor_creates_crew_completes_supervisor_accepts(app, db, client, login, users, make_asset):
    well = make_asset("manhole", "温泉路3号井")
    login("supervisor")
    response = client.post("/work/new", data={
        "csrf_token": csrf_token(client, "/work/new"), "asset": well.code.code, "kind": "repair",
        "title": "井盖破损", "priority": "urgent", "assignee_user": str(users["crew"].id),
    })
    assert response.status_code == 302
    detail = response.headers["Location"]
    order_id = int(detail.rsplit("/", 1)[1])
    board = client.get("/work").get_data(as_text=True)
    assert "井盖破损" in board and "温泉路3号井" in board

    login("crew")
    mine = client.get("/work/mine").get_data(as_text=True)
    assert "井盖破损" in mine
    for action, extra in (("start", {}), ("complete", {"time_spent_min": "40"})):
        page = client.get(detail).get_data(as_text=True)
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        answer = client.post(f"{detail}/{action}", data={"csrf_token": csrf_token(client, detail), "version": version,
                                                         **extra})
        assert answer.status_code == 303
    assert "已完成" in client.get(detail, headers={"Accept-Language": "zh"}).get_data(as_text=True)

    login("supervisor")
    page = client.get(detail).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"{detail}/accept", data={"csrf_token": csrf_token(client, detail), "version": version})
    from municipal.workorders.models import WorkOrder

    db.session.expire_all()
    assert db.session.get(WorkOrder, order_id).status == "verified"


def test_a_stale_form_is_refused_with_a_message_and_changes_nothing(db, client, login, users, make_asset):
    from municipal.workorders import services

    order = services.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水")
    db.session.commit()
    login("supervisor")
    detail = f"/work/{order.id}"
    token = csrf_token(client, detail)
    answer = client.post(f"{detail}/cancel", data={"csrf_token": token, "version": "99", "reason": "重复"})
    # A 409 showing the work order as it is, with the version to move it knowingly.
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "在此期间" in page or "meantime" in page
    assert f'name="version" value="{order.version}"' in page
    db.session.expire_all()
    assert order.status == "new"


def test_bad_input_on_the_form_names_the_field(client, login, make_asset):
    login("supervisor")
    response = client.post("/work/new", data={"csrf_token": csrf_token(client, "/work/new"), "asset": "nothing",
                                              "kind": "repair", "title": ""})
    assert response.status_code == 422


def test_a_viewer_cannot_create_work(client, login, make_asset):
    login("viewer")
    response = client.post("/work/new", data={"csrf_token": csrf_token(client, "/work/new"),
                                              "asset": str(make_asset().id), "kind": "repair", "title": "x"})
    assert response.status_code in (403, 422)


def test_the_crew_scanning_a_label_sees_the_work_due_there_and_starts_it(db, client, login, users, make_asset):
    from municipal.workorders import services

    well = make_asset("manhole", "温泉路5号井")
    order = services.create_work_order(users["supervisor"], asset_id=well.id, kind="maintenance", title="清淤",
                                       assignee_user_id=users["crew"].id)
    db.session.commit()
    login("crew")
    page = client.get(f"/A/{well.code.code}").get_data(as_text=True)
    assert "清淤" in page and f"/work/{order.id}/start" in page
    token = csrf_token(client, f"/A/{well.code.code}")
    response = client.post(f"/work/{order.id}/start", data={"csrf_token": token, "version": str(order.version)})
    assert response.status_code == 303
    db.session.expire_all()
    assert order.status == "in_progress"


def test_the_change_log_of_a_work_order_speaks_the_readers_language(db, client, login, users, make_asset):
    from municipal.workorders import services

    order = services.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水",
                                       assignee_user_id=users["crew"].id)
    services.act(users["crew"], order.id, "start", version=order.version)
    db.session.commit()
    login("supervisor")
    page = client.get(f"/work/{order.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    log = page.split("变更记录", 1)[1]
    assert "已开始" in log and "已派单" in log and "→ 处理中" in log and "in_progress" not in log


def test_two_supervisors_edit_the_same_work_order_and_the_second_gets_409(app, db, client, login, users, make_asset):
    from municipal.auth.services import create_user
    from municipal.workorders import services
    from municipal.workorders.models import WorkOrder

    order = services.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水",
                                       priority="normal")
    create_user("supervisor2", "correct horse battery", "supervisor")
    db.session.commit()
    edit = f"/work/{order.id}/edit"
    login("supervisor")
    first_page = client.get(edit).get_data(as_text=True)
    second = app.test_client()
    second_page_token = csrf_token(second, "/login")
    second.post("/login", data={"username": "supervisor2", "password": "correct horse battery",
                                "csrf_token": second_page_token})
    second_page = second.get(edit).get_data(as_text=True)

    def fields(page, **changes):
        base = {"csrf_token": csrf_in(page),
                "version": re.search(r'name="version"[^>]*value="(\d+)"', page).group(1),
                "title": "漏水", "description": "", "priority": "normal",
                "due_on": re.search(r'name="due_on"[^>]*value="([^"]+)"', page).group(1)}
        return {**base, **changes}

    assert client.post(edit, data=fields(first_page, priority="urgent", title="主阀漏水")).status_code == 303
    answer = second.post(edit, data=fields(second_page, description="请带备用阀门"))
    assert answer.status_code == 409
    # The second sees what the first saved, ready to decide again.
    assert "主阀漏水" in answer.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(WorkOrder, order.id)
    assert (saved.title, saved.priority, saved.description) == ("主阀漏水", "urgent", "")


def test_a_crew_reaching_for_another_teams_work_gets_403_and_a_missing_one_404(db, client, login, users, make_asset):
    admin = users["admin"]
    other = auth_services.create_user("crew2", PASSWORD, "crew")
    theirs = auth_teams.create_team(admin, "岳峰一队")
    auth_teams.set_members(admin, theirs, [other.id])
    order = work.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="别队的活",
                                   assignee_team_id=theirs.id)
    db.session.commit()
    login("crew")
    assert client.get(f"/work/{order.id}").status_code == 403
    token = csrf_token(client, "/work/mine")
    answer = client.post(f"/work/{order.id}/start", data={"csrf_token": token, "version": str(order.version)})
    assert answer.status_code == 403
    assert client.get(f"/work/{order.id}/record").status_code == 403
    assert client.get("/work/987654").status_code == 404
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "assigned"


@pytest.fixture
def race(db):
    """race(order) makes another writer commit a new version of the order just before this request's
    flush, after its version check passed: the lost race StaleDataError reports."""
    raced = []

    def install(order):
        def someone_else_saves_first(session, flush_context, instances):
            if not raced and any(isinstance(obj, WorkOrder) for obj in session.dirty):
                raced.append(order.id)
                with db.engine.begin() as other:
                    other.execute(sa.update(WorkOrder).where(WorkOrder.id == order.id)
                                  .values(title="抢先", version=order.version + 1))

        sa.event.listen(sa.orm.Session, "before_flush", someone_else_saves_first)
        return lambda: sa.event.remove(sa.orm.Session, "before_flush", someone_else_saves_first)

    yield install, raced


def test_a_move_that_loses_a_race_after_the_version_check_is_a_409_not_a_500(db, client, login, users, make_asset,
                                                                               race):
    order = work.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水")
    db.session.commit()
    login("supervisor")
    detail = f"/work/{order.id}"
    token = csrf_token(client, detail)
    install, raced = race
    remove = install(order)
    try:
        answer = client.post(f"{detail}/cancel", data={"csrf_token": token, "version": str(order.version),
                                                       "reason": "重复"}, headers={"Accept-Language": "en"})
    finally:
        remove()
    assert raced and answer.status_code == 409
    assert "meantime" in answer.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(WorkOrder, order.id)
    assert (saved.status, saved.title) == ("new", "抢先")


def test_an_edit_that_loses_a_race_after_the_version_check_is_a_409_not_a_500(db, client, login, users, make_asset,
                                                                               race):
    order = work.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水")
    db.session.commit()
    login("supervisor")
    edit = f"/work/{order.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    data = {"csrf_token": csrf_in(page),
            "version": str(order.version), "title": "主阀漏水", "description": "", "priority": "urgent",
            "due_on": re.search(r'name="due_on"[^>]*value="([^"]+)"', page).group(1)}
    install, raced = race
    remove = install(order)
    try:
        answer = client.post(edit, data=data, headers={"Accept-Language": "en"})
    finally:
        remove()
    assert raced and answer.status_code == 409
    assert "meantime" in answer.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(WorkOrder, order.id)
    assert (saved.title, saved.priority, saved.version) == ("抢先", "normal", 2)


def test_the_board_filters_by_facility_type(db, client, login, users, make_asset):
    sup = users["supervisor"]
    dam = work.create_work_order(sup, asset_id=make_asset("reservoir", "登云水库").id, kind="inspection", title="大坝巡查")
    drain = work.create_work_order(sup, asset_id=make_asset("manhole", "温泉路3号井").id, kind="maintenance",
                                   title="清淤")
    db.session.commit()
    login("supervisor")
    page = client.get("/work?asset_type=reservoir", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "大坝巡查" in page and "清淤" not in page
    assert '<option value="reservoir" selected>' in page and "All facility types" in page
    page = client.get("/work?asset_type=manhole").get_data(as_text=True)
    assert "清淤" in page and "大坝巡查" not in page
    both = client.get("/work?asset_type=nonsense").get_data(as_text=True)
    assert "清淤" in both and "大坝巡查" in both
    assert dam.id != drain.id


def test_bulk_change_sets_priority_and_due_date_from_the_board(db, client, login, users, make_asset):
    sup = users["supervisor"]
    well = make_asset()
    orders = [work.create_work_order(sup, asset_id=well.id, kind="maintenance", title=f"清淤{i}") for i in range(3)]
    done = work.create_work_order(sup, asset_id=well.id, kind="maintenance", title="已取消")
    work.act(sup, done.id, "cancel", version=done.version, reason="重复")
    db.session.commit()
    login("supervisor")
    token = csrf_token(client, "/work")
    ids = [str(o.id) for o in orders]

    answer = client.post("/work/assign", data={"csrf_token": token, "ids": ids + [str(done.id)], "priority": "urgent",
                                               "confirm": "1"},
                         headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "none was" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(WorkOrder, o.id).priority for o in orders} == {"normal"}

    answer = client.post("/work/assign", data={"csrf_token": token, "ids": ids, "priority": "high",
                                               "due_on": "2030-05-04", "confirm": "1"}, headers={"Accept-Language": "en"},
                         follow_redirects=True)
    assert "3 work orders changed" in answer.get_data(as_text=True)
    db.session.expire_all()
    saved = [db.session.get(WorkOrder, o.id) for o in orders]
    assert {(o.priority, o.status, o.due_at.date().isoformat()) for o in saved} == {("high", "new", "2030-05-04")}
    assert client.post("/work/assign", data={"csrf_token": token, "ids": ids, "due_on": "someday"},
                       headers={"Accept-Language": "en"}, follow_redirects=True).get_data(as_text=True).count(
        "not a valid date") == 1
    login("crew")
    assert client.post("/work/assign", data={"csrf_token": csrf_token(client, "/work"), "ids": ids,
                                             "priority": "low"}).status_code == 403


def test_the_change_log_pages_beyond_fifty_entries(db, client, login, users, make_asset):
    sup = users["supervisor"]
    order = work.create_work_order(sup, asset_id=make_asset().id, kind="repair", title="漏水")
    for number in range(55):
        workorders_notes.add_comment(sup, order.id, f"评论{number:02d}")
    db.session.commit()
    login("supervisor")
    page = client.get(f"/work/{order.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    log = page.split('id="audit"', 1)[1]
    assert "评论54" in log and "评论05" in log and "评论04" not in log
    older = re.search(r'href="([^"]*audit_before=\d+[^"]*)"', log).group(1).replace("&amp;", "&")
    page = client.get(older, headers={"Accept-Language": "en"}).get_data(as_text=True)
    log = page.split('id="audit"', 1)[1]
    assert "评论04" in log and "评论00" in log and "评论05" not in log and "Latest changes" in log
    assert "Older changes" not in log
    assert client.get(f"/work/{order.id}?audit_before=x").status_code == 200


def test_ids_beyond_what_the_database_holds_in_filters_and_bulk_changes_are_not_errors(client, login, make_asset):
    make_asset()
    login("supervisor")
    huge = "99999999999999999999"
    assert client.get(f"/work?asset={huge}&team={huge}").status_code == 200
    answer = client.post("/work/assign", data={"csrf_token": csrf_token(client, "/work"), "ids": [huge],
                                               "priority": "low"})
    assert answer.status_code == 404
