"""What a scanned or typed code refers to. Read-only."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from . import codes
from .models import Asset, IdentityCode
from .types import PREFIXES


@dataclass
class Resolution:
    kind: str  # found | revoked | unbound | mistyped | unknown | malformed
    text: str
    code: IdentityCode | None = None
    suggestions: list = field(default_factory=list)

    @property
    def asset(self) -> Asset | None:
        return self.code.asset if self.code else None


def resolve(text: str) -> Resolution:
    try:
        canonical = codes.normalize(text, PREFIXES)
    except codes.CodeError as error:
        if error.reason != "bad_check":
            return Resolution("malformed", text)
        return Resolution("mistyped", text, suggestions=_existing(codes.near_misses(text, PREFIXES)))
    code = db.session.scalar(
        sa.select(IdentityCode)
        .where(IdentityCode.code == canonical)
        .options(
            joinedload(IdentityCode.asset).joinedload(Asset.area),
            joinedload(IdentityCode.asset).selectinload(Asset.persons),
            joinedload(IdentityCode.replaced_by),
        )
    )
    if code is None:
        return Resolution("unknown", canonical)
    return Resolution({"bound": "found"}.get(code.status, code.status), canonical, code)


def _existing(candidates: list[str]) -> list[IdentityCode]:
    if not candidates:
        return []
    return list(db.session.scalars(
        sa.select(IdentityCode)
        .where(IdentityCode.code.in_(candidates), IdentityCode.status != "unbound")
        .options(joinedload(IdentityCode.asset))
        .order_by(IdentityCode.code)
        .limit(5)
    ))
