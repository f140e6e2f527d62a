"""A hand-counted year (2025) of one reservoir, 登云水库, for the report tests; and 青山水库, in service
from 1 July 2025, to show a facility counted only from its start.

登云水库's calendar items in 2025, and what the compliance rules make of them (counted after the year):
  routine_patrol    01-05 done 01-05 on time · 01-12 done 01-14 late · 02-02 missed · 03-02 done 03-02 on time
                    04-06 planned, never done: overdue · 05-04 superseded (not counted)
  annual_pre_flood  03-31 done 03-30 on time
  special_patrol    06-10 done 06-10 on time, after the 06-09 rainstorm over 鼓山镇
  totals: 7 due · 4 on time · 1 late · 1 missed · 1 overdue · completion 5/7 = 71.4 %
Findings (隐患) from the patrols:
  03-02 high      坝顶 crest_sound       rectified: WO verified, closed 03-20; its photo is in storage
  06-10 critical  迎水坡 upstream_revetment  open: rectification WO due 07-01, not done; its photo is missing
  01-12 low       坝顶 crest_sound       open, no work order
Maintenance and repair work created in 2025: the two rectifications (one done after 18 days = 432 h)
and a repair created 05-01 08:00, completed 05-03 08:00 (48 h): 3 orders, 2 completed, mean 240 h.
青山水库: one patrol 2025-06-01 (before its start, not counted) and one 2025-08-03 done on time.
The inspection records: the three patrols with findings (the crew's notes in NOTES), and the 01-05 routine
patrol, which found nothing, all by the crew member 王巡查.
"""
import uuid
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from municipal.assets import services as asset_services
from municipal.assets.models import Area, Asset
from municipal.auth.models import User
from municipal.auth.services import create_user
from municipal.calendar.models import CalendarEvent, CalendarItem, FacilityHistory
from municipal.inspections.models import Finding, Inspection, InspectionPhoto
from municipal.workorders.checklists import sync_templates, template_for
from municipal.workorders.services import create_work_order
from tests.conftest import from_snapshot, make_district

YEAR = 2025
PASSWORD = "correct horse battery"
ITEMS = (
    ("routine_patrol", date(2025, 1, 5), "done", date(2025, 1, 5)),
    ("routine_patrol", date(2025, 1, 12), "done", date(2025, 1, 14)),
    ("routine_patrol", date(2025, 2, 2), "missed", date(2025, 2, 3)),
    ("routine_patrol", date(2025, 3, 2), "done", date(2025, 3, 2)),
    ("routine_patrol", date(2025, 4, 6), "planned", None),
    ("routine_patrol", date(2025, 5, 4), "superseded", None),
    ("annual_pre_flood", date(2025, 3, 31), "done", date(2025, 3, 30)),
    ("special_patrol", date(2025, 6, 10), "done", date(2025, 6, 10)),
)
RULES = {"routine_patrol": "RES-PATROL-ROUTINE", "annual_pre_flood": "RES-INSPECT-ANNUAL",
         "special_patrol": "RES-PATROL-SPECIAL"}
EXPECTED = {"total": 7, "on_time": 4, "late": 1, "missed": 1, "overdue": 1, "not_yet_due": 0}
# What the crew wrote on the patrols with findings: the inspection's notes, or the checklist's remarks item.
NOTES = {date(2025, 3, 2): ("notes", "坝顶距左坝端约30米处有一条长约2米的纵向裂缝，已设警示桩"),
         date(2025, 6, 10): ("remarks", "暴雨后迎水坡中部护坡块石松动滑落约3平方米")}


def moment(day: date, hour: int = 8) -> datetime:
    """A local (Asia/Shanghai) time of day as UTC."""
    return datetime.combine(day, time(hour), timezone(timedelta(hours=8))).astimezone(timezone.utc)


def jpeg(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (96, 72), (180, 60, 40)).save(path, "JPEG")


def make_users(db) -> dict:
    users = {role: create_user(role, PASSWORD, role) for role in ("admin", "supervisor", "crew", "viewer")}
    db.session.commit()
    return users


def make_areas(db) -> dict:
    return make_district(db, [("gushan", "鼓山镇", "Gushan Town"), ("yuefeng", "岳峰镇", "Yuefeng Town")])


def _order(users, asset, kind: str, title: str, created: datetime, status: str, completed: datetime | None = None,
           due: datetime | None = None):
    order = create_work_order(users["supervisor"], asset_id=asset.id, kind=kind, title=title)
    order.created_at, order.status, order.due_at = created, status, due or created + timedelta(days=7)
    order.completed_at = completed
    order.closed_at = completed if status == "verified" else None
    return order


def seed(db, media_dir: str) -> dict:
    """The year above; returns the users, areas and facilities. Made once per test worker, then copied back."""
    made = from_snapshot(db, "report year", lambda: _seed(db, media_dir))
    for photo in made["photos"]:
        if not (Path(media_dir) / photo).exists():
            jpeg(Path(media_dir) / photo)
    return {"users": {user.username: user for user in db.session.scalars(sa.select(User))},
            "towns": {area.code: area for area in db.session.scalars(sa.select(Area).where(Area.level == "town"))},
            "reservoir": db.session.get(Asset, made["reservoir"]), "later": db.session.get(Asset, made["later"])}


def _seed(db, media_dir: str) -> dict:
    """The year above, made; returns the facilities' ids and the photos kept in storage."""
    photos = []
    users = make_users(db)
    users["crew"].display_name = "王巡查"
    towns = make_areas(db)
    sync_templates()
    reservoir = asset_services.create_asset(users["supervisor"], {
        "type": "reservoir", "name": "登云水库", "area": "gushan", "owner_unit": "鼓山镇人民政府",
        "maintenance_unit": "鼓山水利站", "in_service_on": "1978-05-01",
        "attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
        "geometry": {"type": "Point", "coordinates": [119.35, 26.15]},
        "persons": [{"role": "administrative", "name": "林建国", "position": "鼓山镇副镇长"},
                    {"role": "technical", "name": "陈工", "position": "水利站工程师"},
                    {"role": "patrol", "name": "王巡查", "position": "巡查员"}]})
    later = asset_services.create_asset(users["supervisor"], {
        "type": "reservoir", "name": "青山水库", "area": "yuefeng", "in_service_on": "2025-07-01",
        "attributes": {"capacity_m3": 200_000, "dam_height_m": 9, "dam_type": "土石坝"},
        "geometry": {"type": "Point", "coordinates": [119.4, 26.2]}})
    db.session.commit()
    db.session.add(FacilityHistory(asset_id=reservoir.id, kind="periodic_safety_appraisal",
                                   done_on=date(2021, 9, 1), result="二类"))
    db.session.add(CalendarEvent(kind="rainstorm", area_id=towns["gushan"].id, start_on=date(2025, 6, 9),
                                 end_on=date(2025, 6, 9), measurements={"rain_24h_mm": 86.0}, note="台风外围暴雨"))
    for number, (kind, due, status, closed_on) in enumerate(ITEMS):
        db.session.add(CalendarItem(asset_id=reservoir.id, key=f"TEST/{kind}/{number}", rule=RULES[kind], kind=kind,
                                    due_on=due, due_at=moment(due), status=status, closed_on=closed_on,
                                    why="test"))
    for number, (due, status, closed_on) in enumerate(((date(2025, 6, 1), "done", date(2025, 6, 1)),
                                                       (date(2025, 8, 3), "done", date(2025, 8, 3)))):
        db.session.add(CalendarItem(asset_id=later.id, key=f"TEST/later/{number}", rule="RES-PATROL-ROUTINE",
                                    kind="routine_patrol", due_on=due, due_at=moment(due), status=status,
                                    closed_on=closed_on, why="test"))
    template = template_for("reservoir", "inspection")
    findings = (
        (date(2025, 3, 2), "crest_sound", "high", "verified", moment(date(2025, 3, 20), 10), True),
        (date(2025, 6, 10), "upstream_revetment", "critical", "in_progress", None, False),
        (date(2025, 1, 12), "crest_sound", "low", None, None, None),
    )
    for day, item_key, severity, follow_status, completed, photo_kept in findings:
        patrol = _order(users, reservoir, "inspection", f"巡查 {day}", moment(day, 7), "verified", moment(day, 9))
        db.session.flush()
        where, note = NOTES.get(day, ("notes", ""))
        inspection = Inspection(idempotency_key=str(uuid.uuid4()), work_order_id=patrol.id, asset_id=reservoir.id,
                                template_id=template.id, inspector_id=users["crew"].id, submitted_at=moment(day, 9),
                                answers={"remarks": note} if where == "remarks" else {},
                                notes=note if where == "notes" else "")
        db.session.add(inspection)
        db.session.flush()
        follow_up = None
        if follow_status:
            follow_up = _order(users, reservoir, "rectification", f"整改 {item_key}", moment(day, 10), follow_status,
                               completed, due=moment(date(2025, 7, 1), 18) if follow_status != "verified" else None)
            db.session.flush()
        if photo_kept is not None:
            thumb = f"inspections/{uuid.uuid4().hex}.thumb.jpg"
            if photo_kept:
                jpeg(Path(media_dir) / thumb)
                photos.append(thumb)
            db.session.add(InspectionPhoto(inspection_id=inspection.id, item_key=item_key, path=thumb,
                                           thumb_path=thumb, width=96, height=72))
        db.session.add(Finding(inspection_id=inspection.id, asset_id=reservoir.id, item_key=item_key,
                               severity=severity, value="", reason="fail", found_at=moment(day, 9),
                               follow_up_id=follow_up.id if follow_up else None))
    _order(users, reservoir, "repair", "修复溢洪道护栏", moment(date(2025, 5, 1)), "completed",
           moment(date(2025, 5, 3)))
    quiet = _order(users, reservoir, "inspection", "巡查 2025-01-05", moment(date(2025, 1, 5), 7), "verified",
                   moment(date(2025, 1, 5), 9))
    db.session.flush()
    db.session.add(Inspection(idempotency_key=str(uuid.uuid4()), work_order_id=quiet.id, asset_id=reservoir.id,
                              template_id=template.id, inspector_id=users["crew"].id,
                              submitted_at=moment(date(2025, 1, 5), 9), answers={}))
    first_patrol = db.session.scalars(sa.select(CalendarItem).where(CalendarItem.key == "TEST/routine_patrol/0")).one()
    first_patrol.work_order_id = quiet.id
    db.session.commit()
    return {"reservoir": reservoir.id, "later": later.id, "photos": photos}
