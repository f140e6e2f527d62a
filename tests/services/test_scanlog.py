"""The scan log is written in batches: nothing queued may be lost, even when the database is away."""
import time

import sqlalchemy as sa

from municipal.assets.models import ScanLog
from municipal.assets.scan.scanlog import ScanLogWriter
from municipal.db import utcnow


def scan(token):
    return {"token": token, "code_id": None, "asset_id": None, "scanned_text": "RSV-00000-0", "at": utcnow(),
            "user_id": None, "user_agent": "test"}


def logged(db):
    db.session.rollback()
    return sorted(db.session.scalars(sa.select(ScanLog.token)))


def test_queued_scans_are_written_within_the_interval(db):
    engine = db.engine
    writer = ScanLogWriter(lambda: engine, interval=0.05)
    writer.add(scan("a"))
    writer.add(scan("b"))
    deadline = time.monotonic() + 5
    while logged(db) != ["a", "b"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged(db) == ["a", "b"]


def test_scans_stay_queued_while_the_database_refuses_them(db, tmp_path):
    away = sa.create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    engine = {"now": away}
    writer = ScanLogWriter(lambda: engine["now"], interval=3600)
    writer.add(scan("kept"))
    assert writer.flush() == 0
    assert logged(db) == []
    engine["now"] = db.engine
    assert writer.flush() == 1
    assert logged(db) == ["kept"]
    assert writer.flush() == 0


def test_a_scan_the_database_refuses_does_not_hold_back_the_others(db):
    engine = db.engine
    writer = ScanLogWriter(lambda: engine, interval=3600)
    writer.add(scan("good"))
    writer.add({**scan("orphan"), "code_id": 987654})  # no such code: the foreign key refuses it
    assert writer.flush() == 1
    assert logged(db) == ["good"]
    assert writer.flush() == 0
