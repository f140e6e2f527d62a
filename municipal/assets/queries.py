"""Finding facilities: filters and keyset pages shared by pages, API and labels. Read-only."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..auth.scope import Scope
from ..extensions import db
from .identity import codes
from .models import Area, Asset, IdentityCode
from .types import PREFIXES


@dataclass
class Filters:
    type: str = ""
    area: str = ""
    status: str = ""
    q: str = ""


def area_path(ref: str) -> str | None:
    area = db.session.scalar(sa.select(Area).where(sa.or_(Area.code == ref, Area.name == ref)))
    return area.path if area else None


def select_assets(filters: Filters, scope: Scope) -> sa.Select:
    """The facilities matching the filters among those `scope` sees."""
    query = sa.select(Asset).where(scope.clause(Asset))
    if filters.type:
        query = query.where(Asset.type == filters.type)
    if filters.status:
        query = query.where(Asset.status == filters.status)
    if filters.area:
        path = area_path(filters.area)
        if path is None:
            return query.where(sa.false())
        query = query.join(Area, Asset.area_id == Area.id).where(Area.path.startswith(path))
    q = filters.q.strip()
    if q:
        try:
            code = codes.normalize(q, PREFIXES)
        except codes.CodeError:
            code = None
        if code:
            query = query.where(Asset.id.in_(sa.select(IdentityCode.asset_id).where(IdentityCode.code == code)))
        else:
            query = query.where(Asset.name.contains(q, autoescape=True))
    return query


def page(filters: Filters, scope: Scope, after: int | None = None, limit: int = 50) -> tuple[list[Asset], int | None]:
    """One page of facilities, newest first, and the id to continue after (None at the end).

    Keyset paging: deep pages cost the same as the first on a million rows.
    """
    query = select_assets(filters, scope).options(joinedload(Asset.code), joinedload(Asset.area))
    if after:
        query = query.where(Asset.id < after)
    rows = list(db.session.scalars(query.order_by(Asset.id.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def areas_in_order() -> list[Area]:
    """Every area, each after its parent, for pickers."""
    return list(db.session.scalars(sa.select(Area).order_by(Area.path)))


def area_choices(locale: str) -> list[tuple[str, str]]:
    """(code, indented name) of every area, for select boxes."""
    indent = {"district": "", "town": "\u3000", "village": "\u3000\u3000"}
    return [(a.code, indent.get(a.level, "") + a.display_name(locale)) for a in areas_in_order()]
