"""What a scanned or typed code refers to. Read-only."""
import atexit
import functools
import json
import os
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

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


@functools.cache
def _by_code(details: bool):
    """resolve()'s lookup, built once per process, the code a parameter. Built for each lookup with its loader
    options, the scan page's took 2.2 ms of CPU on PostgreSQL against 1.3 now, the report form's 1.0 against
    0.75. Built at first use, not at import: loader options set up every model's relationships, and the models
    another module defines may not be imported yet."""
    with_area = joinedload(IdentityCode.asset).joinedload(Asset.area)
    options = (with_area, joinedload(IdentityCode.asset).selectinload(Asset.persons),
               joinedload(IdentityCode.replaced_by)) if details else (with_area,)
    return sa.select(IdentityCode).where(IdentityCode.code == sa.bindparam("code")).options(*options)


def resolve(text: str, details: bool = True) -> Resolution:
    """What `text` names. `details`: with the facility's area and persons and the code's replacement, which
    the scan page shows; without, the facility and its area alone (one query instead of two, for the report
    form, whose report goes to the area's supervisors)."""
    try:
        canonical = codes.normalize(text, PREFIXES)
    except codes.CodeError as error:
        if error.reason != "bad_check":
            return Resolution("malformed", text)
        return Resolution("mistyped", text, suggestions=_existing(codes.near_misses(text, PREFIXES)))
    code = db.session.scalar(_by_code(details), {"code": canonical})
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


class CardKey(NamedTuple):
    """What the citizen's card of a bound code depends on in the database: any edit of the facility bumps
    its version, a rename of its area the area's, and a revoked code is no longer found here."""

    code_id: int
    code: str
    asset_id: int
    version: int
    area_version: int


_CARD_KEY = (
    sa.select(IdentityCode.id, IdentityCode.code, Asset.id, Asset.version, sa.func.coalesce(Area.version, 0))
    .select_from(IdentityCode)
    .join(Asset, Asset.id == IdentityCode.asset_id)
    .outerjoin(Area, Area.id == Asset.area_id)
    .where(IdentityCode.code == sa.bindparam("code"), IdentityCode.status == "bound")
)


def card_key(canonical: str) -> CardKey | None:
    """The key of a bound code's public card, or None for anything else (which resolve() explains). One
    lookup by the code's unique index, joined to the facility and its area by primary key: all that a
    repeat scan (a 304) needs.

    Run on the database driver itself, the statement compiled once per dialect: SQLAlchemy's execution and
    result layers cost several times the query, and this is the whole of the busiest request."""
    rows = _driver_rows("card_key", _CARD_KEY, {"code": canonical}, many=False)
    return CardKey(*rows[0]) if rows else None


def _driver_rows(name: str, statement, values: dict, many: bool) -> list[tuple]:
    """The rows of `statement` with the parameters `values`, run on the database driver (see card_key), as
    the driver gives them (no type of SQLAlchemy's applied). `many`: all the rows, else the first."""
    engine = db.engine
    found = _COMPILED.get((name, engine.dialect.name))
    if found is None:
        compiled = statement.compile(dialect=engine.dialect)
        # The statement's other parameters are constants: only `values` change from one lookup to the next.
        params = compiled.construct_params({key: None for key in values})
        found = (compiled.string, params, list(compiled.positiontup) if compiled.positional else None)
        _COMPILED[(name, engine.dialect.name)] = found
    sql, constants, names = found
    params = {**constants, **values}
    if names is not None:
        params = tuple(params[key] for key in names)
    return _lookup(engine, sql, params, many)


_COMPILED: dict = {}


def _lookup(engine, sql: str, params, many: bool) -> list[tuple]:
    """The rows of `sql` (all, or the first when not `many`), on the connection this process keeps for the
    lookups when it is free (a pool's checkout and return cost a quarter of the query), else on one from the
    pool."""
    if _HELD_LOCK.acquire(blocking=False):
        try:
            connection = _held(engine)
            try:
                return _fetch(engine, connection, sql, params, many)
            except engine.dialect.dbapi.Error:
                _forget(engine)  # a connection the database dropped: the pool's next one is checked
        finally:
            _HELD_LOCK.release()
    connection = engine.raw_connection()
    try:
        return _fetch(engine, connection, sql, params, many)
    finally:
        connection.close()


def _fetch(engine, connection, sql: str, params, many: bool) -> list[tuple]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        if many:
            return cursor.fetchall()
        row = cursor.fetchone()
        return [row] if row is not None else []
    finally:
        cursor.close()
        if engine.dialect.name != "sqlite":
            # Drivers other than SQLite's open a transaction for a SELECT: end it, as the pool would.
            connection.rollback()


# Engine -> (process id, pooled connection kept checked out). One per engine and process; closed when the
# engine is disposed (a restore) and at exit. A process forked with one (none is: lookups run
# in the workers) leaves the parent's alone.
_HELD: dict = {}
_HELD_LOCK = threading.Lock()
_ORPHANS: list = []


def _held(engine):
    found = _HELD.get(engine)
    if found is not None and found[0] == os.getpid():
        return found[1]
    if found is not None:
        _ORPHANS.append(found)  # the parent's: never closed or finalised here
    elif not _HELD:
        atexit.register(_forget_all)
    if not sa.event.contains(engine, "engine_disposed", _forget):
        sa.event.listen(engine, "engine_disposed", _forget)
    connection = engine.raw_connection()
    _HELD[engine] = (os.getpid(), connection)
    return connection


def _forget(engine) -> None:
    found = _HELD.pop(engine, None)
    if found is not None and found[0] == os.getpid():
        try:
            # Closed, not given back: the pool it came from may be the one a dispose just dropped.
            found[1].invalidate()
        except Exception:  # noqa: BLE001 - a broken connection is dropped all the same
            pass


def _forget_all() -> None:
    for engine in list(_HELD):
        _forget(engine)


class CardArea(NamedTuple):
    name: str
    name_en: str | None
    version: int

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class CardPerson(NamedTuple):
    role: str
    level: str | None
    name: str
    unit: str
    position: str
    phone: str
    river_chief_day: bool


@dataclass(frozen=True)
class CardFacility:
    """What the public card shows of a facility, read for it alone: no internal notes, no geometry, no user
    accounts. Answers card.facts() and the card's template as an Asset would."""

    type: str
    name: str
    status: str
    address: str | None
    owner_unit: str | None
    maintenance_unit: str | None
    attributes: dict
    chainage_start_m: float | None
    chainage_end_m: float | None
    version: int
    area: CardArea | None
    persons: tuple[CardPerson, ...]


_CARD_FACILITY = (
    sa.select(Asset.type, Asset.name, Asset.status, Asset.address, Asset.owner_unit, Asset.maintenance_unit,
              Asset.attributes, Asset.chainage_start_m, Asset.chainage_end_m, Asset.version, Area.name,
              Area.name_en, Area.version, ResponsiblePerson.role, ResponsiblePerson.level, ResponsiblePerson.name,
              ResponsiblePerson.unit, ResponsiblePerson.position, ResponsiblePerson.phone,
              ResponsiblePerson.river_chief_day)
    .select_from(Asset)
    .outerjoin(Area, Area.id == Asset.area_id)
    .outerjoin(ResponsiblePerson, ResponsiblePerson.asset_id == Asset.id)
    .where(Asset.id == sa.bindparam("asset_id"))
    .order_by(ResponsiblePerson.id)
)


def card_facility(asset_id: int) -> CardFacility | None:
    """The facility as its public card shows it, or None when it is gone. One query on the driver (see
    card_key), a row per responsible person: a card rendered afresh is most of a first scan's cost."""
    rows = _driver_rows("card_facility", _CARD_FACILITY, {"asset_id": asset_id}, many=True)
    if not rows:
        return None
    first = rows[0]
    # The driver's own values: SQLite gives the JSON column as its text, PostgreSQL's driver parses it; SQLite
    # gives a boolean as 0 or 1.
    attributes = json.loads(first[6]) if isinstance(first[6], str) else first[6]
    area = CardArea(*first[10:13]) if first[10] is not None else None
    persons = tuple(CardPerson(*row[13:19], bool(row[19])) for row in rows if row[13] is not None)
    return CardFacility(*first[:6], attributes or {}, *first[7:10], area, persons)
