"""The scan log is written in batches: nothing queued may be lost, even when the database is away."""
import threading
import time

import sqlalchemy as sa

from municipal.assets.models import ScanLog, ScanPosition
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


def test_the_flush_at_exit_waits_for_the_batch_the_writer_thread_is_writing(db):
    engine = db.engine
    started, release = threading.Event(), threading.Event()

    def slow_engine():
        started.set()
        release.wait(5)
        return engine

    writer = ScanLogWriter(slow_engine, interval=3600)
    writer.add(scan("in flight"))
    threading.Thread(target=writer.flush).start()  # the writer thread, in the middle of its batch
    assert started.wait(5)
    threading.Timer(0.2, release.set).start()
    writer.flush()  # what the process runs at exit: returns once the batch is in the database
    assert logged(db) == ["in flight"]


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


def test_a_scan_and_the_position_sent_with_it_are_written_together(db):
    engine = db.engine
    writer = ScanLogWriter(lambda: engine, interval=3600)
    writer.add(scan("here"), {"scan_token": "here", "lon": 119.31, "lat": 26.09, "accuracy_m": 12.0, "at": utcnow()})
    writer.add(scan("nowhere"))
    # A second position for the same scan is refused by its unique token: only that scan and position go.
    writer.add(scan("twice"), {"scan_token": "here", "lon": 0.0, "lat": 0.0, "accuracy_m": None, "at": utcnow()})
    assert writer.flush() == 2
    assert logged(db) == ["here", "nowhere"]
    positions = db.session.execute(sa.select(ScanPosition.scan_token, ScanPosition.lon)).all()
    assert [tuple(p) for p in positions] == [("here", 119.31)]
