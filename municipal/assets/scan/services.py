"""The scan log: one row per scan, and the position a phone sent with it."""
import secrets

from flask import current_app
from flask_babel import gettext as _

from ...db import utcnow
from ...errors import ValidationError
from . import scanlog


def record_scan(code_id, asset_id, scanned_text: str, user, user_agent: str, position: dict | None = None) -> str:
    """Log one scan (with the phone's position, from clean_position()) and return the token that names it.
    Queued, not written here: see scanlog.py."""
    token = secrets.token_urlsafe(16)
    at = utcnow()
    scanlog.writer_for(current_app).add({
        "token": token,
        "code_id": code_id,
        "asset_id": asset_id,
        "scanned_text": scanned_text[:64],
        "at": at,
        "user_id": user.id if user is not None and user.is_authenticated else None,
        "user_agent": (user_agent or "")[:300],
    }, {**position, "scan_token": token, "at": at} if position is not None else None)
    return token


def clean_position(lon, lat, accuracy) -> dict | None:
    """The position a phone sent, checked: None when it sent none, else the ScanPosition's values."""
    if lon in (None, "") and lat in (None, "") and accuracy in (None, ""):
        return None
    errors = {}
    try:
        lon, lat = float(lon), float(lat)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except (TypeError, ValueError):
        errors["position"] = _("must be a longitude and latitude")
    try:
        accuracy = float(accuracy) if accuracy not in (None, "") else None
        if accuracy is not None and not 0 <= accuracy < 1e7:
            raise ValueError
    except (TypeError, ValueError):
        errors["accuracy"] = _("must be a number of metres")
    if errors:
        raise ValidationError(_("The position was not recorded."), errors)
    return {"lon": lon, "lat": lat, "accuracy_m": accuracy}
