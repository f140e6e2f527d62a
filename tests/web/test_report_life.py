"""A citizen's report from Open311 POST to closed, seen at each step through Open311, the citizen's status
page and the supervisor's page, which must agree; 不满意 reopening it; deadlines escalated as the clock moves."""
import re
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from municipal.intake import followup, open311_keys, states
from municipal.intake.models import PUBLIC_STATUSES, CitizenReport
from municipal.jobs import runner
from municipal.jobs.registry import JOBS
from municipal.notify.models import Notification
from municipal.workorders import notes
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder
from tests.conftest import csrf_in

BASE = "/open311/v2"


def jpeg(color=(90, 90, 90)) -> BytesIO:
    buffer = BytesIO()
    Image.new("RGB", (80, 60), color).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


@pytest.fixture
def key(db):
    _row, plain = open311_keys.create_key("12345 platform")
    db.session.commit()
    return plain


def views_agree(client, login, number: str, report_id: int) -> str:
    """The public status each view shows, checked equal; returns it."""
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    citizen = client.get(f"/report/status?number={number}").get_data(as_text=True)
    public = re.search(r'class="status r-([a-z_]+)"', citizen).group(1)
    assert client.get(f"{BASE}/requests/{number}.json").json[0]["status"] == states.open311_status(public)
    login("supervisor")
    staff = client.get(f"/reports/{report_id}").get_data(as_text=True)
    label = str(PUBLIC_STATUSES[public])
    assert re.search(r"(The citizen sees|市民看到的状态)</dt><dd>" + re.escape(label), staff), (public, label)
    return public


def test_a_request_from_post_to_closed(app, client, db, login, users, key, make_asset):
    asset = make_asset(name="鼓山路3号井")
    posted = client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "cover_missing", "description": "井盖缺失，晚上很危险",
        "attribute[asset_code]": asset.code.code, "lat": "26.09", "long": "119.31", "media": (jpeg(), "a.jpg"),
        "phone": "13905910002"}, content_type="multipart/form-data").json[0]
    number = posted["service_request_id"]
    report = db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == number))
    assert views_agree(client, login, number, report.id) == "new"

    # Triage: priority and assignee chosen, the citizen's evidence carried to the work order.
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "井盖缺失" in page and 'name="assignee_user"' in page
    accept_csrf = csrf_in(page[page.index(f'action="/reports/{report.id}/accept"'):])
    client.post(f"/reports/{report.id}/accept", data={"csrf_token": accept_csrf, "priority": "high",
                                                      "assignee_user": str(users["crew"].id)})
    db.session.expire_all()
    order = db.session.get(WorkOrder, report.work_order_id)
    assert (order.priority, order.assignee_user_id, order.asset_id) == ("high", users["crew"].id, asset.id)
    assert order.citizen_report_id == report.id and "26.09000" in order.description
    assert [a.filename for a in order.attachments] == [f"{number}.jpg"]
    assert f'href="/reports/{report.id}"' in client.get(f"/work/{order.id}").get_data(as_text=True)
    assert f'href="/work/{order.id}"' in client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert views_agree(client, login, number, report.id) == "accepted"

    work.act(users["crew"], order.id, "start", version=order.version)
    db.session.commit()
    assert views_agree(client, login, number, report.id) == "in_progress"

    notes.add_attachment(users["crew"], order.id, jpeg((10, 200, 10)), "after.jpg")
    work.act(users["crew"], order.id, "complete", version=order.version, time_spent_min=30)
    db.session.commit()
    assert views_agree(client, login, number, report.id) == "done"
    citizen = client.get(f"/report/status?number={number}").get_data(as_text=True)
    assert f"/report/status/{number}/after.jpg" in citizen and 'value="unsatisfied"' in citizen
    after = client.get(f"/report/status/{number}/after.jpg")
    assert after.status_code == 200 and after.data[:2] == b"\xff\xd8"
    after.close()
    assert "13905910002" not in citizen
    assert client.get(f"{BASE}/requests/{number}.json").json[0]["expected_datetime"] is None

    # 不满意: back to the supervisors for review.
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    citizen = client.get(f"/report/status?number={number}").get_data(as_text=True)
    client.post(f"/report/status/{number}/rate", data={"csrf_token": csrf_in(citizen), "satisfaction": "unsatisfied"})
    assert views_agree(client, login, number, report.id) == "review"
    assert db.session.scalar(sa.select(Notification.id).where(
        Notification.dedupe_key == f"citizen_report_review:{report.id}"))
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    close_csrf = csrf_in(page[page.index(f'action="/reports/{report.id}/close"'):])
    client.post(f"/reports/{report.id}/close", data={"csrf_token": close_csrf, "reply": "已重新加固井盖"})
    assert views_agree(client, login, number, report.id) == "closed"
    assert client.get(f"{BASE}/requests/{number}.json").json[0]["status_notes"] == "已重新加固井盖"


def test_satisfied_stays_closed_and_rating_twice_is_refused(db, make_asset, users):
    from municipal.errors import Conflict
    from municipal.intake import services

    report = services.submit_report(category="dirty", description="很脏", fingerprint="x")
    services.close_report(users["supervisor"], report.id, "已清理")
    assert followup.rate(report.number, "satisfied").status == "closed"
    with pytest.raises(Conflict):
        followup.rate(report.number, "unsatisfied")


def test_deadlines_escalate_once_when_the_clock_passes_them(app, db, clock, make_asset, users):
    from municipal.intake import services

    asset = make_asset(name="登云水库", type="reservoir")
    report = services.submit_report(category="crack", description="坝顶有裂缝", fingerprint="x", asset_id=asset.id)
    db.session.commit()
    assert report.priority == "urgent"  # 裂缝
    hours = app.config["REPORT_SLA_HOURS"]["urgent"]
    escalations = lambda: db.session.scalars(sa.select(Notification.dedupe_key).where(
        Notification.kind == "report_overdue")).all()
    assert followup.escalate_overdue(clock.now()) == 0
    clock.set(clock.now() + timedelta(hours=hours["response"], minutes=1))
    runner.run(JOBS["report-deadlines"], clock.now())
    assert set(escalations()) == {f"report_overdue:response_escalated_at:{report.id}"}
    first = len(escalations())
    runner.run(JOBS["report-deadlines"], clock.now())
    assert len(escalations()) == first  # once per deadline, however often the job runs
    services.accept_report(users["supervisor"], report.id)
    db.session.commit()
    clock.set(clock.now() + timedelta(hours=hours["fix"]))
    runner.run(JOBS["report-deadlines"], clock.now())
    assert f"report_overdue:fix_escalated_at:{report.id}" in escalations()
    numbers = followup.compliance(clock.now() - timedelta(days=7), clock.now())
    assert numbers["received"] == 1 and numbers["responded_late"] == 1


def test_contact_details_are_forgotten_after_the_retention(app, db, clock):
    from municipal.intake import services

    old = services.submit_report(category="dirty", description="很脏", fingerprint="a", contact_phone="13905910002")
    db.session.commit()
    clock.set(clock.now() + timedelta(days=app.config["REPORT_CONTACT_RETENTION_DAYS"] + 1))
    new = services.submit_report(category="dirty", description="又脏了", fingerprint="b", contact_phone="13905910003")
    db.session.commit()
    runner.run(JOBS["report-contacts"], clock.now())
    db.session.expire_all()
    assert (old.contact_phone, new.contact_phone) == ("", "13905910003")


def test_the_compliance_page_counts_the_deadlines_kept(client, db, login, users, clock, make_asset):
    from municipal.intake import services

    asset = make_asset(name="鼓山路3号井")
    quick = services.submit_report(category="dirty", description="很脏", fingerprint="a", asset_id=asset.id)
    services.close_report(users["supervisor"], quick.id, "已清理")
    services.submit_report(category="cover_missing", description="井盖缺失", fingerprint="b", asset_id=asset.id)
    db.session.commit()
    clock.set(clock.now() + timedelta(days=3))
    login("supervisor")
    page = client.get("/calendar/compliance?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    cells = re.findall(r'<td class="num">(\d+)</td>', page[page.index("市民诉求"):])
    assert cells == ["2", "1", "0", "1", "0"]


def test_a_duplicate_is_merged_and_its_citizen_told_the_number_to_follow(client, db, login, make_asset):
    from municipal.intake import services

    asset = make_asset(name="鼓山路3号井")
    first = services.submit_report(category="cover_missing", description="井盖缺失", fingerprint="a", asset_id=asset.id)
    second = services.submit_report(category="cover_missing", description="井盖没了", fingerprint="b", asset_id=asset.id)
    db.session.commit()
    login("supervisor")
    page = client.get(f"/reports/{second.id}").get_data(as_text=True)
    assert first.number in page
    form = page[page.index(f'action="/reports/{second.id}/merge"'):]
    client.post(f"/reports/{second.id}/merge", data={"csrf_token": csrf_in(form), "into": first.number})
    db.session.expire_all()
    assert (second.status, second.merged_into_id) == ("closed", first.id)
    citizen = client.get(f"/report/status?number={second.number}").get_data(as_text=True)
    assert first.number in citizen and 'class="status r-closed"' in citizen
    assert client.get(f"/open311/v2/requests/{second.number}.json").json[0]["status"] == "closed"
