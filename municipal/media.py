"""Uploaded images and files: checked, turned upright, resized, with a thumbnail, under MEDIA_DIR.

Shared by facility photos, citizen reports, inspections and work order attachments.

Files are written before the rows that name them are committed, so a submission that fails after
its photos were stored (a later check, a lost race, a failed commit) would leave them behind with
nothing pointing at them. Each file written is noted on the database session; when the session's
transaction ends without a commit, the files written in it are deleted (see `init_app`). The other way
round, a file that a change leaves unnamed is deleted only once that change commits (remove_on_commit).
"""
import os
import posixpath
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .errors import ValidationError
from .extensions import db

_WRITTEN = "media_written"  # session.info key: files written since the session's last commit
_REMOVED = "media_removed"  # session.info key: files to delete when the session's transaction commits

FULL_EDGE = 1600
THUMB_EDGE = 320
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}
# Report files are served only by the reports' own routes, which check who may see each report.
REPORTS_FOLDER = "annual-reports"
# Where reports were kept before: reports/<year>/, beside citizen report photos in reports/<year-month>/.
_OLD_REPORT_FOLDER = re.compile(r"reports/\d{4}(/|$)")


def is_public(name: str) -> bool:
    """Whether the generic media route may serve `name`: anything but report files, however spelled."""
    path = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
    return path.split("/")[0] != REPORTS_FOLDER and not _OLD_REPORT_FOLDER.match(path)


def _refuse(field: str, message: str):
    raise ValidationError(message, {field: message})


def max_pixels(image_format: str) -> int:
    """The most pixels an upload of this format may have: only a JPEG is decoded at a reduced scale."""
    limit = current_app.config["PHOTO_MAX_PIXELS"]
    return limit if image_format in ("JPEG", "MPO") else limit // 4


@dataclass(frozen=True)
class Upload:
    """An upload that passed the cheap checks: its bytes, its format and its size in pixels, from its header."""

    data: bytes
    format: str
    size: tuple[int, int]


def check_image(stream, field: str = "photo") -> Upload:
    """An upload checked from its bytes and its header only, or a ValidationError; never trusts the file name.
    Nothing is decoded, so this is cheap enough for a request that must answer at once: a file whose damage
    lies past its header is found when it is decoded (load_image, decode)."""
    if stream is None:
        _refuse(field, _("Choose a photo to upload."))
    limit = current_app.config["PHOTO_MAX_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        _refuse(field, _("The file is empty."))
    if len(data) > limit:
        _refuse(field, _("The photo is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                _refuse(field, _("Only JPEG, PNG or WebP photos are accepted."))
            # Checked from the header, before decoding: a small file can unpack to gigabytes.
            if probe.width * probe.height > max_pixels(probe.format):
                _refuse(field, _("The image has too many pixels to be a photo."))
            probe.verify()
            return Upload(data, probe.format, probe.size)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning is Pillow's own check at open (MAX_IMAGE_PIXELS, see init_app), raised where warnings are errors.
        _refuse(field, _("The image has too many pixels to be a photo."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(field, _("The file is not an image, or it is damaged."))


def decode(data: bytes, field: str = "photo", edge: int = FULL_EDGE) -> Image.Image:
    """The upright RGB image of bytes that passed check_image, or a ValidationError for a damaged one. `edge`:
    the longest side that will be kept (a JPEG is decoded no larger than needed for it)."""
    try:
        image = Image.open(BytesIO(data))
        # A JPEG decodes at a reduced scale when only a smaller copy is kept: a phone's 12-megapixel
        # photo then costs a quarter of the time and memory. The request is the size that is kept.
        scale = edge / max(image.size)
        if scale < 1:
            image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
        with _whole_files_only():
            image.load()
        return ImageOps.exif_transpose(image).convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(field, _("The image has too many pixels to be a photo."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(field, _("The file is not an image, or it is damaged."))


@contextmanager
def _whole_files_only():
    """Pillow refuses a truncated file only while ImageFile.LOAD_TRUNCATED_IMAGES is False, a setting of the
    whole process. WeasyPrint sets it True when it is imported (the reports job, in the scheduler process that
    also processes citizens' photos), and a photo cut off half-way would then decode with grey for its missing
    half. Decoding in this process is one at a time (sync workers, a scheduler of one thread)."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def load_image(stream, field: str = "photo", edge: int = FULL_EDGE) -> Image.Image:
    """An upright RGB image from an upload, or a ValidationError: check_image, then decode."""
    return decode(check_image(stream, field).data, field, edge)


def store_image(image: Image.Image, folder: str, edge: int = FULL_EDGE) -> tuple[str, str, tuple[int, int]]:
    """Save a copy resized to at most `edge` and a thumbnail under MEDIA_DIR/folder; return their relative paths."""
    root = Path(current_app.config["MEDIA_DIR"])
    (root / folder).mkdir(parents=True, exist_ok=True)
    stem = uuid.uuid4().hex
    full = ImageOps.contain(image, (edge, edge)) if max(image.size) > edge else image
    thumb = ImageOps.contain(full, (THUMB_EDGE, THUMB_EDGE))
    full_path, thumb_path = f"{folder}/{stem}.jpg", f"{folder}/{stem}.thumb.jpg"
    _note_written(root / full_path, root / thumb_path)
    full.save(root / full_path, "JPEG", quality=85)
    thumb.save(root / thumb_path, "JPEG", quality=80)
    return full_path, thumb_path, full.size


# An original kept as it came is named by its format, so that it is served as what it is.
_SUFFIXES = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}


def store_original(upload: Upload, folder: str) -> str:
    """Save an upload's bytes as they came under MEDIA_DIR/folder, for processing later; return the relative
    path. The file still holds whatever the camera wrote into it, the position included."""
    root = Path(current_app.config["MEDIA_DIR"])
    (root / folder).mkdir(parents=True, exist_ok=True)
    path = f"{folder}/{uuid.uuid4().hex}.{_SUFFIXES[upload.format]}"
    _note_written(root / path)
    _write_through(root / path, upload.data)
    return path


# fdatasync and posix_fadvise are Linux's; elsewhere fsync, and the cache is left to the system.
_SYNC_DATA = getattr(os, "fdatasync", os.fsync)
_DROP_CACHED = getattr(os, "posix_fadvise", None)


def _write_through(path: Path, data: bytes) -> None:
    """Write `data` to `path` and on to the disk. The row that names the file is committed next, and the
    database keeps a commit through a power cut: a citizen's number must not outlive the photo it was given
    for. The written pages then leave the page cache: the file is read once, later, by the job that processes
    it. On a virtual machine, where each new page of memory costs the host a fault, this took 0.9 ms of CPU for
    a phone's 3 MB photo against 5-7 ms for the plain write, whose pages stayed cached."""
    with path.open("wb") as file:
        file.write(data)
        file.flush()
        _SYNC_DATA(file.fileno())
        if _DROP_CACHED is not None:
            _DROP_CACHED(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def remove_on_commit(name: str) -> None:
    """Delete the file `name` (under MEDIA_DIR) once the session's transaction commits: the row that named it
    names another now, and until the commit the old name is still the one others read."""
    db.session().info.setdefault(_REMOVED, []).append(Path(current_app.config["MEDIA_DIR"]) / name)


def discard(*names: str) -> None:
    """Delete files this transaction wrote that are not needed after all (another process did the same work)."""
    root = Path(current_app.config["MEDIA_DIR"])
    written = db.session().info.get(_WRITTEN, [])
    for path in (root / name for name in names):
        path.unlink(missing_ok=True)
        if path in written:
            written.remove(path)


def store_pdf(stream, folder: str, field: str = "file") -> tuple[str, int]:
    """Save an uploaded PDF under MEDIA_DIR/folder after checking it is one; return its path and size."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = stream.read(limit + 1) if stream is not None else b""
    if not data:
        _refuse(field, _("The file is empty."))
    if len(data) > limit:
        _refuse(field, _("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))
    if not data.startswith(b"%PDF-"):
        _refuse(field, _("Only photos (JPEG, PNG, WebP) and PDF files can be attached."))
    root = Path(current_app.config["MEDIA_DIR"])
    (root / folder).mkdir(parents=True, exist_ok=True)
    path = f"{folder}/{uuid.uuid4().hex}.pdf"
    _note_written(root / path)
    (root / path).write_bytes(data)
    return path, len(data)


# --- files of transactions that did not commit ----------------------------------------

def _note_written(*paths: Path) -> None:
    # Noted before writing: a write that fails half-way leaves a file too.
    db.session().info.setdefault(_WRITTEN, []).extend(paths)


def _kept(session) -> None:
    # A released savepoint commits nothing yet: its files stay noted until the outermost commit.
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)
        for path in session.info.pop(_REMOVED, []):
            path.unlink(missing_ok=True)


def _discard_unless_committed(session, transaction) -> None:
    """At the end of the outermost transaction: files still noted were written by work that was rolled
    back (or abandoned with the session), and nothing refers to them."""
    if transaction.parent is not None:
        return
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)
    # Work rolled back leaves the rows naming the files it meant to remove: they stay.
    session.info.pop(_REMOVED, None)


def init_app(app) -> None:
    # Pillow's own guard, for every image opened in this process: none larger than an upload may be.
    Image.MAX_IMAGE_PIXELS = app.config["PHOTO_MAX_PIXELS"]
    session_class = sa.orm.Session
    # after_commit runs before the committed transaction ends, so what it keeps is not discarded.
    for name, listener in (("after_commit", _kept), ("after_transaction_end", _discard_unless_committed)):
        if not sa.event.contains(session_class, name, listener):
            sa.event.listen(session_class, name, listener)
