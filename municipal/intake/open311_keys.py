"""Open311 api_keys: made by the `municipal open311 keys` command, shown once, kept as a hash."""
import hashlib
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import record
from ..db import utcnow
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from .models import Open311Key

PREFIX_LENGTH = 8


def _hash(key: str) -> str:
    # A key is 32 random bytes: a plain digest is enough, nobody can guess through it.
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(name: str) -> tuple[Open311Key, str]:
    """A new key for the system `name`: the row, and the key itself, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(_("Give the key a name of 1 to 100 characters."), {"name": _("invalid")})
    if db.session.scalar(sa.select(Open311Key.id).where(Open311Key.name == name)):
        raise Conflict(_("There is already a key named %(name)s.", name=name), {"name": _("taken")})
    key = secrets.token_urlsafe(32)
    row = Open311Key(name=name, prefix=key[:PREFIX_LENGTH], key_hash=_hash(key), created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    record(None, "open311_key", row.id, "create", {"name": [None, name]})
    return row, key


def list_keys() -> list[Open311Key]:
    return list(db.session.scalars(sa.select(Open311Key).order_by(Open311Key.id)))


def revoke_key(name_or_prefix: str) -> Open311Key:
    text = (name_or_prefix or "").strip()
    row = db.session.scalar(sa.select(Open311Key).where(
        Open311Key.revoked_at.is_(None), sa.or_(Open311Key.name == text, Open311Key.prefix == text)))
    if row is None:
        raise NotFound(_("There is no active key named or starting with %(text)s.", text=text))
    row.revoked_at = utcnow()
    db.session.flush()
    record(None, "open311_key", row.id, "revoke", {"revoked_at": [None, row.revoked_at.isoformat()]})
    return row


def key_for(key: str) -> Open311Key | None:
    """The active key row for a presented api_key, or None."""
    if not key:
        return None
    return db.session.scalar(sa.select(Open311Key).where(Open311Key.key_hash == _hash(key),
                                                         Open311Key.revoked_at.is_(None)))
