"""Appending to the audit trail: describing a change (snapshot, diff, pending_changes), recording it, and
keeping the chain's head. Flushes, never commits. Checking the trail is verification.py; reading it, reading.py.

Each entry's hash is sha256(prev_hash + canonical JSON of its content), and prev_hash is the
hash of the entry before it, so editing, deleting or reordering entries breaks the chain
where it happened. Appends are serialised (see `_lock_head`), so the chain stays one line
however many processes write. Deleting the newest entries leaves a shorter chain that is still
whole; so each transaction that appended also writes the chain's end to the one row of
`audit_head` (see `anchor_head`), and `verification.verify` compares the two.
"""
import hashlib
import hmac
import json
import math
from collections.abc import Iterable
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import make_transient_to_detached

from ..db import utcnow
from ..errors import ValidationError
from ..extensions import db
from .models import GENESIS, AuditEntry, AuditHead

# Any constant works; it only has to be the same in every process that appends. PostgreSQL's advisory locks
# are the whole database's, so a trail kept in another schema of the same database (another installation, each
# test worker's) adds its schema's hash to it and never waits for this one. The default schema keeps the key
# alone, as versions before took it: during an upgrade, old and new processes still exclude each other.
ADVISORY_LOCK_KEY = 0x6D756E6963697061  # "municipa"
DEFAULT_SCHEMA = "public"


# Bookkeeping columns that change on every write and say nothing about what the user changed.
NOT_AUDITED = frozenset({"id", "version", "created_at", "updated_at"})


# --- content and hashing ---------------------------------------------------------

def plain(value):
    """`value` as JSON-ready data that reads back from the database exactly as written:
    dates as ISO text, Decimals as text, sets sorted, non-finite floats as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=canonical)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_of(entry) -> dict:
    """What the hash seals: everything about an entry except its id and the hashes themselves."""
    return {
        "at": iso_utc(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "changes": entry.changes,
    }


def compute_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(content)).encode("utf-8")).hexdigest()


# --- describing changes ------------------------------------------------------------

def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value differs between the two snapshots."""
    changes = {}
    for key in sorted(set(before) | set(after), key=str):
        old, new = plain(before.get(key)), plain(after.get(key))
        if old != new:
            changes[str(key)] = [old, new]
    return changes


def _row(obj) -> dict:
    """A related object (a responsible person, ...) as its own values, without keys that tie it to rows."""
    mapper = sa.inspect(obj).mapper
    keys = {c.key for c in mapper.primary_key} | {c.key for c in mapper.columns if c.foreign_keys}
    return {a.key: getattr(obj, a.key) for a in mapper.column_attrs if a.key not in keys | NOT_AUDITED}


def _owned(state):
    """The collections an object owns (delete-orphan children, like a facility's responsible
    persons): they are part of its value. Other relationships only point elsewhere."""
    for rel in state.mapper.relationships:
        if rel.uselist and not rel.viewonly and rel.cascade.delete_orphan:
            yield rel


def snapshot(obj, exclude: Iterable[str] = ()) -> dict:
    """The audited values of a model object: its columns and the children it owns.

    `diff({}, snapshot(obj))` describes a new object; `diff(before, snapshot(obj))` with a
    snapshot taken before the change describes an edit.
    """
    state = sa.inspect(obj)
    skip = NOT_AUDITED | set(exclude)
    values = {a.key: getattr(obj, a.key) for a in state.mapper.column_attrs if a.key not in skip}
    for rel in _owned(state):
        if rel.key not in skip:
            values[rel.key] = [_row(o) for o in getattr(obj, rel.key)]
    return plain(values)


def pending_changes(obj, exclude: Iterable[str] = ()) -> dict:
    """{field: [old, new]} for what was set on `obj` since it was loaded or last flushed.

    A flush forgets the old values, and any query may autoflush: call it right after plain
    assignments. When the change itself queries (loads a collection, looks something up),
    diff two snapshots instead.
    """
    state = sa.inspect(obj)
    skip = NOT_AUDITED | set(exclude)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key in skip or not history.has_changes():
            continue
        before[attr.key] = history.deleted[0] if history.deleted else None
        after[attr.key] = history.added[0] if history.added else None
    for rel in _owned(state):
        history = state.attrs[rel.key].history
        if rel.key in skip or rel.key in state.unloaded or not (history.added or history.deleted):
            continue
        before[rel.key] = [_row(o) for o in (*history.unchanged, *history.deleted)]
        after[rel.key] = [_row(o) for o in (*history.unchanged, *history.added)]
    return diff(before, after)


# --- appending --------------------------------------------------------------------

def head_lock():
    """PostgreSQL's statement that takes the right to append to the trail of the schema it runs in."""
    schema = sa.func.current_schema()
    offset = sa.case((schema == DEFAULT_SCHEMA, 0), else_=sa.func.hashtext(schema))
    return sa.select(sa.func.pg_advisory_xact_lock(sa.literal(ADVISORY_LOCK_KEY, sa.BigInteger) + offset))


def _lock_head() -> None:
    """Hold the right to append until this transaction ends, so the last hash read is still the last
    when this entry is written. PostgreSQL: a transaction-scoped advisory lock. SQLite: its one write
    lock, taken by a statement that writes nothing; the driver opens transactions only on writes, so
    without this the read below could come from before another writer's commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_PG_HEAD_LOCK)
    else:
        db.session.execute(_SQLITE_HEAD_LOCK)


# The append's statements, built once, their values passed as parameters. Built for each entry with the values
# in them, an entry took 280 µs of CPU on SQLite against 124 now, and an entry in a transaction of its own (a
# citizen's report) 2.0 ms on PostgreSQL against 1.2. The insert is Core's: an ORM flush per entry costs more
# than the insert when 10,000 codes are issued at once.
_PG_HEAD_LOCK = head_lock()
_SQLITE_HEAD_LOCK = sa.update(AuditEntry.__table__).where(sa.false()).values(id=AuditEntry.__table__.c.id)
_LAST_ENTRY = sa.select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
_INSERT_ENTRY = sa.insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id)
_ENTRY_FIELDS = tuple(column.key for column in AuditEntry.__table__.columns if column.key != "id")


def record(actor, entity_type: str, entity_id, action: str, changes: dict | None = None) -> AuditEntry:
    """Append one entry: `actor` (a user, or None for the system) did `action` to the entity,
    changing each field of `changes` from old to new ({field: [old, new]})."""
    errors = {}
    for name, value, limit in (("entity_type", entity_type, 32), ("entity_id", entity_id, 64), ("action", action, 40)):
        if value is None or str(value) == "":
            errors[name] = _("is required")
        elif len(str(value)) > limit:
            errors[name] = _("must be at most %(n)s characters", n=limit)
    if changes is not None and not isinstance(changes, dict):
        errors["changes"] = _("must be an object of fields and their old and new values")
    if errors:
        raise ValidationError(_("The change could not be written to the audit trail."), errors)

    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.display_name or actor.username)[:100] if actor is not None else "",
        entity_type=str(entity_type),
        entity_id=str(entity_id),
        action=str(action),
        changes=plain(changes or {}),
    )
    entry.prev_hash = _head_hash()
    entry.hash = compute_hash(entry.prev_hash, content_of(entry))
    entry.id = db.session.execute(_INSERT_ENTRY, {key: getattr(entry, key) for key in _ENTRY_FIELDS}).scalar_one()
    make_transient_to_detached(entry)
    db.session.add(entry)
    db.session.info["audit_head"] = (_context(), entry.hash, entry.id)
    return entry


def record_many(actor, entity_type: str, action: str, entries: list[tuple]) -> int:
    """Append one entry per (entity_id, changes), chained in order, in one statement: a bulk import
    of 100,000 facilities writes 100,000 entries without an insert and a lookup for each."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    at, previous, rows = utcnow(), _head_hash(), []
    who = {"actor_id": actor.id if actor is not None else None,
           "actor_name": (actor.display_name or actor.username)[:100] if actor is not None else ""}
    for entity_id, changes in entries:
        row = {"at": at, **who, "entity_type": entity_type, "entity_id": str(entity_id), "action": action,
               "changes": plain(changes or {}), "prev_hash": previous}
        row["hash"] = previous = compute_hash(previous, content_of(SimpleNamespace(**row)))
        rows.append(row)
    if rows:
        db.session.execute(sa.insert(AuditEntry.__table__), rows)
        db.session.info["audit_head"] = (_context(), previous, None)
    return len(rows)


HEAD_ROW = 1
_UPDATE_HEAD = sa.update(AuditHead.__table__).where(AuditHead.__table__.c.id == HEAD_ROW)


def anchor_head(session) -> None:
    """Before a commit: if this transaction appended to the trail, record the trail's end in audit_head.

    The last entry appended is the end when it was appended outside any savepoint (a citizen's report, most
    edits). Else it is read back: a savepoint rolled back since may have taken it with it, and a batch
    (record_many) leaves no id. The transaction still holds the right to append (`_lock_head`), so no other
    writer can move the end before this commits, and the one-row update waits on nobody."""
    context, head, head_id = session.info.get("audit_head", (None, None, None))
    if head is None or session.in_nested_transaction() or context[0] is not session.get_transaction():
        return
    if head_id is not None and context[1] is None:
        last_id, last_hash = head_id, head
    else:
        last = session.execute(_LAST_ENTRY).first()
        if last is None:
            return
        last_id, last_hash = last
    values = {"last_id": last_id, "last_hash": last_hash, "updated_at": utcnow(), "seal": seal(last_id, last_hash)}
    if not session.execute(_UPDATE_HEAD, values).rowcount:
        session.execute(sa.insert(AuditHead.__table__), {"id": HEAD_ROW, **values})


def seal(last_id: int, last_hash: str, key: str | None = None) -> str:
    """The head's seal: only a holder of the secret key can make one for another end of the trail."""
    secret = (key or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{last_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()


def seal_start() -> None:
    """The end record of a trail nothing has been appended to yet (the schema's migration writes it)."""
    if db.session.get(AuditHead, HEAD_ROW) is None and db.session.scalar(sa.select(AuditEntry.id).limit(1)) is None:
        db.session.add(AuditHead(id=HEAD_ROW, last_id=0, last_hash=GENESIS, seal=seal(0, GENESIS)))
        db.session.flush()


def _context() -> tuple:
    session = db.session()
    return session.get_transaction(), session.get_nested_transaction()


def _head_hash() -> str:
    """The hash of the last entry, with the right to append after it held until the transaction ends.

    Once this transaction has appended, it holds the lock and its own last entry is the head, so a
    batch (10,000 codes issued at once) skips the lock and the query. Any other transaction or
    savepoint may have been rolled back since, taking that entry with it: then look again.
    """
    context, head, _id = db.session.info.get("audit_head", (None, None, None))
    if head is not None and all(a is b for a, b in zip(context, _context())):
        return head
    _lock_head()
    last = db.session.execute(_LAST_ENTRY).first()
    return last.hash if last is not None else GENESIS
