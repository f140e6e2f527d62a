"""What a scanned or typed code refers to. Read-only."""
import atexit
import os
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, load_only

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


def resolve(text: str, details: bool = True) -> Resolution:
    """What `text` names. `details`: with the facility's area and persons and the code's replacement, which
    the scan page shows; without, the facility alone (one query instead of two, for the report form)."""
    try:
        canonical = codes.normalize(text, PREFIXES)
    except codes.CodeError as error:
        if error.reason != "bad_check":
            return Resolution("malformed", text)
        return Resolution("mistyped", text, suggestions=_existing(codes.near_misses(text, PREFIXES)))
    options = (joinedload(IdentityCode.asset).joinedload(Asset.area),
               joinedload(IdentityCode.asset).selectinload(Asset.persons),
               joinedload(IdentityCode.replaced_by)) if details else (joinedload(IdentityCode.asset),)
    code = db.session.scalar(sa.select(IdentityCode).where(IdentityCode.code == canonical).options(*options))
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
    engine = db.engine
    found = _CARD_KEY_COMPILED.get(engine.dialect.name)
    if found is None:
        compiled = _CARD_KEY.compile(dialect=engine.dialect)
        # The statement's other parameters are constants: only the code changes from one lookup to the next.
        params = compiled.construct_params({"code": None})
        if compiled.positional:
            names = list(compiled.positiontup)
            found = (compiled.string, tuple(params[name] for name in names), names.index("code"))
        else:
            found = (compiled.string, params, None)
        _CARD_KEY_COMPILED[engine.dialect.name] = found
    sql, constants, position = found
    if position is None:
        params = {**constants, "code": canonical}
    else:
        params = constants[:position] + (canonical,) + constants[position + 1:]
    row = _lookup(engine, sql, params)
    return CardKey(*row) if row is not None else None


_CARD_KEY_COMPILED: dict = {}


def _lookup(engine, sql: str, params):
    """One row of `sql`, on the connection this process keeps for the lookup when it is free (a pool's
    checkout and return cost a quarter of the query), else on one from the pool."""
    if _HELD_LOCK.acquire(blocking=False):
        try:
            connection = _held(engine)
            try:
                return _fetch(engine, connection, sql, params)
            except engine.dialect.dbapi.Error:
                _forget(engine)  # a connection the database dropped: the pool's next one is checked
        finally:
            _HELD_LOCK.release()
    connection = engine.raw_connection()
    try:
        return _fetch(engine, connection, sql, params)
    finally:
        connection.close()


def _fetch(engine, connection, sql: str, params):
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchone()
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


def card_asset(asset_id: int) -> Asset | None:
    """The facility with only what its public card shows: no internal notes, no geometry, no user accounts.
    One query (the statement built once: its loader options cost more to build than to run)."""
    global _CARD_ASSET
    if _CARD_ASSET is None:
        _CARD_ASSET = sa.select(Asset).where(Asset.id == sa.bindparam("asset_id")).options(
            load_only(Asset.type, Asset.name, Asset.status, Asset.address, Asset.owner_unit, Asset.maintenance_unit,
                      Asset.attributes, Asset.chainage_start_m, Asset.chainage_end_m, Asset.version, Asset.area_id),
            joinedload(Asset.area).load_only(Area.name, Area.name_en, Area.version),
            joinedload(Asset.persons).load_only(ResponsiblePerson.role, ResponsiblePerson.level,
                                                ResponsiblePerson.name, ResponsiblePerson.unit,
                                                ResponsiblePerson.position, ResponsiblePerson.phone,
                                                ResponsiblePerson.river_chief_day),
        )
    return db.session.scalars(_CARD_ASSET, {"asset_id": asset_id}).unique().first()


_CARD_ASSET = None
