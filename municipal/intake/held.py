"""A citizen's photo kept while the form comes back with an error (a missing category, a bad position), so
they need not take it again: stored apart under held/<day>/, named by a random token the form carries,
taken back by the next submission, forgotten after a day. Only a photo that passed every image check is held."""
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path

from flask import current_app

from .. import media
from ..errors import ValidationError

FOLDER = "held"
_TOKEN = re.compile(r"^(\d{8})/([0-9a-f]{32})$")


def _root() -> Path:
    return Path(current_app.config["MEDIA_DIR"]) / FOLDER


def hold(photo, now: datetime) -> str | None:
    """Keep an upload that is a good image; its token, or None when it is not one."""
    if photo is None:
        return None
    photo.seek(0)
    try:
        image = media.load_image(photo)
    except ValidationError:
        return None
    token = f"{now:%Y%m%d}/{uuid.uuid4().hex}"
    path = _root() / f"{token}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=90)
    return token


def media_name(token: str) -> str | None:
    """The held photo's name under MEDIA_DIR (for its preview), if the token names one."""
    if not _TOKEN.match(token or "") or not (_root() / f"{token}.jpg").is_file():
        return None
    return f"{FOLDER}/{token}.jpg"


def take(token: str):
    """The held photo as an open file, or None."""
    name = media_name(token)
    return (Path(current_app.config["MEDIA_DIR"]) / name).open("rb") if name else None


def release(token: str) -> None:
    if media_name(token):
        (_root() / f"{token}.jpg").unlink(missing_ok=True)


def forget_old(now: datetime) -> int:
    """Remove the held photos of days before yesterday."""
    if not _root().is_dir():
        return 0
    removed = 0
    for folder in _root().iterdir():
        try:
            day = datetime.strptime(folder.name, "%Y%m%d").date()
        except ValueError:
            continue
        if (now.date() - day).days > 1:
            removed += sum(1 for _ in folder.iterdir())
            shutil.rmtree(folder, ignore_errors=True)
    return removed
