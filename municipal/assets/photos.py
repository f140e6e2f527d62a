"""Facility photos. Flushes, never commits."""
from ..audit.services import record
from ..extensions import db
from ..media import load_image, store_image
from .checks import require_editor
from .models import AssetPhoto


def add_asset_photo(actor, asset, stream, caption: str = "") -> AssetPhoto:
    require_editor(actor, asset)
    image = load_image(stream)
    path, thumb_path, (width, height) = store_image(image, f"assets/{asset.id}")
    photo = AssetPhoto(asset_id=asset.id, path=path, thumb_path=thumb_path, width=width, height=height,
                       caption=caption.strip()[:200], uploaded_by_id=actor.id)
    db.session.add(photo)
    db.session.flush()
    record(actor, "asset", asset.id, "add_photo", {"photo": [None, path]})
    return photo
