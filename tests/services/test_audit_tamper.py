"""Tampering that leaves a chain whole-looking: each is found, and verify reads one consistent snapshot."""
import sqlalchemy as sa

from municipal.audit import services as audit
from municipal.audit import verification
from municipal.audit.models import AuditEntry, AuditHead
from tests.services.test_audit import three_entries


def kinds(problems) -> list[tuple[int, str]]:
    return [(p.entry_id, p.kind) for p in problems]


def test_an_emptied_trail_with_its_end_record_deleted_is_found(db, users):
    three_entries(db, users)
    db.session.execute(sa.delete(AuditEntry))
    db.session.execute(sa.delete(AuditHead))
    db.session.commit()
    assert [p.kind for p in verification.verify()] == ["end_mismatch"]


def test_a_fresh_trail_is_intact(app, db):
    # What init-db leaves: no entry yet, and the end record at the start.
    audit.seal_start()
    db.session.commit()
    assert verification.verify() == []


def test_deleting_the_newest_entries_and_moving_the_end_record_back_is_found(db, users):
    ids = three_entries(db, users)
    before_last = db.session.get(AuditEntry, ids[-2])
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == ids[-1]))
    db.session.execute(sa.update(AuditHead).values(last_id=before_last.id, last_hash=before_last.hash))
    db.session.commit()
    assert kinds(verification.verify()) == [(ids[-2], "end_mismatch")]


def test_an_entry_changed_with_its_hash_recomputed_is_found(db, users):
    ids = three_entries(db, users)
    first = db.session.get(AuditEntry, ids[0])
    first.changes = {"name": ["井0", "伪造"]}
    first.hash = audit.compute_hash(first.prev_hash, audit.content_of(first))
    db.session.commit()
    assert kinds(verification.verify()) == [(ids[1], "broken_link")]
    assert kinds(verification.verify(full=True)) == [(ids[1], "broken_link"), (ids[1], "chain_diverges")]


def test_an_entry_changed_and_every_later_hash_rechained_is_found(db, users):
    ids = three_entries(db, users)
    entries = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    entries[0].changes = {"name": ["井0", "伪造"]}
    previous = entries[0].prev_hash
    # Unique prev_hash: re-chain from the end backwards would collide, so clear them first.
    for n, entry in enumerate(entries):
        entry.prev_hash = f"{n:064d}"
    db.session.flush()
    for entry in entries:
        entry.prev_hash = previous
        entry.hash = previous = audit.compute_hash(previous, audit.content_of(entry))
    db.session.execute(sa.update(AuditHead).values(last_hash=entries[-1].hash))
    db.session.commit()
    assert kinds(verification.verify()) == [(ids[-1], "end_mismatch")]


def test_entries_appended_while_verifying_are_not_mistaken_for_tampering(app, db, users):
    three_entries(db, users)

    def append_meanwhile(_count):
        with app.app_context():
            audit.record(None, "asset", 8, "update", {"name": ["甲", "乙"]})
            db.session.commit()

    assert verification.verify(progress=append_meanwhile, every=1) == []
    assert verification.verify() == []


def test_the_command_recomputes_every_hash_with_full(app, db, users):
    ids = three_entries(db, users)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify", "--full"]).exit_code == 0
    first = db.session.get(AuditEntry, ids[0])
    first.changes = {"name": ["井0", "伪造"]}
    first.hash = audit.compute_hash(first.prev_hash, audit.content_of(first))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--full"])
    assert result.exit_code == 1 and f"#{ids[1]} chain_diverges" in result.output
