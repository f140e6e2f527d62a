"""Finding facilities: the one search of the registry, its filters and keyset pages, shared by the pages, the
API and labels. Read-only."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import paging
from ..auth.scope import Scope
from ..errors import ValidationError
from ..extensions import db
from .identity import codes
from .models import Area, Asset, IdentityCode, find_area
from .types import PREFIXES


@dataclass
class Filters:
    type: str = ""
    area: str = ""
    status: str = ""
    q: str = ""


def select_assets(filters: Filters, scope: Scope) -> sa.Select:
    """The facilities matching the filters among those `scope` sees.

    `area` is an area's code, id or name, its sub-areas included; an area that does not exist is a
    ValidationError naming the field, never an empty list. `q` is an identity code in any spelling (the
    facility it was ever bound to), else a part of the name, in any case."""
    query = sa.select(Asset).where(scope.clause(Asset))
    if filters.type:
        query = query.where(Asset.type == filters.type)
    if filters.status:
        query = query.where(Asset.status == filters.status)
    if filters.area:
        area = find_area(filters.area)
        if area is None:
            message = _("unknown area %(area)s", area=filters.area)
            raise ValidationError(message, {"area": message})
        query = query.where(Asset.area_id.in_(sa.select(Area.id).where(Area.path.startswith(area.path))))
    q = filters.q.strip()
    if q:
        try:
            code = codes.normalize(q, PREFIXES)
        except codes.CodeError:
            query = query.where(Asset.name.icontains(q, autoescape=True))
        else:
            query = query.where(Asset.id.in_(sa.select(IdentityCode.asset_id).where(IdentityCode.code == code)))
    return query


# Pages and API alike: oldest first, by id, so that a client can ask later for what was registered since.
ORDER = (Asset.id,)


def page(filters: Filters, scope: Scope, after: int | None = None, limit: int = 50,
         loading=(joinedload(Asset.code), joinedload(Asset.area))) -> tuple[list[Asset], int | None]:
    """One page of select_assets(), in ORDER, and the id to continue after (None at the end).

    Keyset paging: deep pages cost the same as the first on a million rows."""
    return paging.page(select_assets(filters, scope).options(*loading), ORDER, after, limit, unique=True)


def areas_in_order() -> list[Area]:
    """Every area, each after its parent, for pickers."""
    return list(db.session.scalars(sa.select(Area).order_by(Area.path)))


def area_choices(locale: str) -> list[tuple[str, str]]:
    """(code, indented name) of every area, for select boxes."""
    indent = {"district": "", "town": "\u3000", "village": "\u3000\u3000"}
    return [(a.code, indent.get(a.level, "") + a.display_name(locale)) for a in areas_in_order()]
