"""Submitting a checklist from the field: judged whole, stored once, findings opening their own repair work."""
import threading
import uuid
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from municipal.audit.models import AuditEntry
from municipal.errors import Conflict, PermissionDenied, ValidationError
from municipal.inspections import services
from municipal.inspections.models import Finding, Inspection, InspectionPhoto
from municipal.inspections.views import submit_once
from municipal.notify.models import Notification
from municipal.workorders import services as work
from municipal.workorders.checklists import sync_templates
from municipal.workorders.models import ChecklistTemplate, WorkOrder
from tests.conftest import MINI_CHECKLIST, jpeg_bytes

GOOD = {"cover": "pass", "odour": "pass", "water_depth": "0.4", "silt": "none", "remarks": ""}


@pytest.fixture
def order(db, users, make_asset, checklist):
    well = make_asset("manhole", "温泉路3号井")
    made = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="月度巡查",
                                  assignee_user_id=users["crew"].id)
    db.session.commit()
    return made


def photo():
    return BytesIO(jpeg_bytes())


def submission(**changes) -> services.Submission:
    data = services.Submission(key=str(uuid.uuid4()), answers=dict(GOOD), photos={"overview": [photo()]},
                               time_spent_min="25", latitude="26.0905", longitude="119.31")
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_a_new_inspection_gets_the_checklist_of_its_facility_type(order, checklist):
    assert order.checklist_template_id == checklist.id
    assert [item["key"] for item in checklist.items][:2] == ["cover", "odour"]


def test_a_clean_inspection_completes_the_work_with_position_and_photos(app, db, users, order):
    inspection, created = services.submit(users["crew"], order.id, submission())
    db.session.commit()
    assert created and order.status == "completed" and order.time_spent_min == 25
    assert inspection.findings == [] and inspection.answers["water_depth"] == 0.4
    # The well is at 26.09 N: 0.0005° of latitude is 56 m, inside the 200 m allowed.
    assert inspection.distance_m == pytest.approx(55.6, abs=1) and inspection.far_from_facility is False
    stored = db.session.scalars(sa.select(InspectionPhoto)).all()
    assert [p.item_key for p in stored] == ["overview"]
    media = Path(app.config["MEDIA_DIR"])
    assert (media / stored[0].path).is_file() and (media / stored[0].thumb_path).is_file()
    trail = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "inspection")).all()
    assert [e.action for e in trail] == ["submit"]


def test_far_from_the_facility_is_flagged(db, users, order):
    inspection, _created = services.submit(users["crew"], order.id, submission(latitude="26.10", longitude="119.31"))
    assert inspection.distance_m == pytest.approx(1112, abs=2) and inspection.far_from_facility is True


def test_the_distance_that_counts_as_far_is_a_setting(app, db, users, order, monkeypatch):
    # 1112 m away, as above: within a limit of 1500 m, as MUNICIPAL_INSPECTION_MAX_DISTANCE_M=1500 sets it.
    monkeypatch.setitem(app.config, "INSPECTION_MAX_DISTANCE_M", 1500.0)
    inspection, _created = services.submit(users["crew"], order.id, submission(latitude="26.10", longitude="119.31"))
    assert inspection.distance_m == pytest.approx(1112, abs=2) and inspection.far_from_facility is False


def test_failures_become_findings_and_the_critical_one_opens_rectification_work(db, users, order):
    answers = {**GOOD, "cover": "fail", "odour": "fail", "water_depth": "2.3", "silt": "heavy"}
    data = submission(answers=answers, photos={"overview": [photo()], "cover": [photo()]}, needs_repair={"silt"})
    inspection, _created = services.submit(users["crew"], order.id, data)
    db.session.commit()
    findings = {f.item_key: f for f in inspection.findings}
    assert {k: (f.severity, f.reason) for k, f in findings.items()} == {
        "cover": ("critical", "fail"), "odour": ("low", "fail"), "water_depth": ("high", "above"),
        "silt": ("medium", "choice")}
    assert findings["water_depth"].value == "2.3 m"
    # The cover opens work on its own, the silt because the crew asked; odour and depth do not.
    assert findings["odour"].follow_up is None and findings["water_depth"].follow_up is None
    follow_up = findings["cover"].follow_up
    assert (follow_up.kind, follow_up.source, follow_up.priority, follow_up.parent_id, follow_up.status) == (
        "rectification", "finding", "urgent", order.id, "new")
    assert "井盖完好" in follow_up.title and order.number in follow_up.description
    assert follow_up.description.endswith("— 有问题")
    assert findings["silt"].follow_up.priority == "normal"
    assert services.finding_status(findings["cover"]) == "rectifying"
    # The area's supervisor hears of each new piece of rectification work.
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == users["supervisor"].id)).all()
    assert kinds.count("finding") == 2


def test_a_repeat_returns_the_first_record_and_creates_nothing(db, users, order):
    data = submission()
    first, created = services.submit(users["crew"], order.id, data)
    db.session.commit()
    again, created_again = services.submit(users["crew"], order.id, submission(key=data.key))
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1


def test_three_identical_submissions_at_once_store_one_record(app, db, users, order):
    key, crew_id, order_id = str(uuid.uuid4()), users["crew"].id, order.id
    files_before = set(Path(app.config["MEDIA_DIR"]).rglob("*.jpg"))
    barrier, results, failures = threading.Barrier(3), [], []

    def send():
        with app.app_context():
            try:
                from municipal.auth.models import User

                actor = db.session.get(User, crew_id)
                data = submission(key=key)
                barrier.wait()
                inspection, _created = submit_once(actor, order_id, data)
                results.append(inspection.id)
            except Exception as error:  # collected for the assertion below, with its type
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(results)) == 1 and len(results) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1
    stored = db.session.scalar(sa.select(InspectionPhoto))
    # On disk: the kept record's photo and thumbnail, nothing of the twins that lost their claim.
    added = set(Path(app.config["MEDIA_DIR"]).rglob("*.jpg")) - files_before
    assert sorted(p.name for p in added) == sorted(Path(p).name for p in (stored.path, stored.thumb_path))
    db.session.expire_all()
    assert db.session.get(WorkOrder, order_id).status == "completed"


def test_missing_answers_and_photos_are_named_and_nothing_is_stored(app, db, users, order):
    answers = {**GOOD, "cover": "fail", "water_depth": "deep"}
    del answers["odour"]
    files_before = sorted(Path(app.config["MEDIA_DIR"]).rglob("*"))
    with pytest.raises(ValidationError) as refused:
        services.submit(users["crew"], order.id, submission(answers=answers, photos={}))
    db.session.rollback()
    assert set(refused.value.fields) == {"item.cover", "item.water_depth", "item.overview"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
    assert db.session.get(WorkOrder, order.id).status == "assigned"
    assert sorted(Path(app.config["MEDIA_DIR"]).rglob("*")) == files_before


def test_a_file_that_is_not_a_photo_is_refused_by_its_item(db, users, order):
    with pytest.raises(ValidationError) as refused:
        services.submit(users["crew"], order.id, submission(photos={"overview": [BytesIO(b"%PDF-1.4 not a photo")]}))
    assert list(refused.value.fields) == ["photo.overview"]


def test_bad_position_and_bad_client_id_are_refused(users, order):
    with pytest.raises(ValidationError) as refused:
        services.submit(users["crew"], order.id, submission(latitude="north"))
    assert "position" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        services.submit(users["crew"], order.id, submission(key="once"))
    assert "idempotency_key" in refused.value.fields


def test_another_crew_and_a_closed_order_cannot_be_submitted(db, users, order):
    from municipal.auth.services import create_user

    stranger = create_user("crew2", "correct horse battery", "crew")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.submit(stranger, order.id, submission())
    services.submit(users["crew"], order.id, submission())
    db.session.commit()
    with pytest.raises(Conflict):
        services.submit(users["crew"], order.id, submission())


def test_work_with_a_checklist_cannot_be_completed_without_it(db, users, order):
    work.act(users["crew"], order.id, "start", version=order.version)
    with pytest.raises(ValidationError) as refused:
        work.act(users["crew"], order.id, "complete", version=order.version)
    assert "checklist" in refused.value.fields


def test_a_changed_checklist_file_becomes_a_new_version_and_old_records_keep_theirs(db, users, order, tmp_path):
    inspection, _created = services.submit(users["crew"], order.id, submission())
    db.session.commit()
    path = tmp_path / "changed.yaml"
    path.write_text(MINI_CHECKLIST.replace("max: 1.5", "max: 1.2"), encoding="utf-8")
    assert sync_templates(path) == {"created": 0, "updated": 1, "unchanged": 0}
    assert sync_templates(path) == {"created": 0, "updated": 0, "unchanged": 1}
    versions = db.session.scalars(sa.select(ChecklistTemplate).order_by(ChecklistTemplate.version)).all()
    assert [(t.version, t.active) for t in versions] == [(1, False), (2, True)]
    assert inspection.template.version == 1


def test_the_shipped_checklists_load(db):
    counts = sync_templates()
    assert counts["created"] >= 10
    dam = db.session.scalar(sa.select(ChecklistTemplate).where(ChecklistTemplate.key == "reservoir.dam_patrol"))
    sections = {item["section"]["zh"] for item in dam.items if item.get("section")}
    assert len(sections) >= 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0


def test_a_submission_that_fails_after_its_photos_were_stored_leaves_no_files(app, db, users, order, monkeypatch):
    def calendar_refuses(_order):
        raise ValidationError("refused late", {"calendar": "refused"})

    monkeypatch.setattr(services.calendar, "completion_of_order", calendar_refuses)
    media = Path(app.config["MEDIA_DIR"])
    files_before = sorted(media.rglob("*.jpg"))
    data = submission(photos={"overview": [photo()], "": [photo(), photo()]})
    with pytest.raises(ValidationError):
        submit_once(users["crew"], order.id, data)
    db.session.rollback()
    assert sorted(media.rglob("*.jpg")) == files_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InspectionPhoto)) == 0

    monkeypatch.undo()
    inspection, created = submit_once(users["crew"], order.id, submission())
    assert created and all((media / p.path).exists() and (media / p.thumb_path).exists() for p in inspection.photos)
