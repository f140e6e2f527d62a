"""Photos sent ahead of their record: a phone on a bad line sends each photo on its own, with its own client
id (`Idempotency-Key`), then the record that names them. A repeat of a photo changes nothing.

A photo waits in a folder of its sender's (beside MEDIA_DIR, never served) until a record takes it; the
record's submission reads it back through the same checks as a photo sent with the record. Photos no record
took are removed after STAGED_PHOTO_DAYS.
"""
import time
import uuid
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from .. import media
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


def stage(user_id: int, key, stream) -> tuple[bool, tuple[int, int]]:
    """Keep a photo for a record to come. Returns (created, (width, height)); a repeat is not written again."""
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
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)  # whole or not at all: a dropped connection leaves no half photo behind
    _purge(path.parent)
    return True, image.size


def staged(user_id: int, key) -> BytesIO | None:
    """The photo sent earlier under this client id, as a stream, or None."""
    try:
        key = str(uuid.UUID(str(key)))
    except ValueError:
        return None
    path = _folder(user_id) / f"{key}.img"
    return BytesIO(path.read_bytes()) if path.is_file() else None


def discard(user_id: int, keys) -> None:
    """Remove photos a committed record has taken (it stored its own copies)."""
    folder = _folder(user_id)
    for key in keys:
        try:
            (folder / f"{uuid.UUID(str(key))}.img").unlink(missing_ok=True)
        except ValueError:
            continue


def _purge(folder: Path) -> None:
    limit = time.time() - STAGED_PHOTO_DAYS * 86400
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
