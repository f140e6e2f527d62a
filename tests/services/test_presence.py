"""Proof of presence and what the phone says of each photo: the position when the record was started and at
submission, both distances to the facility; each photo's time and position, sent ahead of its record; the note
under an item with a problem."""
import os
import uuid
from datetime import datetime, timezone
from io import BytesIO

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from municipal.errors import ValidationError
from municipal.inspections import services, uploads
from municipal.inspections.models import InspectionPhoto
from municipal.inspections.views import submission_from, submit_once
from tests.conftest import jpeg_bytes
from tests.services.test_inspections import GOOD, order, photo, submission  # noqa: F401

# The well is at 119.31 E, 26.09 N; 0.01° of latitude is 1,112 m.
NEAR = {"latitude": "26.0905", "longitude": "119.31"}
FAR = {"latitude": "26.10", "longitude": "119.31"}


def test_both_positions_and_their_distances_are_kept(db, users, order):
    data = submission(start_latitude=FAR["latitude"], start_longitude=FAR["longitude"], start_accuracy_m="12", **NEAR)
    inspection, _created = services.submit(users["crew"], order.id, data)
    db.session.commit()
    assert (inspection.start_latitude, inspection.start_longitude, inspection.start_accuracy_m) == (26.10, 119.31, 12)
    assert inspection.start_distance_m == pytest.approx(1112, abs=2)
    assert inspection.distance_m == pytest.approx(55.6, abs=1)
    # On site at one end of the visit: not flagged (a record started at the dam and sent from the road).
    assert inspection.far_from_facility is False and inspection.nearest_m == pytest.approx(55.6, abs=1)


def test_far_at_both_ends_is_flagged_and_a_start_alone_counts(db, users, order):
    data = submission(start_latitude=FAR["latitude"], start_longitude=FAR["longitude"], **FAR)
    assert services.submit(users["crew"], order.id, data)[0].far_from_facility is True


def test_a_record_with_only_its_start_position_is_judged_by_it(db, users, checklist, make_asset):
    from municipal.workorders import services as work

    well = make_asset("manhole", "温泉路5号井")
    other = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="巡查",
                                   assignee_user_id=users["crew"].id)
    data = submission(latitude="", longitude="", start_latitude=FAR["latitude"], start_longitude=FAR["longitude"])
    inspection, _created = services.submit(users["crew"], other.id, data)
    assert inspection.distance_m is None and inspection.far_from_facility is True


def test_a_wrong_start_position_is_refused_by_its_name(db, users, order):
    with pytest.raises(ValidationError) as refused:
        services.submit(users["crew"], order.id, submission(start_latitude="91", start_longitude="119.31"))
    assert set(refused.value.fields) == {"start_position"}


def test_a_problem_keeps_its_note_and_its_rectification_work_says_it(db, users, order):
    answers = {**GOOD, "cover": "fail"}
    data = submission(answers=answers, photos={"overview": [photo()], "cover": [photo()]},
                      item_notes={"cover": " 井盖裂缝约20厘米 ", "odour": "答正常时写下的字不算"})
    inspection, _created = services.submit(users["crew"], order.id, data)
    db.session.commit()
    assert inspection.item_notes == {"cover": "井盖裂缝约20厘米"}
    assert inspection.findings[0].follow_up.description.endswith("井盖裂缝约20厘米")


def test_notes_of_unknown_items_or_too_long_are_refused_by_their_names(db, users, order):
    data = submission(answers={**GOOD, "cover": "fail"}, photos={"overview": [photo()], "cover": [photo()]},
                      item_notes={"nope": "x", "cover": "长" * 1001})
    with pytest.raises(ValidationError) as refused:
        services.submit(users["crew"], order.id, data)
    assert {"note.nope", "note.cover"} <= set(refused.value.fields)


def test_a_photo_sent_ahead_keeps_when_and_where_it_was_taken(app, db, users, order):
    crew = users["crew"]
    ref, taken = str(uuid.uuid4()), datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)
    facts = uploads.photo_facts(MultiDict({"taken_at": str(int(taken.timestamp() * 1000)),
                                           "latitude": "26.0904", "longitude": "119.3101"}))
    assert uploads.stage(crew.id, ref, BytesIO(jpeg_bytes()), facts)[0] is True
    form = MultiDict({**{f"item.{k}": v for k, v in GOOD.items()}, "photo_ref.overview": ref, **NEAR})
    inspection, created = submit_once(crew, order.id, submission_from(form, MultiDict(), str(uuid.uuid4()), crew.id))
    assert created
    stored = db.session.scalars(sa.select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection.id)).one()
    assert (stored.taken_at, stored.latitude, stored.longitude) == (taken, 26.0904, 119.3101)
    assert uploads.staged(crew.id, ref) is None  # taken by the record, facts and all


def test_photos_staged_more_than_two_weeks_before_a_new_one_are_removed_by_the_file_systems_clock(app, users):
    crew = users["crew"]
    old, recent, new = (str(uuid.uuid4()) for _ in range(3))
    for ref in (old, recent):
        assert uploads.stage(crew.id, ref, BytesIO(jpeg_bytes()))[0] is True
    folder = uploads._folder(crew.id)
    # Ages counted back from the file system's own time, whatever this machine's clock says.
    written = (folder / f"{recent}.img").stat().st_mtime
    for ref, days in ((old, uploads.STAGED_PHOTO_DAYS + 1), (recent, uploads.STAGED_PHOTO_DAYS - 1)):
        os.utime(folder / f"{ref}.img", (written - days * 86400,) * 2)
    assert uploads.stage(crew.id, new, BytesIO(jpeg_bytes()))[0] is True
    assert uploads.staged(crew.id, old) is None
    assert uploads.staged(crew.id, recent) is not None and uploads.staged(crew.id, new) is not None


@pytest.mark.parametrize("form, field", [
    ({"taken_at": "yesterday"}, "taken_at"),
    ({"taken_at": str(10 ** 20)}, "taken_at"),
    ({"latitude": "26.09"}, "latitude"),
    ({"latitude": "126.09", "longitude": "119.31"}, "latitude"),
])
def test_a_photos_wrong_time_or_position_is_refused_by_its_name(app, form, field):
    with pytest.raises(ValidationError) as refused:
        uploads.photo_facts(MultiDict(form))
    assert set(refused.value.fields) == {field}
