"""A citizen's photo is checked from its header in the request and kept as sent; the report-photos job makes the
kept copy (upright, smaller, without EXIF) and its thumbnail, deletes the original, and refuses a file whose
damage lay past its header."""
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image, ImageFile

from municipal import media
from municipal.audit.models import AuditEntry
from municipal.errors import ValidationError
from municipal.intake import photos, services
from municipal.intake.models import CitizenReport
from municipal.jobs import runner
from municipal.jobs.registry import JOBS


def phone_jpeg(size=(2400, 1800)) -> bytes:
    """A photo as a phone writes it: stored sideways with an EXIF orientation (6: turn 90° clockwise), and
    the position it was taken at."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (26.0, 5.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (119.0, 18.0, 36.0)
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def submit(photo: bytes, **fields) -> CitizenReport:
    values = {"category": "damaged", "description": "井盖破损，有行人踩空的危险", **fields}
    report = services.submit_report(fingerprint="client-a", photo=BytesIO(photo), **values)
    return report


def files(app) -> list[Path]:
    root = Path(app.config["MEDIA_DIR"]) / "reports"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else []


def run_job(db, clock):
    result = runner.run(JOBS["report-photos"], clock.now())
    assert result.status == "ok", result.error
    db.session.expire_all()
    return result


def test_the_request_keeps_the_photo_as_sent_and_the_job_makes_the_kept_copy(app, db, clock):
    sent = phone_jpeg()
    before = files(app)
    report = submit(sent)
    db.session.commit()
    media = Path(app.config["MEDIA_DIR"])
    original = media / report.photo_path
    assert (report.photo_state, report.thumb_path) == ("pending", None)
    assert original.read_bytes() == sent and original.suffix == ".jpg"

    assert run_job(db, clock).count == 1
    report = db.session.get(CitizenReport, report.id)
    assert report.photo_state == "ready" and report.photo_path != original.relative_to(media).as_posix()
    with Image.open(media / report.photo_path) as full, Image.open(media / report.thumb_path) as thumb:
        # Upright (the sideways 2400 × 1800 is 1800 × 2400 standing), no larger than kept, no EXIF left.
        assert full.size == (750, 1000) and max(thumb.size) == 320
        assert not full.getexif() and not thumb.getexif()
        top, bottom = full.getpixel((375, 50)), full.getpixel((375, 950))
        assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    assert not original.exists()
    assert set(files(app)) - set(before) == {media / report.photo_path, media / report.thumb_path}
    # Nothing is left to do: the next run makes nothing and leaves the kept copy alone.
    clock.set(clock.now() + timedelta(minutes=1))
    assert run_job(db, clock).count == 0
    assert (media / report.photo_path).exists()


def test_a_png_is_kept_as_a_png_until_it_is_processed(app, db, clock):
    buffer = BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 10)).save(buffer, "PNG")
    report = submit(buffer.getvalue())
    db.session.commit()
    assert report.photo_path.endswith(".png")
    assert photos.process_pending() == 1
    db.session.commit()
    db.session.refresh(report)
    assert report.photo_path.endswith(".jpg") and report.photo_state == "ready"


def test_a_photo_damaged_past_its_header_passes_the_request_and_the_job_refuses_and_deletes_it(app, db, clock):
    before = files(app)
    whole = phone_jpeg()
    damaged = whole[: len(whole) // 2]
    report = submit(damaged)  # the header is whole: nothing in the request decodes the rest
    db.session.commit()
    original = Path(app.config["MEDIA_DIR"]) / report.photo_path
    assert original.read_bytes() == damaged

    assert run_job(db, clock).count == 0
    report = db.session.get(CitizenReport, report.id)
    assert (report.photo_state, report.photo_path, report.thumb_path) == ("refused", None, None)
    assert not original.exists() and files(app) == before
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.entity_type == "citizen_report", AuditEntry.entity_id == str(report.id),
        AuditEntry.action == "photo_refused"))


def gif() -> bytes:
    buffer = BytesIO()
    Image.new("P", (40, 30)).save(buffer, "GIF")
    return buffer.getvalue()


def test_a_cut_off_photo_is_refused_even_after_weasyprint_told_pillow_to_accept_them(app, monkeypatch):
    # What importing WeasyPrint does (the reports job runs in the scheduler process that processes photos).
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = phone_jpeg()
    with app.app_context(), pytest.raises(ValidationError):
        media.decode(whole[: len(whole) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's own images are left as it wants them
    with app.app_context():
        assert media.decode(whole).size == (1800, 2400)


@pytest.mark.parametrize("content, words", [
    (b"%PDF-1.4 not a photo", "not an image"),
    (gif(), "Only JPEG, PNG or WebP"),
])
def test_a_file_that_is_not_an_accepted_image_is_refused_in_the_request_and_not_stored(app, db, content, words):
    before = files(app)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ValidationError) as refused:
            submit(content)
    assert words in refused.value.fields["photo"]
    db.session.rollback()
    assert files(app) == before and db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0


def test_an_oversized_photo_is_refused_in_the_request_and_not_stored(app, db):
    before, sent = files(app), phone_jpeg()
    app.config["PHOTO_MAX_BYTES"], saved = len(sent) - 1, app.config["PHOTO_MAX_BYTES"]
    try:
        with pytest.raises(ValidationError) as refused:
            submit(sent)
    finally:
        app.config["PHOTO_MAX_BYTES"] = saved
    assert "photo" in refused.value.fields
    db.session.rollback()
    assert files(app) == before and db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0


def test_too_many_pixels_are_refused_from_the_header_in_the_request(app, db):
    before = files(app)
    app.config["PHOTO_MAX_PIXELS"], saved = 1000 * 1000, app.config["PHOTO_MAX_PIXELS"]
    try:
        with pytest.raises(ValidationError) as refused:
            submit(phone_jpeg((1200, 1000)))
    finally:
        app.config["PHOTO_MAX_PIXELS"] = saved
    assert "photo" in refused.value.fields
    db.session.rollback()
    assert files(app) == before


def test_a_report_rolled_back_after_its_photo_was_stored_leaves_no_file(app, db):
    before = files(app)
    submit(phone_jpeg((200, 100)))
    assert len(files(app)) == len(before) + 1
    db.session.rollback()
    assert files(app) == before


def test_a_processed_photo_rolled_back_keeps_the_original_and_drops_the_copy(app, db):
    report = submit(phone_jpeg((200, 100)))
    db.session.commit()
    before = files(app)
    assert photos.process_pending() == 1
    assert len(files(app)) == len(before) + 2  # the copy and its thumbnail, not yet committed
    db.session.rollback()
    assert files(app) == before and (Path(app.config["MEDIA_DIR"]) / report.photo_path).exists()
    assert db.session.get(CitizenReport, report.id).photo_state == "pending"
