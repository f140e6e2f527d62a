"""Facility photos: checked, turned upright, resized, with a thumbnail. Flushes, never commits."""
import uuid
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ValidationError
from ..extensions import db
from .models import AssetPhoto
from .services import require_editor

FULL_EDGE = 1600
THUMB_EDGE = 320
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}


def _refuse(message: str):
    raise ValidationError(message, {"photo": message})


def load_image(stream) -> Image.Image:
    """An upright RGB image from an upload, or a ValidationError; never trusts the file name."""
    if stream is None:
        _refuse(_("Choose a photo to upload."))
    limit = current_app.config["PHOTO_MAX_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        _refuse(_("The file is empty."))
    if len(data) > limit:
        _refuse(_("The photo is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))

    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                _refuse(_("Only JPEG, PNG or WebP photos are accepted."))
            # Checked from the header, before decoding: a small file can unpack to gigabytes.
            if probe.width * probe.height > current_app.config["PHOTO_MAX_PIXELS"]:
                _refuse(_("The image has too many pixels to be a photo."))
            probe.verify()
        image = Image.open(BytesIO(data))
        image.load()
    except Image.DecompressionBombError:
        _refuse(_("The image has too many pixels to be a photo."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(_("The file is not an image, or it is damaged."))
    return ImageOps.exif_transpose(image).convert("RGB")


def store_image(image: Image.Image, folder: str) -> tuple[str, str, tuple[int, int]]:
    """Save a resized copy and a thumbnail under MEDIA_DIR/folder; return their relative paths."""
    root = Path(current_app.config["MEDIA_DIR"])
    (root / folder).mkdir(parents=True, exist_ok=True)
    stem = uuid.uuid4().hex
    full = image.copy()
    full.thumbnail((FULL_EDGE, FULL_EDGE))
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE))
    full_path, thumb_path = f"{folder}/{stem}.jpg", f"{folder}/{stem}.thumb.jpg"
    full.save(root / full_path, "JPEG", quality=85)
    thumb.save(root / thumb_path, "JPEG", quality=80)
    return full_path, thumb_path, full.size


def add_asset_photo(actor, asset, stream, caption: str = "") -> AssetPhoto:
    require_editor(actor)
    image = load_image(stream)
    path, thumb_path, (width, height) = store_image(image, f"assets/{asset.id}")
    photo = AssetPhoto(asset_id=asset.id, path=path, thumb_path=thumb_path, width=width, height=height,
                       caption=caption.strip()[:200], uploaded_by_id=actor.id)
    db.session.add(photo)
    db.session.flush()
    return photo
