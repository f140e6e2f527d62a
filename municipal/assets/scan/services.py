"""The scan log: one row per scan, and the position a phone sent after it."""
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ...db import utcnow
from ...errors import ValidationError
from ...extensions import db
from ..models import ScanPosition
from . import scanlog


def record_scan(code_id, asset_id, scanned_text: str, user, user_agent: str) -> str:
    """Log one scan and return the token that names it. Queued, not written here: see scanlog.py."""
    token = secrets.token_urlsafe(16)
    scanlog.writer_for(current_app).add({
        "token": token,
        "code_id": code_id,
        "asset_id": asset_id,
        "scanned_text": scanned_text[:64],
        "at": utcnow(),
        "user_id": user.id if user is not None and user.is_authenticated else None,
        "user_agent": (user_agent or "")[:300],
    })
    return token


def record_scan_position(scan_token: str, lon, lat, accuracy) -> None:
    """The phone's position, sent after the page was allowed to read it. The first one sent counts."""
    errors = {}
    try:
        lon, lat = float(lon), float(lat)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except (TypeError, ValueError):
        errors["position"] = _("must be a longitude and latitude")
    try:
        accuracy = float(accuracy) if accuracy not in (None, "") else None
    except (TypeError, ValueError):
        errors["accuracy"] = _("must be a number of metres")
    if errors:
        raise ValidationError(_("The position was not recorded."), errors)
    try:
        with db.session.begin_nested():
            db.session.add(ScanPosition(scan_token=scan_token, lon=lon, lat=lat, accuracy_m=accuracy))
    except sa.exc.IntegrityError:
        pass  # the page sent it twice
