"""Photos sent ahead of their record: a phone on a bad line sends each photo on its own, with its own client
id (`Idempotency-Key`), then the record that names them. A repeat of a photo changes nothing.

A photo waits in a folder of its sender's (beside MEDIA_DIR, never served) until a record takes it; the
record's submission reads it back through the same checks as a photo sent with the record. When and where the
phone took it (taken_at, latitude, longitude) wait beside it, for the record's photo to keep. Photos no record
took are removed after STAGED_PHOTO_DAYS.
"""
import json
import uuid
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from .. import clock, datebounds, media
from ..errors import ValidationError

STAGED_PHOTO_DAYS = 14


def _folder(user_id: int) -> Path:
    configured = current_app.config.get("STAGED_PHOTOS_DIR")
    media_dir = Path(current_app.config["MEDIA_DIR"])
    root = Path(configured) if configured else media_dir.with_name(media_dir.name + "-staged")
    return root / str(int(user_id))


def client_key(key, field: str = "idempotency_key") -> str:
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        raise ValidationError(_("The photo has no valid client id."), {field: _("must be a UUID")}) from None


class StagedPhoto(BytesIO):
    """A photo sent ahead, read back for its record, with when and where it was taken (InspectionPhoto's names)."""

    def __init__(self, data: bytes, facts: dict):
        super().__init__(data)
        self.facts = facts


def photo_facts(form) -> dict:
    """taken_at (milliseconds since 1970, the phone's clock), latitude and longitude, each optional; wrong ones
    are refused naming the field."""
    facts, errors = {}, {}
    taken = (form.get("taken_at") or "").strip()
    if taken:
        try:
            facts["taken_at"] = datetime.fromtimestamp(int(taken) / 1000, timezone.utc)
            datebounds.check(facts["taken_at"], clock.today())
        except (ValueError, OverflowError, OSError):
            errors["taken_at"] = _("when the photo was taken: milliseconds since 1970, within the accepted dates")
    lat, lon = (form.get("latitude") or "").strip(), (form.get("longitude") or "").strip()
    if lat or lon:
        try:
            facts["latitude"], facts["longitude"] = float(lat), float(lon)
            if not (-90 <= facts["latitude"] <= 90 and -180 <= facts["longitude"] <= 180):
                raise ValueError
        except ValueError:
            errors["latitude"] = _("not a position on Earth")
    if errors:
        raise ValidationError(_("The photo's time or position is not valid."), errors)
    return facts


def stage(user_id: int, key, stream, facts: dict | None = None) -> tuple[bool, tuple[int, int]]:
    """Keep a photo for a record to come, with its facts (photo_facts). Returns (created, (width, height));
    a repeat is not written again."""
    key = client_key(key)
    if stream is None:  # a repeat is a repeat of the same request: a photo too
        raise ValidationError(_("Choose a photo to upload."), {"photo": _("Choose a photo to upload.")})
    path = _folder(user_id) / f"{key}.img"
    if path.is_file():
        with path.open("rb") as kept:
            image = media.load_image(kept, field="photo")
        return False, image.size
    data = stream.read(current_app.config["PHOTO_MAX_BYTES"] + 1)
    image = media.load_image(BytesIO(data), field="photo")
    path.parent.mkdir(parents=True, exist_ok=True)
    if facts:
        # Written before the photo: a photo present always has its facts beside it.
        path.with_suffix(".json").write_text(json.dumps(
            {name: value.isoformat() if isinstance(value, datetime) else value for name, value in facts.items()}))
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)  # whole or not at all: a dropped connection leaves no half photo behind
    _purge(path.parent, path.stat().st_mtime)
    return True, image.size


def staged(user_id: int, key) -> StagedPhoto | None:
    """The photo sent earlier under this client id, as a stream with its facts, or None."""
    try:
        key = str(uuid.UUID(str(key)))
    except ValueError:
        return None
    path = _folder(user_id) / f"{key}.img"
    if not path.is_file():
        return None
    facts_path = path.with_suffix(".json")
    facts = json.loads(facts_path.read_text()) if facts_path.is_file() else {}
    if "taken_at" in facts:
        facts["taken_at"] = datetime.fromisoformat(facts["taken_at"])
    return StagedPhoto(path.read_bytes(), facts)


def discard(user_id: int, keys) -> None:
    """Remove photos a committed record has taken (it stored its own copies)."""
    folder = _folder(user_id)
    for key in keys:
        try:
            name = str(uuid.UUID(str(key)))
        except ValueError:
            continue
        (folder / f"{name}.img").unlink(missing_ok=True)
        (folder / f"{name}.json").unlink(missing_ok=True)


def _purge(folder: Path, now: float) -> None:
    """Remove photos staged more than STAGED_PHOTO_DAYS before `now`, the modification time of a file just
    written: file times come from the file system's clock, which for a folder shared by several servers is the
    file server's, not this machine's."""
    limit = now - STAGED_PHOTO_DAYS * 86400
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
