"""Scheduled jobs: each period claimed once, failures retried, overdue work notified once per person."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from municipal.auth.models import Team
from municipal.db import utcnow
from municipal.i18n import N_
from municipal.jobs import runner, services
from municipal.jobs.models import JobRun
from municipal.jobs.periods import Day, Slot
from municipal.jobs.registry import JOBS, Job
from municipal.notify.models import Notification
from municipal.workorders import services as workorders
from municipal.workorders.models import WorkOrder
from municipal.workorders.overdue import fell_due


def _runs(db, job):
    return list(db.session.scalars(sa.select(JobRun).where(JobRun.job == job).order_by(JobRun.period)))


def _overdue(db):
    return sorted(db.session.execute(
        sa.select(Notification.dedupe_key, Notification.user_id).where(Notification.kind == "overdue")).all())


@pytest.fixture
def make_order(db, users, make_asset):
    """make_order(due_in=timedelta, assignee=user or team) as the supervisor, already that late or early."""
    well = make_asset("manhole", "温泉路3号井")

    def _make(due_in, assignee=None, title="井盖破损"):
        who = ({"assignee_team_id": assignee.id} if isinstance(assignee, Team)
               else {"assignee_user_id": assignee.id} if assignee is not None else {})
        order = workorders.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title=title, **who)
        order.due_at = utcnow() + due_in
        db.session.commit()
        return order

    return _make


def test_a_period_is_claimed_once(db):
    first = services.claim("notify-overdue", "2026-11-26T02:15Z")
    db.session.commit()
    assert first is not None
    assert services.claim("notify-overdue", "2026-11-26T02:15Z") is None
    assert services.claim("notify-overdue", "2026-11-26T02:30Z") is not None
    assert services.claim("send-email", "2026-11-26T02:15Z") is not None


def test_of_processes_claiming_at_once_exactly_one_wins(app, db):
    start = threading.Barrier(4)
    won = []

    def contender():
        with app.app_context():
            start.wait()
            claimed = services.claim("notify-overdue", "2026-11-26T02:15Z")
            db.session.commit()
            won.append(claimed is not None)

    threads = [threading.Thread(target=contender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]


def test_an_abandoned_claim_is_taken_again_and_its_first_owner_cannot_finish_it(db):
    crashed = services.claim("notify-overdue", "2026-11-26T02:15Z", now=utcnow() - timedelta(hours=2))
    db.session.commit()
    retaken = services.claim("notify-overdue", "2026-11-26T02:15Z")
    assert retaken is not None and retaken.attempt == crashed.attempt + 1
    assert services.finish(crashed, "ok") is False
    assert services.finish(retaken, "ok") is True
    assert services.claim("notify-overdue", "2026-11-26T02:15Z") is None


def test_overdue_work_is_notified_once_to_the_assignee_and_the_area_supervisors(app, db, users, make_order):
    late = make_order(timedelta(hours=-2), assignee=users["crew"])
    cli = app.test_cli_runner()

    first = cli.invoke(args=["jobs", "run", "notify-overdue"])
    again = cli.invoke(args=["jobs", "run", "notify-overdue"])
    # A later slot, and another machine, look at the same order again.
    later = runner.run(JOBS["notify-overdue"], utcnow() + timedelta(minutes=15))

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert later.status == "ok" and later.count == 0
    key = f"overdue:wo:{late.id}"
    # The supervisors in the fixture have no areas of their own: they look after the whole district.
    assert _overdue(db) == sorted((key, users[role].id) for role in ("admin", "supervisor", "crew"))
    assert [run.status for run in _runs(db, "notify-overdue")] == ["ok", "ok"]
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == users["crew"].id))
    assert notice.link == f"/work/{late.id}" and notice.params["number"] == late.number


def test_work_not_yet_due_or_closed_is_not_notified(db, users, make_order):
    make_order(timedelta(hours=2), assignee=users["crew"])
    cancelled = make_order(timedelta(hours=-2), assignee=users["crew"])
    workorders.act(users["supervisor"], cancelled.id, "cancel", version=cancelled.version, reason="重复")
    done = make_order(timedelta(hours=-3), assignee=users["crew"])
    workorders.act(users["crew"], done.id, "start", version=done.version)
    workorders.act(users["crew"], done.id, "complete", version=done.version)
    db.session.commit()

    assert runner.run(JOBS["notify-overdue"], utcnow()).count == 0
    assert _overdue(db) == []


def test_the_orders_that_fell_due_come_in_pages_oldest_due_first(db, users, make_order):
    """The window is (4 hours ago, now]: an order due earlier counts only if it was created in the window
    and is at most a day late."""
    for hours in (3, 1, 2):
        make_order(timedelta(hours=-hours), title=f"{hours}小时")
    make_order(timedelta(hours=-5), title="窗口内新建")
    before = make_order(timedelta(hours=-5), title="窗口前已到期")
    make_order(timedelta(hours=-30), title="晚了一天多")
    make_order(timedelta(hours=1), title="未到期")
    now = utcnow()
    db.session.execute(sa.update(WorkOrder).where(WorkOrder.id == before.id)
                       .values(created_at=now - timedelta(hours=40)))
    db.session.commit()

    pages = list(fell_due(now, now - timedelta(hours=4), timedelta(days=1), page=2))

    assert [[order.title for order in page] for page in pages] == [["窗口内新建", "3小时"], ["2小时", "1小时"]]


def test_team_work_tells_every_member(db, users, make_order):
    team = Team(name="鼓山排水班", members=[users["crew"], users["viewer"]])
    db.session.add(team)
    db.session.commit()
    late = make_order(timedelta(minutes=-5), assignee=team)

    runner.run(JOBS["notify-overdue"], utcnow())

    assert {user_id for _key, user_id in _overdue(db)} == {users[r].id for r in ("admin", "supervisor", "crew", "viewer")}
    assert {key for key, _user in _overdue(db)} == {f"overdue:wo:{late.id}"}


def test_the_check_looks_back_only_to_the_last_success_and_at_orders_created_since(db, users, make_order):
    now = utcnow()
    old = make_order(timedelta(hours=-5), assignee=users["crew"], title="早已逾期")
    old.created_at = now - timedelta(hours=6)
    services.finish(services.claim("notify-overdue", Slot(15).key(now - timedelta(hours=1), None)), "ok")
    db.session.commit()
    assert runner.run(JOBS["notify-overdue"], now).count == 0

    # Created since the last check, already late (as create_work_order allows): still caught.
    old.created_at = now - timedelta(minutes=1)
    db.session.commit()
    assert runner.run(JOBS["notify-overdue"], now + timedelta(minutes=15)).count == 3


def test_a_failed_run_is_recorded_writes_nothing_and_can_be_run_again(app, db, users, monkeypatch):
    attempts = []

    def flaky(context):
        attempts.append(context.period)
        workorders.notify([users["crew"]], "assigned", {"number": "WO-1", "title": "x"}, "/work/1")
        if len(attempts) == 1:
            raise RuntimeError("the disk is full")
        return 1

    monkeypatch.setitem(JOBS, "flaky", Job("flaky", Slot(15), flaky, N_("%(count)s overdue notifications")))
    cli = app.test_cli_runner()

    failed = cli.invoke(args=["jobs", "run", "flaky"])
    assert failed.exit_code == 1 and "the disk is full" in failed.output
    [run] = _runs(db, "flaky")
    assert run.status == "failed" and "RuntimeError: the disk is full" in run.error and run.finished_at
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

    again = cli.invoke(args=["jobs", "run", "flaky"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    [run] = _runs(db, "flaky")
    assert (run.status, run.attempt, run.error) == ("ok", 2, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_an_unknown_job_is_refused_with_the_known_ones(app, db):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "notify-everyone"])
    assert result.exit_code == 2
    assert "notify-everyone" in result.output and "notify-overdue" in result.output and "send-email" in result.output
    assert _runs(db, "notify-everyone") == []


def test_a_date_runs_that_period_and_a_future_one_is_refused(app, db):
    cli = app.test_cli_runner()
    past = cli.invoke(args=["jobs", "run", "send-email", "--date", "2026-01-05T08:31"])
    assert past.exit_code == 0, past.output
    assert [run.period for run in _runs(db, "send-email")] == ["2026-01-05T00:31Z"]
    for value in ("2999-01-01", "tomorrow"):
        result = cli.invoke(args=["jobs", "run", "send-email", "--date", value])
        assert result.exit_code == 2 and value in result.output
    assert len(_runs(db, "send-email")) == 1


def test_send_email_uses_the_pending_sender_and_fails_on_a_wrong_setting(app, db, monkeypatch):
    assert runner.run(JOBS["send-email"], utcnow()).status == "ok"
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_TLS", "maybe")
    result = runner.run(JOBS["send-email"], utcnow() + timedelta(minutes=1))
    assert result.status == "failed" and "SMTP_TLS" in result.error


def test_a_daily_job_catches_up_the_days_it_missed_oldest_first(app, db, monkeypatch):
    seen = []
    monkeypatch.setitem(JOBS, "daily", Job("daily", Day(), lambda context: seen.append(context.period) or 0,
                                           N_("%(count)s overdue notifications"), catch_up=True))
    tz = runner.zone()
    now = utcnow()
    today = now.astimezone(tz).date()
    services.finish(services.claim("daily", (today - timedelta(days=3)).isoformat()), "ok")
    db.session.commit()
    lines = []

    runner.tick(app, "daily", lines.append)
    runner.tick(app, "daily", lines.append)

    assert seen == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert len(lines) == 4 and all(line.startswith("daily ") for line in lines)


def test_the_scheduler_has_every_job_on_its_clock_and_a_first_run_at_start(app):
    scheduler = runner.build_scheduler(app, print)
    names = sorted(job.id for job in scheduler.get_jobs())
    assert names == ["annual-reports", "annual-reports:start", "calendar", "calendar:start", "notify-overdue",
                     "notify-overdue:start", "report-contacts", "report-contacts:start", "report-deadlines",
                     "report-deadlines:start", "report-photos", "report-photos:start", "reports", "reports:start", "send-email", "send-email:start",
                     "send-webhooks", "send-webhooks:start"]
    assert str(scheduler.get_job("notify-overdue").trigger.fields[6]) == "*/15"  # minute
    assert str(scheduler.get_job("calendar").trigger.fields[5]) == "0"  # hour: 00:05 local


def test_old_runs_are_pruned_after_a_success(db):
    services.finish(services.claim("send-email", "2020-01-01T00:00Z"), "ok")
    db.session.commit()
    result = runner.run(JOBS["send-email"], utcnow())
    assert [run.period for run in _runs(db, "send-email")] == [result.period]


@pytest.fixture
def broken_calendar(app, monkeypatch):
    """broken_calendar(settings=..., rules=path) sets the district up wrongly until the test ends."""
    from municipal.calendar import settings as calendar_settings
    from municipal.calendar.engine import rules

    monkeypatch.setitem(app.config, "CALENDAR_SETTINGS", app.config.get("CALENDAR_SETTINGS", {}))

    def _break(settings=None, rules_file=None):
        app.extensions.pop("calendar_table", None)
        if settings is not None:
            app.config["CALENDAR_SETTINGS"] = settings
        if rules_file is not None:
            monkeypatch.setattr(calendar_settings, "load_table", lambda: rules.load_table(rules_file))

    yield _break
    app.extensions.pop("calendar_table", None)


@pytest.mark.parametrize("settings, named", [
    ({"seasons": {"flood": {"start": "04-31", "end": "10-15"}}}, "flood"),
    ({"rolling_patrol_days": "seven"}, "rolling_patrol_days"),
    ({"sla_hours": {"cover_restore": -6}}, "sla_hours.cover_restore"),
])
def test_the_scheduler_refuses_to_start_when_the_district_s_calendar_settings_are_wrong(app, broken_calendar,
                                                                                         settings, named):
    broken_calendar(settings=settings)
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output


def test_the_scheduler_refuses_to_start_when_the_rule_file_is_broken(app, broken_calendar, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [unclosed\n", encoding="utf-8")
    broken_calendar(rules_file=path)
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 2 and str(path) in result.output and "Traceback" not in result.output
