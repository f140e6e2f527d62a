"""The calendar making work: on time, once, catching up after downtime, following events and results."""
import multiprocessing
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from municipal.calendar import history as calendar_history
from municipal.calendar import lifecycle, materialise, plans, settings
from municipal.calendar.models import CalendarItem, CalendarState, FacilityHistory
from municipal.errors import ValidationError
from municipal.jobs import runner
from municipal.jobs.registry import JOBS
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def dam(make_asset):
    return make_asset("reservoir", "登云水库")


@pytest.fixture
def bridge(make_asset):
    """A highway bridge opened in 2000 with no inspection on record: a periodic one every 3 years, all owed."""
    return make_asset("bridge", "登云桥", geometry={"type": "Point", "coordinates": [119.31, 26.09]},
                      attributes={"regime": "JTG", "maint_level": "Ⅱ", "opening_date": "2000-03-01"})


def patrols(db, asset_id) -> Counter:
    """The routine patrols made into work (those further ahead are known, scheduled, without work yet)."""
    rows = db.session.execute(sa.select(CalendarItem.due_on, CalendarItem.status)
                              .where(CalendarItem.asset_id == asset_id, CalendarItem.kind == "routine_patrol",
                                     CalendarItem.status != "scheduled"))
    return Counter((due.isoformat(), status) for due, status in rows)


def test_flood_season_patrols_are_made_a_week_ahead_once(db, dam):
    materialise.materialise(at("2026-06-10"))
    db.session.commit()
    days = [(date(2026, 6, 10) + timedelta(days=n)).isoformat() for n in range(8)]
    assert patrols(db, dam.id) == Counter({(day, "planned"): 1 for day in days})
    orders = db.session.scalars(sa.select(WorkOrder).join(CalendarItem, CalendarItem.work_order_id == WorkOrder.id)
                                .where(CalendarItem.kind == "routine_patrol")).all()
    assert len(orders) == 8 and {o.source for o in orders} == {"calendar"} and {o.kind for o in orders} == {"inspection"}
    # The second run finds everything there and makes nothing.
    assert materialise.materialise(at("2026-06-10", 9))["work_orders"] == 0
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == len(
        db.session.scalars(sa.select(CalendarItem.id).where(CalendarItem.status != "scheduled")).all())


def _materialise_in_a_process(config: dict, moment: datetime, asset_ids, start) -> None:
    """A scheduler (or a web worker applying an event, with `asset_ids`) of its own: a fresh app and engine
    on the test database, run when the other process is ready."""
    from municipal import create_app
    from municipal.extensions import db as process_db

    app = create_app(config)
    with app.app_context():
        start.wait(timeout=60)
        materialise.materialise(moment, asset_ids=asset_ids)
        process_db.session.commit()


def _at_once_in_two_processes(app, *arguments) -> list[int]:
    """_materialise_in_a_process(config, *args) in two real processes at once, one per args; their exit codes."""
    context = multiprocessing.get_context("spawn")  # nothing of this process's connections is inherited
    start = context.Barrier(len(arguments))
    config = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MEDIA_DIR",
                                               "PUBLIC_URL", "CALENDAR_SETTINGS")}
    processes = [context.Process(target=_materialise_in_a_process, args=(config, *args, start)) for args in arguments]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    return [process.exitcode for process in processes]


def _each_work_order_once(db) -> None:
    db.session.expire_all()
    items = db.session.scalars(sa.select(CalendarItem)).all()
    made = [item for item in items if item.status != "scheduled"]
    assert len(items) == len({(item.asset_id, item.key) for item in items})
    assert made and all(item.work_order_id for item in made)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == len(made)
    assert len({item.work_order_id for item in made}) == len(made)


def test_two_schedulers_at_once_make_each_work_order_once(app, db, dam):
    assert _at_once_in_two_processes(app, (at("2026-06-10"), None), (at("2026-06-10"), None)) == [0, 0]
    _each_work_order_once(db)


def test_an_event_applied_during_the_daily_run_makes_each_work_order_once(app, db, users, dam, area):
    calendar_history.record_event(users["supervisor"], kind="rainstorm", start="2026-06-10", area=area.code,
                          rain_24h_mm="120")
    db.session.commit()
    assert _at_once_in_two_processes(app, (at("2026-06-10"), None), (at("2026-06-10"), [dam.id])) == [0, 0]
    _each_work_order_once(db)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarItem).where(
        CalendarItem.kind == "special_patrol", CalendarItem.status == "planned")) == 2


def test_the_daily_run_finds_the_facilities_to_read_without_not_in(db, dam, make_asset):
    """The daily run's facilities are those not known far enough ahead. Asked as NOT IN (SELECT …), PostgreSQL
    compares each facility with the whole list once that list outgrows work_mem: on a million facilities
    the run never ended, and held the audit trail's lock meanwhile (scripts/bench_mixed.py found it)."""
    statements = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    materialise.materialise(at("2026-06-10"))
    db.session.commit()
    later = make_asset("reservoir", "后建水库")
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        counts = materialise.materialise(at("2026-06-11"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    reading = [s for s in statements if "FROM asset" in s and "calendar_state" in s]
    assert reading and not any("NOT IN" in s.upper() for s in reading)
    # The known dam is not read again; the new one is.
    assert counts["facilities"] == 1 and db.session.get(CalendarState, later.id) is not None


def test_three_days_of_downtime_are_caught_up_and_the_passed_patrols_counted_missed(db, dam):
    job = JOBS["calendar"]
    runner.run(job, at("2026-06-10", 0))
    # The scheduler is down on the 11th, 12th and 13th; on the 14th it catches up day by day.
    moments = runner.due(job, at("2026-06-14", 1))
    assert [m.astimezone(SHANGHAI).date().isoformat() for m in moments] == [
        "2026-06-11", "2026-06-12", "2026-06-13", "2026-06-14"]
    for moment in moments:
        assert runner.run(job, moment).status == "ok"
    found = patrols(db, dam.id)
    assert all(count == 1 for count in found.values())
    assert {day for day, status in found if status == "missed"} == {"2026-06-10", "2026-06-11", "2026-06-12",
                                                                     "2026-06-13"}
    assert max(day for day, _status in found) == "2026-06-21"
    missed_orders = db.session.scalars(sa.select(WorkOrder).join(CalendarItem, CalendarItem.work_order_id == WorkOrder.id)
                                       .where(CalendarItem.status == "missed")).all()
    assert {o.status for o in missed_orders} == {"cancelled"}


def test_a_completed_patrol_enters_the_history_and_stays_done(db, users, dam):
    materialise.materialise(at("2026-06-10"))
    item = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.kind == "routine_patrol",
                                                           CalendarItem.due_on == date(2026, 6, 10)))
    order = item.work_order
    work.act(users["supervisor"], order.id, "assign", version=order.version, assignee_user_id=users["crew"].id)
    work.act(users["crew"], order.id, "start", version=order.version)
    work.act(users["crew"], order.id, "complete", version=order.version)
    db.session.commit()
    lifecycle.record_completions(at("2026-06-10", 20))
    lifecycle.mark_missed(at("2026-06-11", 1))
    db.session.commit()
    assert item.status == "done"
    history = db.session.scalars(sa.select(FacilityHistory).where(FacilityHistory.asset_id == dam.id)).all()
    assert [(h.kind, h.work_order_id) for h in history] == [("routine_patrol", order.id)]
    assert lifecycle.record_completions(at("2026-06-11", 2)) == 0


def test_a_rainstorm_in_the_town_makes_special_patrols_at_once_for_its_reservoirs(db, users, dam, make_asset, area):
    other = make_asset("reservoir", "日溪水库")
    event = calendar_history.record_event(users["supervisor"], kind="rainstorm", start="2026-06-12", end="2026-06-13",
                                  area=area.code, rain_24h_mm="132")
    counts = materialise.apply_event(event, at("2026-06-12", 7))
    db.session.commit()
    special = db.session.execute(sa.select(CalendarItem.asset_id, CalendarItem.due_on)
                                 .where(CalendarItem.kind == "special_patrol")).all()
    # The storm's days and the day after, at each reservoir of the town.
    expected = {(asset.id, date(2026, 6, d)) for asset in (dam, other) for d in (12, 13, 14)}
    assert set(special) == expected and counts["work_orders"] >= len(expected)


def test_an_event_is_checked_by_the_rules_and_named_field_by_field(users, area):
    with pytest.raises(ValidationError) as refused:
        calendar_history.record_event(users["supervisor"], kind="rainstorm", start="2026-02-29", area=area.code,
                              rain_24h_mm="-3")
    assert "rain_24h_mm" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        calendar_history.record_event(users["supervisor"], kind="meteor", start="2026-06-01", area=area.code)
    assert "kind" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        calendar_history.record_event(users["supervisor"], kind="felt_earthquake", start="2026-02-30", area=area.code)
    assert "start" in refused.value.fields


def test_a_third_class_appraisal_brings_its_tasks_with_their_deadlines(db, users, dam):
    calendar_history.record_history(users["supervisor"], dam.id, kind="periodic_safety_appraisal", done_on="2026-05-20",
                            result="三类")
    materialise.materialise(at("2026-06-10"))
    db.session.commit()
    kinds = set(db.session.scalars(sa.select(CalendarItem.kind).where(CalendarItem.asset_id == dam.id)))
    assert {"dam_break_loss_assessment", "emergency_dam_protection_measures"} & kinds
    view = materialise.facility_calendar(dam, date(2026, 6, 10), date(2027, 6, 10), date(2026, 6, 10))
    assert "risky" in view["flags"]


def test_a_supervisor_plan_makes_its_own_work(db, users, dam):
    plan = plans.create_plan(users["supervisor"], dam.id, title="放水设施启闭试验", every=1, unit="week",
                                weekdays="3", starts_on=date(2026, 6, 1))
    materialise.materialise(at("2026-06-10"))
    db.session.commit()
    items = db.session.scalars(sa.select(CalendarItem).where(CalendarItem.rule == f"PLAN-{plan.id}",
                                                             CalendarItem.status == "planned")).all()
    assert [i.due_on for i in items] == [date(2026, 6, 10), date(2026, 6, 17)]
    assert items[0].work_order.title == "放水设施启闭试验"
    assert items[0].work_order.description == "来自主管为该设施制定的计划。"
    plans.stop_plan(users["supervisor"], plan.id)
    materialise.materialise(at("2026-06-11"))
    db.session.commit()
    # The coming one is withdrawn; the past one stays for the missed-patrol count to judge.
    assert [i.status for i in items] == ["planned", "superseded"] and items[1].work_order.status == "cancelled"


def test_a_road_s_chiefs_from_the_registry_give_their_patrols(db, make_asset):
    road = make_asset("road_segment", "福新路", geometry={"type": "LineString",
                                                          "coordinates": [[119.31, 26.09], [119.32, 26.09]]},
                      persons=[{"role": "chief", "level": "township", "name": "林路长"}])
    counts = materialise.materialise(at("2026-06-10"), asset_ids=[road.id])
    db.session.commit()
    assert counts["skipped"] == 0
    assert "chief_patrol" in set(db.session.scalars(sa.select(CalendarItem.kind).where(CalendarItem.asset_id == road.id)))


def test_a_standing_obligation_never_met_owes_one_work_order_not_one_per_period(db, users, bridge):
    materialise.materialise(at("2026-06-10"), asset_ids=[bridge.id])
    db.session.commit()
    items = db.session.scalars(sa.select(CalendarItem).where(CalendarItem.asset_id == bridge.id,
                                                             CalendarItem.kind == "periodic_inspection",
                                                             CalendarItem.due_on < date(2026, 6, 10))
                               .order_by(CalendarItem.due_on)).all()
    # Opened 2000: first inspection 2001, then every 3 years; none ever done.
    assert [i.due_on.year for i in items] == [2001, 2004, 2007, 2010, 2013, 2016, 2019, 2022, 2025]
    assert [i.status for i in items] == ["missed"] * 8 + ["planned"]
    # Assigned as it is made: no rule, no patrol person, no team here, so to the area supervisor's queue.
    assert all(i.work_order_id is None for i in items[:-1]) and items[-1].work_order.status == "assigned"
    assert items[-1].work_order.assigned_by == "supervisor"

    # A year on, the 2025 one is still undone when the next period's day passes: it is missed in its turn,
    # its work cancelled, and the open one is the latest.
    materialise.materialise(at("2028-06-10"), asset_ids=[bridge.id])
    db.session.commit()
    db.session.expire_all()
    open_items = db.session.scalars(sa.select(CalendarItem).where(
        CalendarItem.asset_id == bridge.id, CalendarItem.kind == "periodic_inspection",
        CalendarItem.status.in_(("scheduled", "planned")), CalendarItem.due_on < date(2028, 6, 10))).all()
    assert [i.due_on.year for i in open_items] == [2028]
    # Its work was assigned (as all calendar work is): it carries over to the open period, still assigned.
    assert items[-1].status == "missed" and items[-1].work_order_id is None
    assert open_items[0].work_order.status == "assigned"


def test_a_bridge_s_inspection_is_recorded_and_moves_its_next_one(db, users, bridge):
    calendar_history.record_history(users["supervisor"], bridge.id, kind="periodic_inspection", done_on="2025-05-10")
    materialise.materialise(at("2026-06-10"), asset_ids=[bridge.id])
    db.session.commit()
    open_items = db.session.scalars(sa.select(CalendarItem.due_on).where(
        CalendarItem.asset_id == bridge.id, CalendarItem.kind == "periodic_inspection",
        CalendarItem.status.in_(("scheduled", "planned")))).all()
    # Without the record, the 2025-03-01 inspection would be open and overdue.
    assert all(due >= date(2028, 5, 10) for due in open_items)


def test_a_strong_earthquake_makes_its_special_appraisal_at_once_though_it_is_due_in_180_days(db, users, dam, area):
    event = calendar_history.record_event(users["supervisor"], kind="strong_earthquake", start="2026-06-12", area=area.code)
    materialise.apply_event(event, at("2026-06-12", 9))
    db.session.commit()
    item = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.asset_id == dam.id,
                                                           CalendarItem.kind == "special_safety_appraisal"))
    assert item.due_on == date(2026, 6, 12) + timedelta(days=180)
    assert item.status == "planned" and item.make_on == date(2026, 6, 12)
    assert item.work_order.status == "assigned" and item.work_order.source == "calendar"
    # The special patrols it sets off are made at once too, the day after included.
    patrol_days = set(db.session.scalars(sa.select(CalendarItem.due_on).where(
        CalendarItem.asset_id == dam.id, CalendarItem.kind == "special_patrol", CalendarItem.status == "planned")))
    assert patrol_days == {date(2026, 6, 12), date(2026, 6, 13)}


def test_an_appraisal_overdue_since_years_is_escalated_to_the_area_s_supervisors_once(db, users, dam, bridge,
                                                                                       area):
    from municipal.assets.models import Area
    from municipal.auth.services import create_user, set_user_areas
    from municipal.notify.models import Notification

    # The town's own supervisor, and one of another town who is not told.
    elsewhere = Area(code="yuefeng", name="岳峰镇", name_en="Yuefeng Town", level="town", parent=area.parent)
    db.session.add(elsewhere)
    db.session.flush()
    elsewhere.path = f"{area.parent.path}{elsewhere.id}/"
    town_supervisor = create_user("gushan-sup", "correct horse battery", "supervisor")
    other_supervisor = create_user("yuefeng-sup", "correct horse battery", "supervisor")
    set_user_areas(users["admin"], town_supervisor, [area.code])
    set_user_areas(users["admin"], other_supervisor, [elsewhere.code])
    calendar_history.record_history(users["supervisor"], dam.id, kind="periodic_safety_appraisal", done_on="2013-05-20",
                            result="一类")
    db.session.commit()
    assert runner.run(JOBS["calendar"], at("2026-06-10", 0)).status == "ok"
    item = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.asset_id == dam.id,
                                                           CalendarItem.kind == "periodic_safety_appraisal",
                                                           CalendarItem.status == "planned"))
    # Appraised 2013: due within 10 years, by 2023-05-20; overdue since.
    assert item.due_on == date(2023, 5, 20) and item.escalated_at is not None
    assert item.work_order.priority == "urgent"
    # The year's three-persons review, standing and overdue on this risky dam, is escalated too (§4.1.4).
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "escalation", Notification.dedupe_key == f"escalate:item:{item.id}")).all()
    # The town's supervisor, and the supervisor and admin who look after the whole district; not the
    # supervisor of another town, nor the crew.
    assert sorted(n.user.username for n in notices) == ["admin", "gushan-sup", "supervisor"]
    assert notices[0].params["facility"] == "登云水库" and notices[0].link == f"/work/{item.work_order_id}"
    # The bridge's overdue inspection is owed too, but it is not high-risk and the bridge is not flagged risky.
    bridge_item = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.asset_id == bridge.id,
                                                                  CalendarItem.status == "planned",
                                                                  CalendarItem.due_on < date(2026, 6, 10)))
    assert bridge_item.escalated_at is None and bridge_item.work_order.priority != "urgent"

    assert runner.run(JOBS["calendar"], at("2026-06-11", 0)).status == "ok"
    assert lifecycle.escalate_overdue(at("2026-06-12")) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.kind == "escalation")) == 6


def test_on_a_facility_flagged_risky_every_overdue_standing_item_is_escalated(db, users, dam):
    from municipal.calendar.models import CalendarState

    materialise.materialise(at("2026-06-10"))
    # A standing obligation of a rule not itself high-risk, overdue: not escalated while the dam is not risky.
    row = CalendarItem(asset_id=dam.id, key="RES-REG-CHANGE/test", rule="RES-REG-CHANGE", kind="registration_change",
                       due_on=date(2026, 5, 1), due_at=at("2026-05-01", 17), make_on=date(2026, 5, 1), standing=True)
    db.session.add(row)
    db.session.flush()
    materialise.materialise(at("2026-06-10"), asset_ids=[dam.id])
    assert "RES-REG-CHANGE" not in settings.table().high_risk_rules
    assert lifecycle.escalate_overdue(at("2026-06-10")) == 0
    # A 三类 result flags the dam risky when its calendar is read again.
    calendar_history.record_history(users["supervisor"], dam.id, kind="periodic_safety_appraisal", done_on="2026-06-01",
                            result="三类")
    materialise.materialise(at("2026-06-10"), asset_ids=[dam.id])
    assert db.session.get(CalendarState, dam.id).risky is True
    assert lifecycle.escalate_overdue(at("2026-06-10")) >= 2
    db.session.refresh(row)
    assert row.escalated_at is not None and row.work_order.priority == "urgent"


def test_forty_days_of_downtime_are_caught_up_every_day_made_or_marked(db, dam):
    job = JOBS["calendar"]
    runner.run(job, at("2026-06-10", 0))
    moments = runner.due(job, at("2026-07-20", 1))
    days = [m.astimezone(SHANGHAI).date() for m in moments]
    # Every day from the 11th of June to the 19th of July, then today: none dropped, however long the outage.
    assert days == [date(2026, 6, 11) + timedelta(days=n) for n in range(40)]
    for moment in moments:
        assert runner.run(job, moment).status == "ok"
    found = patrols(db, dam.id)
    assert all(count == 1 for count in found.values())
    missed = sorted(day for day, status in found if status == "missed")
    # Flood season: a patrol a day, each of the outage's days counted missed, none silently skipped.
    assert missed == [(date(2026, 6, 10) + timedelta(days=n)).isoformat() for n in range(40)]
    assert {day for day, status in found if status == "planned"} == {
        (date(2026, 7, 20) + timedelta(days=n)).isoformat() for n in range(8)}


def test_two_overlapping_rainstorms_make_one_special_patrol_work_order_a_day(db, users, dam, area):
    first = calendar_history.record_event(users["supervisor"], kind="rainstorm", start="2026-11-19", end="2026-11-21",
                                  area=area.code, rain_24h_mm="80")
    materialise.apply_event(first, at("2026-11-19", 7))
    second = calendar_history.record_event(users["supervisor"], kind="rainstorm", start="2026-11-20", end="2026-11-22",
                                   asset_id=dam.id, rain_24h_mm="120")
    materialise.apply_event(second, at("2026-11-20", 7))
    db.session.commit()
    made = db.session.execute(sa.select(CalendarItem.due_on, CalendarItem.status, WorkOrder.id)
                              .join(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
                              .where(CalendarItem.kind == "special_patrol")).all()
    assert {status for _due, status, _order in made} == {"planned"}
    assert Counter(due for due, _status, _order in made) == Counter(
        {date(2026, 11, d): 1 for d in (19, 20, 21, 22, 23)})


def test_work_assigned_for_an_overtaken_period_carries_over_to_the_open_one(db, users, bridge):
    materialise.materialise(at("2026-06-10"), asset_ids=[bridge.id])
    db.session.commit()
    item_2025 = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.asset_id == bridge.id,
                                                               CalendarItem.kind == "periodic_inspection",
                                                               CalendarItem.status == "planned"))
    order = item_2025.work_order
    work.act(users["supervisor"], order.id, "assign", version=order.version, assignee_user_id=users["crew"].id)
    db.session.commit()
    # The 2028 period falls due before the crew gets there: the crew keeps the work, now for 2028.
    materialise.materialise(at("2028-06-10"), asset_ids=[bridge.id])
    db.session.commit()
    db.session.expire_all()
    open_items = db.session.scalars(sa.select(CalendarItem).where(
        CalendarItem.asset_id == bridge.id, CalendarItem.kind == "periodic_inspection",
        CalendarItem.status.in_(("scheduled", "planned")), CalendarItem.due_on < date(2028, 6, 10))).all()
    assert [(i.due_on.year, i.work_order_id) for i in open_items] == [(2028, order.id)]
    assert item_2025.status == "missed" and item_2025.work_order_id is None
    assert order.status == "assigned" and order.assignee_user_id == users["crew"].id


def test_the_three_persons_review_stands_until_the_year_ends_then_is_missed(db, users, dam):
    assert runner.run(JOBS["calendar"], at("2026-06-10", 0)).status == "ok"
    review = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.asset_id == dam.id,
                                                             CalendarItem.kind == "three_persons_review"))
    # Due on the pre-flood day and not done: overdue, standing, still owed in December (§4.1.4).
    assert review.due_on == date(2026, 3, 31) and review.standing and review.status == "planned"
    lifecycle.mark_missed(at("2026-12-31"))
    db.session.refresh(review)
    assert review.status == "planned"
    lifecycle.mark_missed(at("2027-01-01"))
    db.session.refresh(review)
    assert review.status == "missed" and review.work_order.status == "cancelled"
