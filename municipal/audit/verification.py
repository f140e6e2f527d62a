"""Checking the trail: every entry against its hash and the one before it, and the trail's end against the
sealed record of it in audit_head (`municipal audit verify`). Reads only, in one snapshot of the database."""
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from .models import GENESIS, AuditEntry, AuditHead
from .services import HEAD_ROW, compute_hash, content_of, seal


@dataclass(frozen=True)
class Problem:
    entry_id: int
    kind: str  # "edited" | "broken_link" | "chain_diverges" | "truncated" | "end_mismatch"
    message: str


def check_chain(entries: Iterable) -> Iterator[Problem]:
    """The problems of a trail given in id order; each entry needs the columns of AuditEntry."""
    previous = None
    for entry in entries:
        if compute_hash(entry.prev_hash, content_of(entry)) != entry.hash:
            yield Problem(entry.id, "edited", f"entry {entry.id}: its content no longer matches its hash (edited)")
        expected = previous.hash if previous is not None else GENESIS
        if entry.prev_hash != expected:
            where = f"entry {previous.id}" if previous is not None else "the start of the trail"
            yield Problem(entry.id, "broken_link",
                          f"entry {entry.id}: does not follow {where} "
                          "(an entry between them was deleted or entries were reordered)")
        previous = entry


def verify(progress: Callable[[int], None] | None = None, every: int = 100_000, full: bool = False) -> list[Problem]:
    """Check the whole trail, streamed in id order, and its end record, all in one snapshot of the database,
    so appends made meanwhile are neither half seen nor mistaken for deletions. `full` also recomputes every
    hash from the start, each from the recomputed one before it rather than the prev_hash stored with it.
    `progress(n)` is called every `every` entries and once at the end with the total."""
    table = AuditEntry.__table__
    with _snapshot() as connection:
        head = connection.execute(sa.select(AuditHead.__table__).where(AuditHead.id == HEAD_ROW)).first()
        # Plain rows on a connection of their own: a session would keep every entry of a huge trail.
        rows = connection.execute(sa.select(table).order_by(table.c.id).execution_options(yield_per=10_000))
        count = 0
        last = None
        recomputed = GENESIS
        diverged: list[Problem] = []

        def walked():
            nonlocal count, last, recomputed
            for row in rows:
                if full and not diverged:
                    recomputed = compute_hash(recomputed, content_of(row))
                    if recomputed != row.hash:
                        diverged.append(Problem(row.id, "chain_diverges",
                                                f"entry {row.id}: recomputed from the start of the trail, its hash "
                                                "differs (this entry or one before it was changed)"))
                last = row
                yield row
                count += 1
                if progress and count % every == 0:
                    progress(count)

        problems = list(check_chain(walked()))
    if progress:
        progress(count)
    return problems + diverged + check_end(last, head)


@contextmanager
def _snapshot():
    """A connection in one read transaction: REPEATABLE READ on PostgreSQL; on SQLite an explicit BEGIN,
    since its driver would otherwise give every SELECT a snapshot of its own."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        else:
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def check_end(last, head) -> list[Problem]:
    """The trail's last entry (None when empty) against the end recorded in audit_head (None when absent)."""
    if head is None:
        return [Problem(last.id if last is not None else 0, "end_mismatch",
                        "the record of the trail's end (audit_head) is missing: it was deleted, or the trail was "
                        "written without it")]
    if head.seal != seal(head.last_id, head.last_hash):
        return [Problem(head.last_id, "end_mismatch",
                        "the record of the trail's end does not carry the platform's seal: it was changed outside "
                        "the platform (or the secret key has changed since)")]
    if last is None and head.last_id == 0:
        return []
    if last is None or last.id < head.last_id:
        after = f"after entry {last.id}" if last is not None else "from the start"
        return [Problem(head.last_id, "truncated",
                        f"entries {after} up to entry {head.last_id} are missing: the newest entries were deleted")]
    if last.id > head.last_id:
        return [Problem(last.id, "end_mismatch",
                        f"entries after entry {head.last_id} up to entry {last.id} were not written by the platform")]
    if last.hash != head.last_hash:
        return [Problem(last.id, "end_mismatch", f"entry {last.id} is not the entry the trail ended with: it was "
                                                 "replaced")]
    return []
