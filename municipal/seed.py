"""The demo district: Jin'an's towns and streets, some 570 facilities with bound codes, demo users.

Everything comes from one seeded random, so two runs build the same district; only the
identity codes differ, because codes are random by design. Areas, users and facilities are
looked up by their natural keys (area code, user name, facility type and name) and only the
missing ones are created, so a second run changes nothing.
"""
import math
import os
import random
import time
from datetime import date, timedelta
from collections import Counter

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import clock
from .extensions import db

SEED = 20261126
DEFAULT_PASSWORD = "municipal-demo"

DISTRICT = ("350111", "晋安区", "Jin'an District")
# (code, name, English name, centre (lon, lat), villages and communities as (code suffix, name, English name)).
# Codes follow the pattern of the statistical division codes; they are plausible, not official.
TOWNS = (
    ("350111001", "茶园街道", "Chayuan Subdistrict", (119.312, 26.088), (
        ("001", "茶园社区", "Chayuan Community"), ("002", "福马社区", "Fuma Community"),
        ("003", "前横社区", "Qianheng Community"))),
    ("350111002", "王庄街道", "Wangzhuang Subdistrict", (119.322, 26.078), (
        ("001", "王庄社区", "Wangzhuang Community"), ("002", "福光社区", "Fuguang Community"),
        ("003", "长乐社区", "Changle Community"))),
    ("350111003", "象园街道", "Xiangyuan Subdistrict", (119.330, 26.060), (
        ("001", "象园社区", "Xiangyuan Community"), ("002", "六一社区", "Liuyi Community"))),
    ("350111100", "岳峰镇", "Yuefeng Town", (119.345, 26.085), (
        ("001", "竹屿社区", "Zhuyu Community"), ("201", "鹤林村", "Helin Village"),
        ("202", "坂中村", "Banzhong Village"))),
    ("350111101", "鼓山镇", "Gushan Town", (119.378, 26.072), (
        ("201", "洋里村", "Yangli Village"), ("202", "园中村", "Yuanzhong Village"),
        ("203", "樟林村", "Zhanglin Village"))),
    ("350111102", "新店镇", "Xindian Town", (119.302, 26.135), (
        ("201", "赤桥村", "Chiqiao Village"), ("202", "战坂村", "Zhanban Village"),
        ("203", "桂湖村", "Guihu Village"), ("204", "斗顶村", "Douding Village"))),
    ("350111103", "宦溪镇", "Huanxi Town", (119.428, 26.160), (
        ("201", "宦溪村", "Huanxi Village"), ("202", "降虎村", "Jianghu Village"),
        ("203", "板桥村", "Banqiao Village"), ("204", "鼓岭村", "Guling Village"))),
    ("350111200", "寿山乡", "Shoushan Township", (119.262, 26.248), (
        ("201", "寿山村", "Shoushan Village"), ("202", "九峰村", "Jiufeng Village"),
        ("203", "石牌村", "Shipai Village"))),
    ("350111201", "日溪乡", "Rixi Township", (119.412, 26.312), (
        ("201", "日溪村", "Rixi Village"), ("202", "党洋村", "Dangyang Village"),
        ("203", "汶洋村", "Wenyang Village"))),
)

# name, village, capacity m³, dam height m, dam type, first impoundment, completion acceptance,
# flood limit level m, status, internal notes.
RESERVOIRS = (
    ("登云水库", "赤桥村", 12_450_000, 45.6, "土坝", "1959-05-20", "1960-12-28", 91.5, "in_service",
     "中型水库，区水利局直管；2006年除险加固。下游为新店镇区和二环路，泄洪须提前通知镇防汛办。"),
    ("斗顶水库", "斗顶村", 1_930_000, 28.0, "土坝", "1972-04-10", "1973-11-20", 142.0, "in_service", ""),
    ("桂湖水库", "桂湖村", 460_000, 16.5, "土坝", "1966-03-01", "1966-12-15", 118.3, "in_service", ""),
    ("降虎水库", "降虎村", 2_640_000, 33.5, "浆砌石坝", "1977-05-01", "1978-10-30", 612.0, "in_service",
     "左坝肩2019年发现轻微渗水，量水堰读数汛期每日报送。"),
    ("板桥水库", "板桥村", 380_000, 14.2, "土坝", "1964-04-01", "1965-01-20", 540.5, "in_service", ""),
    ("鼓岭水库", "鼓岭村", 215_000, 12.8, "土坝", "1958-11-01", "1959-03-30", 760.2, "in_service", ""),
    ("寿山水库", "寿山村", 3_120_000, 38.0, "混凝土坝", "2009-05-15", "2011-12-20", 520.0, "in_service", ""),
    ("九峰水库", "九峰村", 540_000, 19.5, "土坝", "1969-03-10", "1970-06-30", 480.6, "in_service", ""),
    ("石牌水库", "石牌村", 165_000, 11.6, "土坝", "1975-02-15", "1976-01-10", 455.0, "in_service",
     "坝后坡白蚁危害，2024年4月灭治，次年同期复查。"),
    ("党洋水库", "党洋村", 1_460_000, 29.0, "浆砌石坝", "1980-04-20", "1981-12-05", 398.5, "in_service", ""),
    ("汶洋水库", "汶洋村", 620_000, 21.0, "土坝", "1973-03-01", "1974-05-18", 376.0, "in_service", ""),
    ("日溪水库", "日溪村", 290_000, 15.5, "土坝", "1968-04-01", "1969-02-25", 352.4, "under_repair",
     "除险加固施工中，空库运行；施工期间巡查按病险库标准。"),
    ("鹤林水库", "鹤林村", 180_000, 12.0, "土坝", "1962-03-01", "1963-01-15", 46.8, "in_service", ""),
    ("洋里水库", "洋里村", 255_000, 13.5, "土坝", "1960-02-20", "1961-04-08", 58.2, "in_service", ""),
    ("樟林水库", "樟林村", 1_120_000, 24.5, "土坝", "2013-04-01", "2015-01-20", 72.0, "in_service",
     "2012—2013年除险加固，初次蓄水运行日期按恢复正常蓄水计。"),
)

# River and road courses: name, then stretches of (town, end of the stretch, segments in it).
# Each stretch begins where the previous one ended.
RIVERS = (
    ("晋安河", (119.312, 26.125), (("新店镇", (119.314, 26.100), 1), ("茶园街道", (119.318, 26.084), 2),
                                   ("王庄街道", (119.322, 26.066), 2), ("象园街道", (119.325, 26.052), 1))),
    ("光明港", (119.318, 26.050), (("象园街道", (119.335, 26.049), 1), ("岳峰镇", (119.352, 26.047), 1),
                                   ("鼓山镇", (119.395, 26.040), 2))),
    ("凤坂河", (119.338, 26.086), (("岳峰镇", (119.347, 26.063), 2), ("鼓山镇", (119.356, 26.052), 1))),
    ("磨溪", (119.386, 26.096), (("鼓山镇", (119.372, 26.052), 3),)),
    ("北峰溪", (119.240, 26.278), (("寿山乡", (119.272, 26.236), 2), ("新店镇", (119.292, 26.200), 1))),
    ("日溪", (119.385, 26.345), (("日溪乡", (119.446, 26.288), 4),)),
    ("宦溪", (119.408, 26.198), (("宦溪镇", (119.456, 26.138), 3),)),
)
# name, road class, rural (has village-level chiefs), course as for rivers.
ROADS = (
    ("福新路", "主干路", False, (119.305, 26.078), (("王庄街道", (119.326, 26.079), 1),
                                                   ("岳峰镇", (119.346, 26.080), 1), ("鼓山镇", (119.365, 26.078), 1))),
    ("鼓山大道", "次干路", False, (119.365, 26.071), (("鼓山镇", (119.400, 26.058), 2),)),
    # Provincial roads have no class of their own in the type; inside the district they run as trunk roads.
    ("205省道", "主干路", True, (119.300, 26.130), (("新店镇", (119.282, 26.185), 1), ("寿山乡", (119.258, 26.260), 2))),
    ("宦溪公路", "县道", True, (119.385, 26.085), (("鼓山镇", (119.405, 26.120), 1), ("宦溪镇", (119.430, 26.176), 2))),
    ("日溪公路", "县道", True, (119.430, 26.176), (("宦溪镇", (119.420, 26.240), 1), ("日溪乡", (119.405, 26.320), 2))),
    ("连江北路", "主干路", False, (119.315, 26.070), (("茶园街道", (119.313, 26.095), 1), ("新店镇", (119.308, 26.120), 1))),
    ("秀峰路", "次干路", False, (119.300, 26.101), (("茶园街道", (119.318, 26.102), 1), ("岳峰镇", (119.335, 26.100), 1))),
    ("寿山乡道", "乡道", True, (119.262, 26.248), (("寿山乡", (119.232, 26.290), 2),)),
)
VILLAGE_ROADS = ("降虎村", "九峰村", "党洋村", "赤桥村")

# Pipe runs along urban streets: street, town, start, end, sewer kind (None for water), diameter, material.
# A run of n segments has n + 1 manholes (valve wells for water), one at each joint.
SEWER_RUNS = (
    ("福新路", "王庄街道", (119.308, 26.0785), (119.330, 26.0792), "污水", 600, "钢筋混凝土"),
    ("福新路", "王庄街道", (119.308, 26.0780), (119.330, 26.0787), "雨水", 1000, "钢筋混凝土"),
    ("连江北路", "茶园街道", (119.3150, 26.072), (119.3135, 26.094), "污水", 500, "HDPE"),
    ("秀峰路", "茶园街道", (119.301, 26.1012), (119.318, 26.1020), "雨水", 800, "钢筋混凝土"),
    ("竹屿路", "岳峰镇", (119.338, 26.090), (119.356, 26.088), "污水", 400, "HDPE"),
    ("鼓山大道", "鼓山镇", (119.366, 26.0705), (119.388, 26.0650), "合流", 800, "钢筋混凝土"),
    ("六一北路", "象园街道", (119.328, 26.068), (119.329, 26.050), "污水", 500, "钢筋混凝土"),
    ("塔头路", "王庄街道", (119.318, 26.072), (119.336, 26.071), "雨水", 600, "钢筋混凝土"),
    ("战坂路", "新店镇", (119.296, 26.128), (119.312, 26.140), "污水", 400, "PVC"),
    ("园中路", "鼓山镇", (119.372, 26.080), (119.388, 26.086), "雨水", 600, "钢筋混凝土"),
)
WATER_RUNS = (
    ("福新路", "王庄街道", (119.308, 26.0775), (119.330, 26.0782), None, 800, "球墨铸铁"),
    ("连江北路", "茶园街道", (119.3155, 26.072), (119.3140, 26.094), None, 1000, "钢"),
    ("秀峰路", "茶园街道", (119.301, 26.1007), (119.318, 26.1015), None, 600, "球墨铸铁"),
    ("鼓山大道", "鼓山镇", (119.366, 26.0710), (119.388, 26.0655), None, 500, "球墨铸铁"),
    ("竹屿路", "岳峰镇", (119.338, 26.0905), (119.356, 26.0885), None, 400, "球墨铸铁"),
    ("六一北路", "象园街道", (119.3285, 26.068), (119.3295, 26.050), None, 300, "球墨铸铁"),
    ("205省道", "新店镇", (119.300, 26.131), (119.288, 26.170), None, 300, "PE"),
    ("宦溪公路", "宦溪镇", (119.412, 26.138), (119.428, 26.160), None, 200, "PE"),
)
RUN_SEGMENTS = {"sewer_segment": 6, "water_pipe": 5}
STANDALONE_MANHOLES = 200

# Urban bridges stand on a river segment (river, segment index); rural ones near a village.
URBAN_BRIDGES = (
    ("晋安河茶园桥", "晋安河", 1, "Ⅲ"), ("晋安河福新桥", "晋安河", 2, "Ⅱ"), ("晋安河塔头桥", "晋安河", 3, "Ⅲ"),
    ("晋安河王庄桥", "晋安河", 4, "Ⅳ"), ("晋安河象园桥", "晋安河", 5, "Ⅲ"), ("光明港象园桥", "光明港", 0, "Ⅱ"),
    ("光明港岳峰桥", "光明港", 1, "Ⅲ"), ("光明港远洋桥", "光明港", 2, "Ⅳ"), ("凤坂一桥", "凤坂河", 0, "Ⅳ"),
    ("凤坂二桥", "凤坂河", 1, "Ⅴ"), ("磨溪洋里桥", "磨溪", 1, "Ⅴ"), ("磨溪樟林桥", "磨溪", 2, "Ⅳ"),
)
RURAL_BRIDGES = (
    ("赤桥", "赤桥村", "Ⅲ"), ("战坂桥", "战坂村", "Ⅲ"), ("桂湖桥", "桂湖村", "Ⅲ"), ("宦溪桥", "宦溪村", "Ⅱ"),
    ("降虎桥", "降虎村", "Ⅲ"), ("板桥", "板桥村", "Ⅲ"), ("日溪大桥", "日溪村", "Ⅱ"), ("党洋桥", "党洋村", "Ⅲ"),
    ("汶洋桥", "汶洋村", "Ⅲ"), ("寿山桥", "寿山村", "Ⅱ"), ("九峰桥", "九峰村", "Ⅲ"), ("石牌桥", "石牌村", "Ⅲ"),
    ("北峰溪桥", "石牌村", "Ⅲ"),
)
PUMP_STATIONS = (
    ("光明港排涝站", "象园社区", 36_000, 6), ("凤坂河排涝站", "竹屿社区", 18_000, 4),
    ("磨溪排涝站", "洋里村", 14_400, 3), ("王庄排涝站", "王庄社区", 21_600, 4),
    ("茶园排涝站", "福马社区", 10_800, 3), ("象园排涝站", "六一社区", 25_200, 5),
    ("樟林排涝站", "樟林村", 7_200, 2), ("鹤林排涝站", "鹤林村", 9_000, 2),
    ("战坂提水泵站", "战坂村", 1_800, 2), ("宦溪提水泵站", "宦溪村", 900, 2),
)
WATER_STATIONS = (
    ("登云水厂", "赤桥村", 100_000), ("新店加压站", "战坂村", 30_000), ("鼓山加压站", "园中村", 20_000),
    ("岳峰加压站", "坂中村", 15_000), ("宦溪镇供水站", "宦溪村", 3_000), ("鼓岭供水站", "鼓岭村", 800),
    ("寿山乡供水站", "寿山村", 1_500), ("日溪乡供水站", "日溪村", 1_200),
)
PUBLIC_TOILETS = 30
# name, village, year built, floors, structure, safety grade.
OLD_BUILDINGS = (
    ("降虎村林氏石厝", "降虎村", 1908, 2, "石结构", "B"), ("降虎村陈氏石厝", "降虎村", 1925, 1, "石结构", "C"),
    ("板桥村郑宅古民居", "板桥村", 1890, 2, "木结构", "B"), ("宦溪村石厝群一号", "宦溪村", 1932, 2, "石结构", "A"),
    ("宦溪村石厝群二号", "宦溪村", 1935, 1, "石结构", "B"), ("鼓岭万国公益社", "鼓岭村", 1914, 2, "石结构", "A"),
    ("鼓岭柏林医生别墅", "鼓岭村", 1886, 1, "石结构", "B"), ("寿山村黄氏古厝", "寿山村", 1898, 2, "木结构", "C"),
    ("九峰村古民居", "九峰村", 1910, 2, "砖木", "B"), ("日溪村石厝", "日溪村", 1940, 1, "石结构", "B"),
    ("党洋村陈氏古厝", "党洋村", 1902, 2, "木结构", "D"), ("汶洋村木构古民居", "汶洋村", 1920, 2, "木结构", "C"),
    ("洋里村老厝", "洋里村", 1938, 2, "砖木", "B"), ("樟林村古民居", "樟林村", 1895, 2, "砖木", "B"),
    ("赤桥村老戏台", "赤桥村", 1928, 1, "木结构", "C"), ("战坂村林氏祠堂", "战坂村", 1911, 1, "砖木", "A"),
)

SURNAMES = "林陈黄郑王张李刘吴杨何高潘游翁卓江魏"
GIVEN_NAMES = ("建华", "志强", "秀英", "丽萍", "明辉", "国平", "文斌", "少雄", "振东", "晓燕", "春生", "德贵",
               "金水", "玉兰", "福生", "美珠", "家榕", "榕生", "海峰", "丽娟", "宗明", "光荣", "淑贞", "永康")
DEMO_USERS = (
    ("admin", "admin", "系统管理员"),
    ("supervisor", "supervisor", "鼓山镇水利站 王主任"),
    ("crew", "crew", "巡查员 陈师傅"),
    ("viewer", "viewer", "晋安区水利局 林科员"),
)


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo district (safe to run again)."""
    from .assets import services
    from .errors import DomainError

    started = time.perf_counter()
    password = os.environ.get("MUNICIPAL_DEMO_PASSWORD") or DEFAULT_PASSWORD
    new_areas, area_ids = ensure_areas()
    new_users, actor = ensure_users(password)
    missing = missing_facilities(build_facilities(random.Random(SEED)))
    new_team = ensure_team()
    if not (new_areas or new_users or missing or new_team):
        click.echo("The demo district is already loaded; nothing changed.")
        return
    with click.progressbar(missing, label="Facilities", show_pos=True) as bar:
        for data in bar:
            # By id: find_area also compares a code made of digits with the integer id, and the
            # 12-digit village codes overflow PostgreSQL's integer.
            data = {**data, "area": str(area_ids[data["area"]])}
            try:
                services.create_asset(actor, data, is_demo=True)
            except DomainError as error:
                # Nothing is committed: the app context's teardown rolls the whole demo back.
                raise click.ClickException(f"{data['type']} {data['name']}: {error.message} {error.fields}")
    new_work = ensure_work(actor)
    ensure_history(actor, random.Random(SEED))
    db.session.commit()
    by_type = Counter(data["type"] for data in missing)
    click.echo(f"Created {new_areas} areas, {len(new_users)} users, {int(new_team)} teams, {len(missing)} facilities "
               f"and {new_work} work orders in {time.perf_counter() - started:.1f} s:")
    for type_key, count in sorted(by_type.items()):
        click.echo(f"  {type_key:14} {count}")
    if "supervisor" in new_users:
        click.echo(f"Sign in at {current_app.config['PUBLIC_URL']}/login as supervisor / {password}")


def ensure_areas() -> tuple[int, dict]:
    """Create the district's area tree where missing; return (how many were created, {code: id})."""
    from .assets.models import Area

    existing = {a.code: a for a in db.session.scalars(sa.select(Area))}
    created = 0

    def ensure(code, name, name_en, level, parent):
        nonlocal created
        area = existing.get(code)
        if area is None:
            area = Area(code=code, name=name, name_en=name_en, level=level, parent=parent)
            db.session.add(area)
            db.session.flush()
            # The path needs the id, which exists only after the flush.
            area.path = f"{parent.path if parent else '/'}{area.id}/"
            existing[code] = area
            created += 1
        return area

    district = ensure(*DISTRICT, "district", None)
    for code, name, name_en, _centre, villages in TOWNS:
        town = ensure(code, name, name_en, "town", district)
        for suffix, village_name, village_en in villages:
            ensure(code + suffix, village_name, village_en, "village", town)
    return created, {code: area.id for code, area in existing.items()}


def ensure_users(password: str):
    """Create the demo users where missing; return (names created, the acting admin)."""
    from .auth.models import User
    from .auth.services import create_user
    from .errors import DomainError

    created = []
    for username, role, display_name in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is None:
            try:
                create_user(username, password, role, display_name)
            except DomainError as error:
                raise click.ClickException(f"demo user {username}: {error.message} {error.fields}")
            created.append(username)
    actor = db.session.scalar(sa.select(User).where(User.username == "admin"))
    if not actor.can_edit:
        raise click.ClickException("The existing user 'admin' may not edit the registry; the demo needs it to.")
    return created, actor


DEMO_TEAM = "鼓山镇巡查养护班"
# Title, type of the facility (the first of it), kind, priority, hours until due, crew member or team.
DEMO_WORK = (
    ("井盖松动，需更换", "manhole", "repair", "urgent", 6, "crew"),
    ("汛前检查：放水设施启闭试验", "reservoir", "inspection", "high", 30, "crew"),
    ("排水管清淤", "sewer_segment", "maintenance", "normal", 72, "team"),
    ("公厕洗手池漏水", "public_toilet", "repair", "normal", 120, "team"),
    ("桥梁伸缩缝杂物清理", "bridge", "maintenance", "low", 240, None),
)


def ensure_team() -> bool:
    """The demo crew's team, with the crew member in it; True if it was created."""
    from .auth.models import Team, User

    if db.session.scalar(sa.select(Team.id).where(Team.name == DEMO_TEAM)) is not None:
        return False
    crew = db.session.scalar(sa.select(User).where(User.username == "crew"))
    db.session.add(Team(name=DEMO_TEAM, members=[crew] if crew else []))
    db.session.flush()
    return True


def ensure_work(actor) -> int:
    """A few open work orders on demo facilities, so the board and "my work" are not empty. Only on a
    registry without any work: the demo must never add to real work."""
    from .assets.models import Asset
    from .auth.models import Team, User
    from .db import utcnow
    from .workorders.models import WorkOrder
    from .workorders.services import create_work_order

    if db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)):
        return 0
    crew = db.session.scalar(sa.select(User).where(User.username == "crew"))
    team = db.session.scalar(sa.select(Team).where(Team.name == DEMO_TEAM))
    now = utcnow()
    made = 0
    for title, type_key, kind, priority, hours, assignee in DEMO_WORK:
        asset = db.session.scalar(sa.select(Asset).where(Asset.is_demo, Asset.type == type_key)
                                  .order_by(Asset.id).limit(1))
        if asset is None:
            continue
        create_work_order(actor, asset_id=asset.id, kind=kind, title=title, priority=priority,
                          due_at=now + timedelta(hours=hours),
                          assignee_user_id=crew.id if assignee == "crew" and crew else None,
                          assignee_team_id=team.id if assignee == "team" and team else None)
        made += 1
    return made


# Demo facilities whose records are left behind on purpose, so the calendar shows what an overdue
# appraisal and a 三类 dam look like; the others have kept up with their appraisals and tests.
OVERDUE_APPRAISAL = "鹤林水库"
THIRD_CLASS_DAM = "日溪水库"
KEY_LINKS_GAP = "汶洋水库"


def ensure_history(actor, rng: random.Random) -> int:
    """The appraisals and periodic tests a real district has on file, dated back from today. Without them
    every old dam and bridge would owe its first appraisal since the 1960s, and the demo board would open
    on decades of overdue work. Only on demo facilities without any history."""
    from .assets.models import Asset
    from .calendar.history import record_history
    from .calendar.models import FacilityHistory

    if db.session.scalar(sa.select(sa.func.count()).select_from(FacilityHistory)):
        return 0
    today = clock.today()

    def ago(min_days: int, max_days: int) -> str:
        return (today - timedelta(days=rng.randint(min_days, max_days))).isoformat()

    made = 0
    for asset in db.session.scalars(sa.select(Asset).where(Asset.is_demo, Asset.type.in_(("reservoir", "bridge")))
                                    .order_by(Asset.id)):
        attributes = asset.attributes
        entries = []
        if asset.type == "reservoir":
            impounded = date.fromisoformat(attributes["first_impoundment_operation"])
            first = min(impounded.replace(year=impounded.year + 4), today - timedelta(days=400))
            # 一类 throughout: a 二类 result, or a change of class, brings tasks of its own, which the
            # demo shows on the one 三类 dam only.
            entries.append(("first_safety_appraisal", first.isoformat(), "一类"))
            if asset.name == OVERDUE_APPRAISAL:
                entries.append(("periodic_safety_appraisal", ago(12 * 365, 12 * 365), "一类"))
            elif asset.name == THIRD_CLASS_DAM:
                entries.append(("periodic_safety_appraisal", ago(3 * 365, 4 * 365), "三类"))
            elif first < today - timedelta(days=6 * 365):
                entries.append(("periodic_safety_appraisal", ago(365, 5 * 365), "一类"))
        elif attributes.get("regime") == "JTG":
            entries.append(("periodic_inspection", ago(60, 700), None))
        else:
            entries.append(("regular_periodic_test", ago(30, 300), None))
            entries.append(("structural_periodic_test", ago(365, 8 * 365), None))
        for kind, done_on, result in entries:
            record_history(actor, asset.id, kind=kind, done_on=done_on, result=result)
            made += 1
    return made


def missing_facilities(facilities: list[dict]) -> list[dict]:
    from .assets.models import Asset

    rows = db.session.execute(sa.select(Asset.type, Asset.name).where(Asset.is_demo.is_(True)))
    present = {(type_key, name) for type_key, name in rows}
    return [data for data in facilities if (data["type"], data["name"]) not in present]


# --- the facilities ---------------------------------------------------------------


class _District:
    """Where things are, and the people answering for them, drawn from one random source."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.town_code = {}
        self.town_of = {}  # village name -> town name
        self.village_code = {}
        self.village_centre = {}
        for code, name, _en, (lon, lat), villages in TOWNS:
            self.town_code[name] = code
            for suffix, village, _village_en in villages:
                self.town_of[village] = name
                self.village_code[village] = code + suffix
                # Villages lie a few hundred metres to a few kilometres from the town's centre.
                self.village_centre[village] = (lon + rng.uniform(-0.018, 0.018), lat + rng.uniform(-0.015, 0.015))
        self.people = {}

    def villages(self, town: str) -> list[str]:
        return [v for v, t in self.town_of.items() if t == town]

    def nearest_village(self, town: str, point) -> str:
        return min(self.villages(town), key=lambda v: _distance_m(self.village_centre[v], point))

    def near(self, village: str, spread: float = 0.004) -> dict:
        lon, lat = self.village_centre[village]
        return _point(lon + self.rng.uniform(-spread, spread), lat + self.rng.uniform(-spread, spread))

    def person(self, key) -> str:
        """The same invented name every time `key` (a post) is asked for."""
        if key not in self.people:
            self.people[key] = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)
        return self.people[key]

    def phone(self) -> str:
        return f"1380591{self.rng.randint(0, 9999):04d}"

    def status(self) -> str:
        draw = self.rng.random()
        return "under_repair" if draw < 0.03 else "planned" if draw < 0.05 else "in_service"

    def since(self, first_year: int, last_year: int = 2024) -> str:
        return f"{self.rng.randint(first_year, last_year)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"


def build_facilities(rng: random.Random) -> list[dict]:
    """Every demo facility as the data `services.create_asset` takes, in a fixed order."""
    district = _District(rng)
    river_segments = _rivers(district)
    runs = [_pipe_run(district, run, "sewer_segment") for run in SEWER_RUNS]
    runs += [_pipe_run(district, run, "water_pipe") for run in WATER_RUNS]
    facilities = (
        _reservoirs(district) + river_segments + _roads(district)
        + [item for run in runs for item in run]
        + _standalone_manholes(district)
        + _bridges(district, river_segments) + _stations(district)
        + _toilets(district) + _old_buildings(district)
    )
    for data in facilities:
        data.setdefault("status", district.status())
        if data["status"] != "planned":
            data.setdefault("in_service_on", district.since(1985))
    return facilities


def _facility(district, type_key, name, village, geometry, attributes, **fields) -> dict:
    return {"type": type_key, "name": name, "area": district.village_code[village],
            "geometry": geometry, "attributes": attributes, **fields}


def _key_links(name: str, index: int) -> dict:
    """The 三个重点环节 as a demo district keeps them: plans approved each spring before the flood season,
    reporting in place, except at KEY_LINKS_GAP, whose reporting is not and whose emergency plan was never
    approved, so the annual report shows a gap."""
    today = clock.today()
    spring = today.year if today.month >= 5 else today.year - 1
    if name == KEY_LINKS_GAP:
        return {"rain_level_reporting": "未落实", "dispatch_plan_approved": date(spring - 1, 4, 12).isoformat()}
    return {"rain_level_reporting": "已落实", "dispatch_plan_approved": date(spring, 3, 3 + index).isoformat(),
            "emergency_plan_approved": date(spring, 4, 1 + index).isoformat()}


def _reservoirs(district) -> list[dict]:
    facilities = []
    for index, row in enumerate(RESERVOIRS):
        name, village, capacity, height, dam_type, impounded, completed, flood_limit, status, notes = row
        town = district.town_of[village]
        medium = capacity >= 10_000_000
        township = "乡" if town.endswith("乡") else "镇"
        persons = [
            {"role": "administrative", "name": district.person(("reservoir-admin", name)),
             "position": "晋安区人民政府副区长" if medium else f"{town}副{township}长", "phone": district.phone()},
            {"role": "technical", "name": district.person(("reservoir-tech", name)),
             "position": f"{name}管理处 高级工程师" if medium else f"{town}水利工作站 工程师",
             "phone": district.phone()},
            {"role": "patrol", "name": district.person(("reservoir-patrol", name)),
             "position": f"{village}村民 · 水库巡查员", "phone": district.phone()},
        ]
        facilities.append(_facility(
            district, "reservoir", name, village, district.near(village, 0.01),
            {"capacity_m3": capacity, "dam_height_m": height, "dam_type": dam_type,
             "first_impoundment_operation": impounded, "completion_acceptance": completed,
             "flood_limit_level_m": flood_limit, **_key_links(name, index)},
            status=status, in_service_on=impounded, internal_notes=notes, persons=persons,
            owner_unit="晋安区水利局" if medium else f"{town}人民政府",
            maintenance_unit=f"晋安区{name}管理处" if medium else f"{town}水利工作站",
            address=f"福州市晋安区{town}{village}",
        ))
    return facilities


def _rivers(district) -> list[dict]:
    facilities = []
    for river, start, stretches in RIVERS:
        number = 0
        for town, line in _stretches(district, start, stretches, wiggle=0.0015):
            number += 1
            village = district.nearest_village(town, line[len(line) // 2])
            persons = [
                {"role": "chief", "level": "district", "name": district.person(("river-district", river)),
                 "position": f"{river}区级河长"},
                {"role": "chief", "level": "township", "name": district.person(("river-town", town)),
                 "position": f"{town}{river}河长", "river_chief_day": True},
                {"role": "chief", "level": "village", "name": district.person(("river-village", village)),
                 "position": f"{village}党支部书记", "river_chief_day": True},
                {"role": "chief", "level": "river_keeper", "name": district.person(("river-keeper", river, number)),
                 "position": "河道专管员", "phone": district.phone()},
            ]
            facilities.append(_facility(
                district, "river_segment", f"{river}{town}第{number}段", village, _line(line),
                {"river_name": river, "length_m": round(_length_m(line))},
                persons=persons, owner_unit="晋安区水利局", maintenance_unit=f"{town}河道保洁队",
            ))
    return facilities


def _roads(district) -> list[dict]:
    facilities = []
    for road, road_class, rural, start, stretches in ROADS:
        number = 0
        for town, line in _stretches(district, start, stretches, wiggle=0.0008):
            number += 1
            village = district.nearest_village(town, line[len(line) // 2])
            persons = [
                {"role": "chief", "level": "county", "name": district.person(("road-county", road)),
                 "position": f"{road}区级路长"},
                {"role": "chief", "level": "township", "name": district.person(("road-town", town)),
                 "position": f"{town}路长"},
            ]
            if rural:
                persons.append({"role": "chief", "level": "village", "name": district.person(("road-village", village)),
                                "position": f"{village}村级路长", "phone": district.phone()})
            facilities.append(_road(district, f"{road}{town}第{number}段", road, road_class, village, line, persons,
                                    owner="晋安区交通运输局" if rural else "晋安区住房和城乡建设局"))
    for village in VILLAGE_ROADS:
        town = district.town_of[village]
        start = district.village_centre[village]
        end = (start[0] + district.rng.uniform(-0.02, 0.02), start[1] + district.rng.uniform(0.008, 0.02))
        line = _course(district.rng, start, end, 4, 0.0012)
        persons = [
            {"role": "chief", "level": "township", "name": district.person(("road-town", town)),
             "position": f"{town}路长"},
            {"role": "chief", "level": "village", "name": district.person(("road-village", village)),
             "position": f"{village}村级路长", "phone": district.phone()},
        ]
        facilities.append(_road(district, f"{village}村道", f"{village}村道", "村道", village, line, persons,
                                owner=f"{town}人民政府"))
    return facilities


def _road(district, name, road, road_class, village, line, persons, owner) -> dict:
    width = {"主干路": 40, "次干路": 24, "县道": 8.5, "乡道": 6.5, "村道": 4.5}[road_class]
    return _facility(
        district, "road_segment", name, village, _line(line),
        {"road_name": road, "road_class": road_class, "length_m": round(_length_m(line)), "width_m": width},
        persons=persons, owner_unit=owner, maintenance_unit="晋安区公路养护站" if owner.endswith("运输局")
        else "晋安区市政设施养护中心",
    )


def _pipe_run(district, run, type_key) -> list[dict]:
    """A run's segments and the manholes at their joints, chainage counted from the run's start."""
    street, town, start, end, sewer_kind, diameter, material = run
    segments = RUN_SEGMENTS[type_key]
    network = sewer_kind or "给水"
    tag = {"污水": "W", "雨水": "Y", "合流": "H", "给水": "J"}[network]
    joints = [_lerp(start, end, i / segments) for i in range(segments + 1)]
    installed = district.since(1995, 2022)
    is_sewer = type_key == "sewer_segment"
    owner = "晋安区住房和城乡建设局" if is_sewer else "福州水务集团有限公司"
    maintainer = "晋安区市政设施养护中心" if is_sewer else "福州市自来水有限公司晋安分公司"
    facilities, chainage = [], 0.0
    for i, point in enumerate(joints):
        village = district.nearest_village(town, point)
        facilities.append(_facility(
            district, "manhole", f"{street}{network}井 {tag}{i + 1:02d}", village, _point(*point),
            {"network": network, "depth_m": round(district.rng.uniform(1.2, 4.5), 1),
             "cover_material": district.rng.choice(("球墨铸铁", "球墨铸铁", "复合材料"))},
            owner_unit=owner, maintenance_unit=maintainer, address=f"{town}{street}",
        ))
        if i == segments:
            break
        line = [joints[i], joints[i + 1]]
        length = _length_m(line)
        attributes = {"diameter_mm": diameter, "material": material, "length_m": round(length, 1),
                      "installed_on": installed}
        if is_sewer:
            attributes["sewer_kind"] = sewer_kind
        name = f"{street}{network}管 {tag}{i + 1:02d}—{tag}{i + 2:02d}"
        facilities.append(_facility(
            district, type_key, name, village, _line(line), attributes,
            chainage_start=round(chainage, 1), chainage_end=round(chainage + length, 1),
            owner_unit=owner, maintenance_unit=maintainer, address=f"{town}{street}",
        ))
        chainage += length
    return facilities


def _standalone_manholes(district) -> list[dict]:
    """Power, telecom and rain-water manholes spread over the villages, mostly in the city."""
    urban = [v for v, t in district.town_of.items() if t.endswith("街道") or t in ("岳峰镇", "鼓山镇")]
    everywhere = list(district.town_of)
    facilities = []
    for number in range(1, STANDALONE_MANHOLES + 1):
        village = district.rng.choice(urban if district.rng.random() < 0.8 else everywhere)
        network = district.rng.choice(("雨水", "雨水", "污水", "电力", "通信"))
        owner = {"电力": "国网福州供电公司", "通信": "中国电信福州分公司"}.get(network, "晋安区住房和城乡建设局")
        facilities.append(_facility(
            district, "manhole", f"{village}{network}井 {number:03d}", village, district.near(village),
            {"network": network, "depth_m": round(district.rng.uniform(0.8, 3.5), 1),
             "cover_material": district.rng.choice(("球墨铸铁", "复合材料", "混凝土"))},
            owner_unit=owner, maintenance_unit="晋安区市政设施养护中心" if owner.endswith("建设局") else owner,
            address=f"{district.town_of[village]}{village}",
        ))
    return facilities


def _bridges(district, river_segments) -> list[dict]:
    facilities = []
    for name, river, index, category in URBAN_BRIDGES:
        segment = [s for s in river_segments if s["attributes"]["river_name"] == river][index]
        coords = segment["geometry"]["coordinates"]
        village = next(v for v, code in district.village_code.items() if code == segment["area"])
        facilities.append(_facility(
            district, "bridge", name, village, _point(*coords[len(coords) // 2]),
            {"regime": "CJJ99", "maint_category": category, "opening_date": district.since(1980, 2018),
             "span_m": round(district.rng.uniform(25, 90), 1)},
            owner_unit="晋安区住房和城乡建设局", maintenance_unit="晋安区市政设施养护中心",
        ))
    for name, village, level in RURAL_BRIDGES:
        facilities.append(_facility(
            district, "bridge", name, village, district.near(village, 0.006),
            {"regime": "JTG", "maint_level": level, "opening_date": district.since(1965, 2020),
             "span_m": round(district.rng.uniform(12, 120), 1)},
            owner_unit="晋安区交通运输局", maintenance_unit="晋安区公路养护站",
        ))
    return facilities


def _stations(district) -> list[dict]:
    facilities = []
    for name, village, flow, pumps in PUMP_STATIONS:
        facilities.append(_facility(
            district, "pump_station", name, village, district.near(village),
            {"design_flow_m3_per_h": flow, "pumps": pumps},
            owner_unit="福州市城区水系联排联调中心" if flow >= 7_000 else f"{district.town_of[village]}人民政府",
            maintenance_unit="晋安区排涝站运行维护中心",
        ))
    for name, village, supply in WATER_STATIONS:
        facilities.append(_facility(
            district, "water_station", name, village, district.near(village),
            {"supply_m3_per_day": supply},
            owner_unit="福州水务集团有限公司" if supply >= 10_000 else f"{district.town_of[village]}人民政府",
            maintenance_unit="福州市自来水有限公司晋安分公司",
        ))
    return facilities


def _toilets(district) -> list[dict]:
    villages = list(district.town_of)
    facilities = []
    for number in range(PUBLIC_TOILETS):
        village = villages[number % len(villages)]
        town = district.town_of[village]
        urban = town.endswith("街道")
        facilities.append(_facility(
            district, "public_toilet", f"{village}公厕{number // len(villages) + 1}号", village, district.near(village),
            {"toilet_class": "一类" if urban else district.rng.choice(("二类", "三类")),
             "stalls": district.rng.randint(4, 16) if urban else district.rng.randint(2, 8),
             "opening_hours": "全天" if urban else "06:00—22:00"},
            owner_unit="晋安区城市管理局" if urban else f"{town}人民政府", maintenance_unit="晋安区环卫服务中心",
        ))
    return facilities


def _old_buildings(district) -> list[dict]:
    facilities = []
    for name, village, built, floors, structure, grade in OLD_BUILDINGS:
        town = district.town_of[village]
        facilities.append(_facility(
            district, "old_building", name, village, district.near(village, 0.003),
            {"built_year": built, "floors": floors, "structure": structure, "grade": grade},
            owner_unit=f"{village}村民委员会", maintenance_unit=f"{town}人民政府",
            address=f"福州市晋安区{town}{village}",
            internal_notes="D级危房：已停止使用，住户已搬离，每日巡查至修缮完成。" if grade == "D" else "",
            in_service_on=None, status="out_of_service" if grade == "D" else "in_service",
        ))
    return facilities


# --- geometry -----------------------------------------------------------------------


def _stretches(district, start, stretches, wiggle):
    """(town, line) for every segment of a river or road course."""
    for town, end, segments in stretches:
        for i in range(segments):
            a, b = _lerp(start, end, i / segments), _lerp(start, end, (i + 1) / segments)
            yield town, _course(district.rng, a, b, 3, wiggle)
        start = end


def _course(rng, start, end, inner, wiggle) -> list:
    """A line from start to end through `inner` points pushed sideways: rivers and roads are not straight."""
    points = [start]
    for i in range(1, inner + 1):
        lon, lat = _lerp(start, end, i / (inner + 1))
        points.append((lon + rng.uniform(-wiggle, wiggle), lat + rng.uniform(-wiggle, wiggle)))
    return points + [end]


def _lerp(a, b, t):
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _point(lon, lat) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _line(points) -> dict:
    return {"type": "LineString", "coordinates": [[round(lon, 6), round(lat, 6)] for lon, lat in points]}


def _distance_m(a, b) -> float:
    # Equirectangular: exact enough over the few kilometres of a segment.
    mean_lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((b[0] - a[0]) * 111_320 * math.cos(mean_lat), (b[1] - a[1]) * 110_574)


def _length_m(points) -> float:
    return sum(_distance_m(a, b) for a, b in zip(points, points[1:]))
