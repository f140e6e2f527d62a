"""What a scanned or typed code refers to. Read-only."""
import json
from collections import namedtuple
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ...extensions import db
from ..models import Area, Asset, IdentityCode, ResponsiblePerson
from ..types import PREFIXES
from . import codes


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


@dataclass
class CardArea:
    name: str
    name_en: str

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


@dataclass
class CardCode:
    id: int
    code: str


@dataclass
class PublicCard:
    """What an anonymous scan shows, read without the ORM: the busiest page must be cheap.
    Has the attributes of an Asset that the public card's template reads, and no more."""

    code: CardCode
    id: int
    type: str
    name: str
    status: str
    address: str
    owner_unit: str
    maintenance_unit: str
    attributes: dict
    chainage_start_m: float | None
    chainage_end_m: float | None
    area: CardArea | None
    persons: list["CardPerson"]


_codes, _assets, _areas, _persons = (model.__table__ for model in (IdentityCode, Asset, Area, ResponsiblePerson))
# One row per responsible person (or one with none). No phone numbers: they are not for the public.
_CARD = (
    sa.select(
        _codes.c.id.label("code_id"), _codes.c.code, _assets.c.id, _assets.c.type, _assets.c.name,
        _assets.c.status, _assets.c.address, _assets.c.owner_unit, _assets.c.maintenance_unit,
        _assets.c.attributes, _assets.c.chainage_start_m, _assets.c.chainage_end_m,
        _areas.c.name.label("area_name"), _areas.c.name_en.label("area_name_en"),
        _persons.c.id.label("person_id"), _persons.c.role, _persons.c.level, _persons.c.name.label("person_name"),
        _persons.c.position, _persons.c.river_chief_day,
    )
    .select_from(
        _codes.join(_assets, _assets.c.id == _codes.c.asset_id)
        .outerjoin(_areas, _areas.c.id == _assets.c.area_id)
        .outerjoin(_persons, _persons.c.asset_id == _assets.c.id)
    )
    .where(_codes.c.code == sa.bindparam("code"), _codes.c.status == "bound")
    .order_by(_persons.c.id)
)


@dataclass
class CardPerson:
    role: str
    level: str | None
    name: str
    position: str
    river_chief_day: bool
    phone: str = ""


def public_card(text: str) -> PublicCard | None:
    """The public card of a bound code, or None for anything else (which resolve() explains)."""
    try:
        canonical = codes.normalize(text, PREFIXES)
    except codes.CodeError:
        return None
    rows = _card_rows(canonical)
    if not rows:
        return None
    row = rows[0]
    persons = [CardPerson(r.role, r.level, r.person_name, r.position, bool(r.river_chief_day))
               for r in rows if r.person_id is not None]
    area = CardArea(row.area_name, row.area_name_en) if row.area_name is not None else None
    attributes = json.loads(row.attributes) if isinstance(row.attributes, str) else row.attributes
    return PublicCard(
        CardCode(row.code_id, row.code), row.id, row.type, row.name, row.status, row.address, row.owner_unit,
        row.maintenance_unit, attributes or {}, row.chainage_start_m, row.chainage_end_m, area, persons,
    )


_CardRow = namedtuple("_CardRow", [column.name for column in _CARD.selected_columns])


def _card_rows(canonical: str) -> list:
    """_CARD through the database driver itself: SQLAlchemy's execution and result layers cost more than
    the query. The statement is compiled once per dialect; JSON and booleans are read back by the caller."""
    engine = db.engine
    compiled = _CARD_COMPILED.get(engine.dialect.name)
    if compiled is None:
        compiled = _CARD_COMPILED[engine.dialect.name] = _CARD.compile(dialect=engine.dialect)
    params = compiled.construct_params({"code": canonical})
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(compiled.string, params)
        rows = [_CardRow(*row) for row in cursor.fetchall()]
        cursor.close()
    finally:
        connection.close()
    return rows


_CARD_COMPILED: dict = {}
