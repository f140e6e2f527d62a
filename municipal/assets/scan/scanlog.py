"""The scan log's writer: scans are queued in memory and written in batches.

Scans arrive by the scan page's beacon (POST /scan/beacon), hundreds a second at busy times, and one
INSERT and COMMIT each would cost more than the rest of the request, and on SQLite make the writers queue
for the database's one write lock ("database is locked"). So the beacon only queues its scan (and the
phone's position, when it sent one) and one background thread per process writes what is queued every
SCAN_LOG_FLUSH_SECONDS (1 s by default), in one transaction, and once more when the process exits. What a
crash of the process can lose is the last interval's scans; with SCAN_LOG_FLUSH_SECONDS = 0 every scan is
written before its beacon is answered.
"""
import atexit
import logging
import os
import threading
import time

import sqlalchemy as sa

from ..models import ScanLog, ScanPosition

log = logging.getLogger(__name__)

# A database that stays unreachable must not make the queue eat the process's memory.
MAX_QUEUED = 200_000


class ScanLogWriter:
    def __init__(self, engine_factory, interval: float):
        self._engine_factory = engine_factory
        self._interval = interval
        # (scan row, position row or None)
        self._rows: list[tuple[dict, dict | None]] = []
        self._lock = threading.Lock()
        # Held while a batch is being written: the flush at exit waits for the writer thread's batch, which
        # would otherwise die half-written with the thread as the process ends.
        self._writing = threading.Lock()
        # Web servers fork after the app is made: the writer thread must belong to the worker.
        self._pid: int | None = None

    def add(self, row: dict, position: dict | None = None) -> None:
        """Queue a scan, and the position that came with it (a ScanPosition row naming the scan's token)."""
        with self._lock:
            if len(self._rows) >= MAX_QUEUED:
                log.error("scan log queue full: the database has not accepted scans for a while; dropping one")
                return
            self._rows.append((row, position))
        if self._interval <= 0:
            self.flush()
        elif self._pid != os.getpid():
            self._start()

    def flush(self) -> int:
        """Write what is queued; on failure keep it for the next attempt. Returns rows written."""
        with self._writing:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                return self._write(rows)
            except sa.exc.SQLAlchemyError:
                log.exception("writing %d scans failed; they stay queued", len(rows))
                with self._lock:
                    self._rows[:0] = rows
                return 0

    def _write(self, rows: list[tuple[dict, dict | None]]) -> int:
        engine = self._engine_factory()
        try:
            with engine.begin() as connection:
                _insert(connection, rows)
            return len(rows)
        except (sa.exc.IntegrityError, sa.exc.DataError):
            pass
        # One row the database refuses must not hold back all the others for ever.
        written = 0
        for row in rows:
            try:
                with engine.begin() as connection:
                    _insert(connection, [row])
                written += 1
            except (sa.exc.IntegrityError, sa.exc.DataError):
                log.error("the database refused a scan, which is dropped: %r", row)
        return written

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="scan-log-writer", daemon=True).start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            self.flush()


def _insert(connection, rows: list[tuple[dict, dict | None]]) -> None:
    connection.execute(sa.insert(ScanLog), [scan for scan, _position in rows])
    positions = [position for _scan, position in rows if position is not None]
    if positions:
        connection.execute(sa.insert(ScanPosition), positions)


def writer_for(app) -> ScanLogWriter:
    return app.extensions["scan_log_writer"]


def init_app(app) -> None:
    from ...extensions import db

    def engine():
        with app.app_context():
            return db.engine

    app.extensions["scan_log_writer"] = ScanLogWriter(engine, float(app.config["SCAN_LOG_FLUSH_SECONDS"]))
