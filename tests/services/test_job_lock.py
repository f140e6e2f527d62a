"""Runs of the calendar job never overlap, even for different dates; a crashed run's lock goes stale."""
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from municipal.db import utcnow
from municipal.jobs import runner, services
from municipal.jobs.models import JobLock
from municipal.jobs.periods import Day
from municipal.jobs.registry import Job


def test_two_runs_for_different_dates_at_once_run_one_after_the_other(app, db):
    spans = []

    def body(context):
        started = time.monotonic()
        time.sleep(0.4)
        spans.append((context.period, started, time.monotonic()))
        return 0

    job = Job("calendar-probe", Day(), body, "%(count)s", exclusive=True)
    ready = threading.Barrier(2)
    results = []

    def run_for(day: int):
        with app.app_context():
            ready.wait(timeout=30)
            results.append(runner.run(job, utcnow() - timedelta(days=day)))

    threads = [threading.Thread(target=run_for, args=(day,)) for day in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(result.status for result in results) == ["ok", "ok"]
    (_p1, start1, end1), (_p2, start2, end2) = sorted(spans, key=lambda span: span[1])
    assert end1 <= start2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobLock)) == 0


def test_a_second_run_waits_a_bounded_time_then_refuses_naming_the_holder(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_LOCK_WAIT_SECONDS", 1)
    assert services.take_lock("calendar", "host-a pid 42 #beef")
    db.session.commit()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["jobs", "run", "calendar", "--date", "2026-11-20"])
    assert result.exit_code == 1
    assert "host-a pid 42 #beef" in result.output and "2026-11-26" in result.output
    assert 1 <= time.monotonic() - started < 10
    # Nothing was claimed: the period is still free for a later run.
    assert db.session.scalar(sa.text("SELECT count(*) FROM job_run")) == 0


def test_a_lock_left_by_a_crashed_run_is_taken_once_stale(app, db):
    assert services.take_lock("calendar", "crashed")
    db.session.execute(sa.update(JobLock).values(locked_at=utcnow() - services.STALE_AFTER - timedelta(minutes=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run", "calendar", "--date", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobLock)) == 0
