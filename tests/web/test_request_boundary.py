"""The request boundary: one commit at the end of a successful request, a rollback after anything else, and
database errors answered as clean pages and JSON that leave the app working."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from municipal.assets.models import Area, Asset
from municipal.errors import ValidationError
from municipal.extensions import db as _db
from municipal.notify import services as notify_services
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder
from tests.web.api_helpers import error_of, sign_in_with_session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def race(db):
    """race(model, row_id) makes another writer commit a new version of that row just before this request's
    flush, after its version check passed: the stale write the boundary must answer."""
    raced, listeners = [], []

    def install(model, row_id, **values):
        def someone_else_saves_first(session, _flush_context, _instances):
            if not raced and any(isinstance(obj, model) and obj.id == row_id for obj in session.dirty):
                raced.append(row_id)
                with db.engine.begin() as other:
                    other.execute(sa.update(model).where(model.id == row_id)
                                  .values(version=model.version + 1, **values))

        sa.event.listen(sa.orm.Session, "before_flush", someone_else_saves_first)
        listeners.append(someone_else_saves_first)

    yield install, raced
    for listener in listeners:
        sa.event.remove(sa.orm.Session, "before_flush", listener)


@pytest.fixture
def mark_read_fails(monkeypatch):
    """mark_read_fails(how) makes marking notifications read (a page and an API endpoint) rename the district
    first, then fail as `how` says: a write half-done when a view fails, through a real route."""

    def install(how):
        def mark_read(_user, _ids=None):
            district = _db.session.scalar(sa.select(Area).where(Area.level == "district"))
            district.name = "写了一半"
            if how == "late":
                # Not flushed: the boundary's commit is the write that fails.
                return 0
            if how == "clash":
                # A real failure of the flush: the session is left in a failed transaction.
                district.code = "gushan"
            _db.session.flush()
            if how == "locked":
                raise sa.exc.OperationalError("UPDATE area", {}, Exception("database is locked"))
            raise ValidationError("refused after a flush", {"name": "refused"})

        monkeypatch.setattr(notify_services, "mark_read", mark_read)

    return install


def read_form(client) -> dict:
    page = client.get("/notifications").get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)}


def stored_district_name(db) -> str:
    db.session.expire_all()
    return db.session.scalar(sa.select(Area.name).where(Area.level == "district"))


def test_a_stale_write_through_a_page_is_a_409_and_leaves_the_row_as_stored(db, client, login, users, make_asset,
                                                                             race):
    order = work.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水")
    db.session.commit()
    version = order.version
    login("supervisor")
    page = client.get(f"/work/{order.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    install, raced = race
    install(WorkOrder, order.id, title="抢先")
    answer = client.post(f"/work/{order.id}/cancel", data={"csrf_token": token, "version": str(version),
                                                         "reason": "重复"}, headers={"Accept-Language": "zh"})
    assert raced and answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "已被他人修改" in text and "Traceback" not in text
    db.session.expire_all()
    saved = db.session.get(WorkOrder, order.id)
    assert (saved.status, saved.title, saved.version) == ("new", "抢先", version + 1)


def test_a_stale_write_through_the_api_is_a_409_with_the_stored_state(db, client, users, make_asset, race):
    asset = make_asset(name="原名")
    asset_id, version = asset.id, asset.version
    headers = {"X-CSRFToken": sign_in_with_session(client, "supervisor")}
    install, raced = race
    install(Asset, asset_id, name="抢先")
    response = client.patch(f"/api/v1/assets/{asset_id}", json={"name": "迟到", "version": version},
                            headers=headers)
    assert raced
    error = error_of(response, 409)
    assert error["code"] == "conflict" and "version" in error["fields"]
    assert error["current"] == {"id": asset_id, "version": version + 1}
    db.session.expire_all()
    assert db.session.get(Asset, asset_id).name == "抢先"


def test_a_commit_that_loses_a_race_at_the_end_of_the_request_is_a_409_not_a_500(db, client, login, area, race,
                                                                                   mark_read_fails):
    login("supervisor")
    form = read_form(client)
    district = db.session.scalar(sa.select(Area).where(Area.level == "district"))
    install, raced = race
    install(Area, district.id, name="抢先")
    mark_read_fails("late")
    answer = client.post("/notifications/read", data=form, headers={"Accept-Language": "en"})
    assert raced and answer.status_code == 409
    assert "meantime" in answer.get_data(as_text=True)
    assert stored_district_name(db) == "抢先"


def test_a_database_error_in_a_view_is_a_clean_page_and_the_next_request_works(db, client, login, area,
                                                                                 mark_read_fails):
    login("supervisor")
    form = read_form(client)
    mark_read_fails("locked")
    answer = client.post("/notifications/read", data=form, headers={"Accept-Language": "en"})
    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    # The whole layout, read through the session the error broke: the signed-in user's menu included.
    assert "database is not available" in text and "supervisor" in text
    assert "Traceback" not in text and "PendingRollbackError" not in text and "database is locked" not in text
    assert stored_district_name(db) == "晋安区"
    assert client.get("/notifications").status_code == 200
    assert client.get("/work/mine").status_code == 200


def test_a_write_the_database_refuses_is_a_409_page_and_the_next_request_works(db, client, login, area,
                                                                                mark_read_fails):
    login("supervisor")
    form = read_form(client)
    mark_read_fails("clash")
    answer = client.post("/notifications/read", data=form, headers={"Accept-Language": "en"})
    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "clashes with a change" in text and "supervisor" in text
    assert "Traceback" not in text and "PendingRollbackError" not in text and "UNIQUE" not in text.upper()
    assert stored_district_name(db) == "晋安区"
    assert client.get("/notifications").status_code == 200


def test_a_database_error_in_an_api_view_is_clean_json(db, client, users, area, mark_read_fails):
    headers = {"X-CSRFToken": sign_in_with_session(client, "supervisor")}
    mark_read_fails("locked")
    error = error_of(client.post("/api/v1/notifications/read", json={}, headers=headers), 503)
    assert error["code"] == "unavailable" and "locked" not in error["message"]
    assert client.get("/api/v1/me").status_code == 200
    assert stored_district_name(db) == "晋安区"


def test_a_domain_error_after_a_service_flushed_leaves_nothing_written(db, client, login, area, mark_read_fails):
    login("supervisor")
    form = read_form(client)
    mark_read_fails("refused")
    answer = client.post("/notifications/read", data=form, headers={"Accept-Language": "en"})
    assert answer.status_code == 422 and "refused after a flush" in answer.get_data(as_text=True)
    assert stored_district_name(db) == "晋安区"


def test_a_successful_post_commits_before_its_redirect_is_followed(db, client, login, area):
    login("supervisor")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/assets/new?type=manhole").get_data(as_text=True)).group(1)
    answer = client.post("/assets/new?type=manhole", data={
        "csrf_token": token, "name": "新井", "area": area.code, "status": "in_service", "attr_network": "污水",
        "lon": "119.31", "lat": "26.09"}, follow_redirects=True)
    assert answer.status_code == 200 and "新井" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(Asset.name)) == "新井"


# Where a commit or a rollback may be written, or a job's unit of work opened: the request boundary and the
# error handlers, the CLI commands, and the job wrapper. Everything else flushes (a job hands its unit of work
# to a service that works in pieces, as the reports job does).
TRANSACTION_OWNERS = {
    "municipal/boundary.py", "municipal/errors.py", "municipal/jobs/runner.py", "municipal/cli.py", "municipal/demo/seed.py",
    "municipal/notify/__init__.py",
}


def test_only_the_boundary_cli_and_job_wrapper_commit_or_roll_back():
    offenders = []
    for path in sorted((ROOT / "municipal").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in TRANSACTION_OWNERS or path.name == "cli.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bsession\.(commit|rollback)\(|\bunit_of_work\(", line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []

