"""Citizen reports in the service layer: validation, tracking numbers, rate limit, triage scope, closing."""
import threading
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from municipal.assets.models import Area
from municipal.auth.services import create_user
from municipal.db import utcnow
from municipal.errors import Conflict, NotFound, PermissionDenied, ValidationError
from municipal.intake import photos, services
from municipal.intake.models import CitizenReport


def jpeg(size=(64, 48)) -> BytesIO:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def submit(fingerprint="client-a", **fields):
    values = {"category": "damaged", "description": "井盖破损，有行人踩空的危险", **fields}
    return services.submit_report(fingerprint=fingerprint, **values)


def test_a_report_with_photo_gets_a_typable_number_and_stored_pictures(app, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    report = submit(asset_id=asset.id, photo=jpeg((2400, 1800)), contact_name="陈女士", contact_phone="13905910002",
                    lon="119.31", lat="26.09")
    db.session.commit()
    assert report.number.startswith("R-") and len(report.number) == 10
    assert services.normalize_number(report.number.lower().replace("-", " ")) == report.number
    assert photos.process_pending() == 1
    db.session.commit()
    db.session.refresh(report)
    media = Path(app.config["MEDIA_DIR"])
    with Image.open(media / report.photo_path) as full, Image.open(media / report.thumb_path) as thumb:
        assert max(full.size) == app.config["REPORT_PHOTO_EDGE"] and max(thumb.size) == 320
    assert (report.lon, report.lat, report.status) == (119.31, 26.09, "new")


def test_a_tracking_number_already_given_is_never_given_again(db, monkeypatch):
    first = submit()
    db.session.commit()
    drawn = iter([first.number, first.number, "R-ABCDEFGH"])
    monkeypatch.setattr(services, "_random_number", lambda: next(drawn))
    second = submit(fingerprint="client-b")
    db.session.commit()
    assert second.number == "R-ABCDEFGH" and next(drawn, None) is None


def test_bad_input_names_each_field_and_writes_nothing(db):
    with pytest.raises(ValidationError) as caught:
        submit(category="ufo", description="坏", contact_phone="call me", lon="abc", asset_id=999999)
    assert set(caught.value.fields) == {"category", "description", "contact_phone", "position", "asset"}
    with pytest.raises(ValidationError) as caught:
        submit(photo=BytesIO(b"%PDF-1.4 not a photo"))
    assert "photo" in caught.value.fields
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0


def test_the_status_leaves_out_contact_details(db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    report = submit(asset_id=asset.id, contact_name="陈女士", contact_phone="13905910002")
    status = services.report_status(" " + report.number.lower() + " ")
    assert (status.number, status.facility, status.status) == (report.number, "鼓山路3号井", "new")
    assert status.category == "damaged"
    assert "13905910002" not in repr(status) and "陈女士" not in repr(status)
    with pytest.raises(NotFound):
        services.report_status("R-00000000")


def test_the_rate_limit_counts_one_client_within_the_window(app, db):
    limit = app.config["REPORT_RATE_LIMIT"]
    earlier = utcnow() - timedelta(hours=2)
    submit(now=earlier)
    for _ in range(limit):
        submit()
    with pytest.raises(services.RateLimited) as caught:
        submit()
    assert caught.value.status == 429
    submit(fingerprint="client-b")


def _supervisor_of(db, area, name):
    user = create_user(name, "correct horse battery", "supervisor")
    user.areas.append(area)
    db.session.flush()
    return user


def test_supervisors_triage_only_their_areas(db, users, area, make_asset):
    other_area = Area(code="xindian", name="新店镇", level="town", parent=area.parent)
    db.session.add(other_area)
    db.session.flush()
    other_area.path = f"{area.parent.path}{other_area.id}/"
    mine = submit(asset_id=make_asset(name="鼓山路3号井").id)
    unnamed = submit(description="路边有个大坑，很危险")
    local, stranger = _supervisor_of(db, area, "gushan_sup"), _supervisor_of(db, other_area, "xindian_sup")

    def seen(actor, **filters):
        rows, _ = services.triage_page(actor, services.TriageFilters(**filters))
        return [r.id for r in rows]

    assert seen(local) == [unnamed.id, mine.id]
    assert seen(stranger) == [unnamed.id]
    assert seen(users["admin"]) == seen(users["supervisor"]) == [unnamed.id, mine.id]
    assert seen(users["admin"], area="xindian") == []
    with pytest.raises(NotFound):
        services.close_report(stranger, mine.id, "已处理")
    with pytest.raises(PermissionDenied):
        services.triage_query(users["crew"], services.TriageFilters())


def test_keyset_pages_cover_every_report_once(db, users):
    made = [submit(fingerprint=f"c{i}").id for i in range(5)]
    rows, after = services.triage_page(users["admin"], services.TriageFilters(), limit=2)
    seen = [r.id for r in rows]
    while after:
        rows, after = services.triage_page(users["admin"], services.TriageFilters(), after, limit=2)
        seen += [r.id for r in rows]
    assert seen == sorted(made, reverse=True)


def test_closing_needs_a_reply_and_happens_once(db, users):
    report = submit()
    with pytest.raises(ValidationError) as caught:
        services.close_report(users["supervisor"], report.id, "  ")
    assert "reply" in caught.value.fields
    services.close_report(users["supervisor"], report.id, "已更换井盖，感谢反映")
    status = services.report_status(report.number)
    assert (status.status, status.reply) == ("closed", "已更换井盖，感谢反映") and status.closed_at
    with pytest.raises(Conflict):
        services.close_report(users["supervisor"], report.id, "again")


def test_accepting_makes_a_work_order_for_the_facility(db, users, make_asset):
    pytest.importorskip("municipal.workorders.services")
    from municipal.workorders.models import WorkOrder

    asset = make_asset(name="鼓山路3号井")
    report = submit(asset_id=asset.id)
    services.accept_report(users["supervisor"], report.id)
    order = db.session.get(WorkOrder, report.work_order_id)
    assert (order.asset_id, order.kind, order.source, order.citizen_report_id) == (asset.id, "citizen_report",
                                                                                   "citizen", report.id)
    assert services.report_status(report.number).status == "accepted"
    with pytest.raises(Conflict):
        services.accept_report(users["supervisor"], report.id)


def test_a_report_whose_photo_is_gone_from_disk_is_still_accepted_without_it(app, db, users, make_asset, caplog):
    """A database restored without its media folder: accepting the report answered 500 (the mixed-load
    benchmark found it), and the report could never become work."""
    from municipal.workorders.models import WorkOrder

    report = submit(asset_id=make_asset(name="鼓山路3号井").id, photo=jpeg())
    db.session.commit()
    (Path(app.config["MEDIA_DIR"]) / report.photo_path).unlink()
    services.accept_report(users["supervisor"], report.id)
    db.session.commit()
    order = db.session.get(WorkOrder, report.work_order_id)
    assert order.citizen_report_id == report.id and order.attachments == []
    assert services.report_status(report.number).status == "accepted"
    assert f"{report.number}: its photo {report.photo_path} is missing" in caplog.text


def test_two_accepts_at_once_make_one_work_order(app, db, users, make_asset):
    """A double click on "accept", or two supervisors at once: both read the report as new. The second must
    wait for the first and be refused, not make a second work order (the mixed-load benchmark found it did)."""
    from municipal.auth.models import User
    from municipal.workorders.models import WorkOrder

    report = submit(asset_id=make_asset().id)
    db.session.commit()
    report_id, supervisor_id = report.id, users["supervisor"].id
    barrier, outcomes = threading.Barrier(2), []

    def accept():
        with app.app_context():
            try:
                actor = db.session.get(User, supervisor_id)
                services.get_report(actor, report_id)  # read as new by both before either writes
                barrier.wait()
                services.accept_report(actor, report_id)
                db.session.commit()
                outcomes.append("accepted")
            except (Conflict, sa.exc.OperationalError) as error:  # SQLite refuses the second writer outright
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["Conflict", "accepted"], ["OperationalError", "accepted"])
    db.session.expire_all()
    orders = db.session.scalars(sa.select(WorkOrder).where(WorkOrder.citizen_report_id == report_id)).all()
    assert len(orders) == 1 and db.session.get(CitizenReport, report_id).work_order_id == orders[0].id


def _moved(db, users, report, *moves):
    from municipal.workorders import services as work
    from municipal.workorders.models import WorkOrder

    for actor, action, extra in moves:
        order = db.session.get(WorkOrder, report.work_order_id)
        work.act(users[actor], order.id, action, version=order.version, **extra)
    db.session.commit()


def test_the_status_page_follows_the_work_order_without_naming_anyone(app, db, users, make_asset):
    asset = make_asset(name="鼓山路3号井")
    report = submit(asset_id=asset.id)
    services.accept_report(users["supervisor"], report.id)
    db.session.commit()
    assert services.report_status(report.number).status == "accepted"

    crew = users["crew"]
    crew.display_name = "林师傅"
    _moved(db, users, report, ("supervisor", "assign", {"assignee_user_id": crew.id}))
    assert services.report_status(report.number).status == "accepted"
    _moved(db, users, report, ("crew", "start", {}))
    status = services.report_status(report.number)
    assert status.status == "in_progress" and status.done_at is None
    _moved(db, users, report, ("crew", "hold", {"reason": "等配件，联系陈工 13905910002"}))
    status = services.report_status(report.number)
    assert status.status == "in_progress" and "13905910002" not in repr(status)
    _moved(db, users, report, ("crew", "resume", {}), ("crew", "complete", {}))
    status = services.report_status(report.number)
    assert status.status == "done" and status.done_at is not None and status.closed_at is None
    _moved(db, users, report, ("supervisor", "accept", {}))
    status = services.report_status(report.number)
    assert status.status == "done" and "林师傅" not in repr(status) and "13905910002" not in repr(status)


def test_a_cancelled_work_order_closes_the_report_with_a_fixed_reply_not_the_staff_reason(app, db, users,
                                                                                           make_asset):
    report = submit(asset_id=make_asset().id)
    services.accept_report(users["supervisor"], report.id)
    db.session.commit()
    _moved(db, users, report, ("supervisor", "cancel", {"reason": "重复，王主管 13905910003 已处理"}))
    status = services.report_status(report.number)
    assert status.status == "closed" and status.closed_at is not None
    assert "13905910003" not in status.reply and "王主管" not in status.reply
    assert app.config["HOTLINE"] in status.reply


def test_a_report_naming_no_facility_notifies_the_admins_and_the_districts_supervisors(db, users, area):
    from municipal.auth.models import User
    from municipal.notify.models import Notification

    town_boss = create_user("town_boss", "correct horse battery", "supervisor")
    district_boss = create_user("district_boss", "correct horse battery", "supervisor")
    area_admin = create_user("area_admin", "correct horse battery", "admin")
    town_boss.areas, district_boss.areas, area_admin.areas = [area], [area.parent], [area]
    db.session.commit()
    report = submit(description="路边有个井盖不见了，很危险")
    db.session.commit()
    sent = db.session.scalars(sa.select(Notification).where(Notification.kind == "citizen_report")).all()
    assert sorted(db.session.get(User, n.user_id).username for n in sent) == [
        "admin", "area_admin", "district_boss", "supervisor"]
    assert {(n.params["number"], n.params["area"], n.link) for n in sent} == {
        (report.number, "晋安区", f"/reports/{report.id}")}
