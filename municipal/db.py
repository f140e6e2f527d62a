"""Declarative base, shared column types, per-connection SQLite settings, and the request's one transaction."""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from werkzeug.routing import IntegerConverter

from . import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Ids are 32-bit integers on PostgreSQL; a larger number in a URL or a form must read as "no such row",
# not reach the database and fail there.
MAX_ID = 2**31 - 1


def as_id(value) -> int | None:
    """A row id from user input (a string or an int), or None when it cannot be one."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


class IdIntegerConverter(IntegerConverter):
    """<int:…> in every route stops at MAX_ID: a larger number is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def conflict_insert(table, dialect: str):
    """An INSERT into `table` that can say ON CONFLICT: PostgreSQL and SQLite each have their own construct.
    `dialect`: the database's dialect name."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def utcnow() -> datetime:
    """Now, by the application's clock (municipal/clock.py), aware, in UTC."""
    return clock.now()


class UTCDateTime(sa.types.TypeDecorator):
    """Timestamps stored as naive UTC and always read back as aware UTC.

    SQLite has no time zones; storing naive UTC everywhere keeps both backends alike.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


# How long an SQLite connection waits for another's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


def configure_sqlite(engine) -> None:
    """WAL and a busy timeout let several worker processes share one SQLite file."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Reads through a memory map and a larger page cache: a lookup in a million rows then touches
        # memory, not read() calls. Both are per connection and cost nothing until pages are used.
        cursor.execute("PRAGMA mmap_size=1073741824")
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()
