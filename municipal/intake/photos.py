"""A citizen's photo after the report was filed. Flushes, never commits.

Decoding a phone's 3 MB photo, turning it upright, shrinking it and encoding it again takes a second of a
core; a citizen waiting for their tracking number should not wait for it, and twenty of them at once
would wait for each other. So the request checks the upload from its header only (media.check_image:
size, format, pixels) and keeps its bytes as they came, with the report's photo "pending"; the
report-photos job then makes the copy that is kept (upright, at most REPORT_PHOTO_EDGE, re-encoded, so the
camera's EXIF and the position in it are gone) and its thumbnail, and deletes the original once that is
committed. Until then the pages show the original. A file whose damage lay past its header is refused
then: deleted, and the report says its photo could not be kept.
"""
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import current_app

from .. import media
from ..audit.services import record
from ..errors import ValidationError
from ..extensions import db
from .models import CitizenReport

# Photos per run: a minute's worth on one core, so that a run ends before the next is due.
PER_RUN = 60


def process_pending(step: Callable[[], AbstractContextManager] = nullcontext) -> int:
    """Process the pending photos, oldest first; how many were made. Each in a `step()` of its own (the job
    passes the runner's unit of work, which commits it): a report's photo is shown processed as soon as it is."""
    ids = list(db.session.scalars(sa.select(CitizenReport.id).where(CitizenReport.photo_state == "pending")
                                  .order_by(CitizenReport.id).limit(PER_RUN)))
    made = 0
    for report_id in ids:
        with step():
            made += _process(report_id)
    return made


def _process(report_id: int) -> bool:
    # PostgreSQL: another run at the same moment skips the row this one holds. SQLite has no row locks: the
    # conditional write below is what keeps two runs from both replacing the original.
    report = db.session.scalar(
        sa.select(CitizenReport).where(CitizenReport.id == report_id, CitizenReport.photo_state == "pending")
        .with_for_update(skip_locked=True))
    if report is None:
        return False
    original = report.photo_path
    edge = current_app.config["REPORT_PHOTO_EDGE"]
    try:
        image = media.decode((Path(current_app.config["MEDIA_DIR"]) / original).read_bytes(), edge=edge)
    except (ValidationError, FileNotFoundError):
        values, written = {"photo_path": None, "thumb_path": None, "photo_state": "refused"}, ()
    else:
        full, thumb, _size = media.store_image(image, str(PurePosixPath(original).parent), edge=edge)
        values, written = {"photo_path": full, "thumb_path": thumb, "photo_state": "ready"}, (full, thumb)
    moved = db.session.execute(
        sa.update(CitizenReport)
        .where(CitizenReport.id == report_id, CitizenReport.photo_state == "pending",
               CitizenReport.photo_path == original)
        .values(**values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        media.discard(*written)
        return False
    db.session.expire(report)
    media.remove_on_commit(original)
    if values["photo_state"] == "refused":
        record(None, "citizen_report", report_id, "photo_refused", {"photo_state": ["pending", "refused"]})
    db.session.flush()
    return values["photo_state"] == "ready"
