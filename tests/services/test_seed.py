"""The demo district: complete, plausible, and loaded only once however often the command runs."""
import random
from collections import Counter

import pytest
import sqlalchemy as sa

from municipal.assets.identity import codes
from municipal.assets.models import Area, Asset, CodeEvent, IdentityCode, ResponsiblePerson
from municipal.assets.types import PREFIXES, scale_class
from municipal.auth.models import Team, User
from municipal.auth.signin import authenticate
from municipal.demo.district import build_facilities, district_data
from municipal.demo.seed import SEED
from municipal.workorders.models import WorkOrder

from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def seeded(demo):
    return demo


def counts(db) -> dict:
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Area, Asset, IdentityCode, CodeEvent, ResponsiblePerson, User, WorkOrder, Team)}


def test_a_second_run_changes_nothing(app, db, seeded):
    before = counts(db)
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    assert counts(db) == before
    assert "as supervisor / " + DEMO_PASSWORD in seeded


def test_the_demo_crew_has_a_team_and_work_to_do(db, seeded):
    team = db.session.scalar(sa.select(Team))
    assert [u.username for u in team.members] == ["crew"]
    work = db.session.scalars(sa.select(WorkOrder)).all()
    assert len(work) >= 4 and all(w.asset.is_demo and w.status in ("new", "assigned") for w in work)
    assert {w.assignee_user.username for w in work if w.assignee_user} == {"crew"}


def test_the_demo_district(db, seeded):
    assets = db.session.scalars(sa.select(Asset)).all()
    assert len(assets) >= 500
    assert all(a.is_demo for a in assets)
    assert {"manhole", "sewer_segment", "water_pipe", "river_segment", "road_segment", "bridge", "pump_station",
            "water_station", "public_toilet", "old_building"} <= {a.type for a in assets}

    for asset in assets:
        assert asset.code is not None, asset.name
        assert codes.normalize(asset.code.code, PREFIXES) == asset.code.code
        assert PREFIXES[asset.code.prefix] == asset.type

    reservoirs = [a for a in assets if a.type == "reservoir"]
    classes = Counter(scale_class(r.attributes["capacity_m3"]) for r in reservoirs)
    assert len(reservoirs) == 15
    assert classes["中型"] >= 1
    assert classes["小(1)型"] + classes["小(2)型"] > len(reservoirs) / 2
    assert all(sorted(p.role for p in r.persons) == ["administrative", "patrol", "technical"] for r in reservoirs)
    assert any(r.name == "登云水库" and scale_class(r.attributes["capacity_m3"]) == "中型" for r in reservoirs)


def test_the_area_tree(db, seeded):
    areas = {a.name: a for a in db.session.scalars(sa.select(Area))}
    district = areas["晋安区"]
    assert (district.code, district.level, district.path) == ("350111", "district", f"/{district.id}/")
    for _code, town_name, town_en, _centre, villages in district_data()["towns"]:
        town = areas[town_name]
        assert (town.parent_id, town.name_en, town.path) == (district.id, town_en, f"{district.path}{town.id}/")
        assert 2 <= len(villages) <= 4
        for _suffix, village_name, _en in villages:
            assert areas[village_name].path == f"{town.path}{areas[village_name].id}/"
    assert {"王庄街道", "象园街道", "茶园街道", "岳峰镇", "鼓山镇", "新店镇", "宦溪镇", "寿山乡", "日溪乡",
            "洋里村", "园中村", "赤桥村", "战坂村"} <= set(areas)


def test_demo_users_sign_in_with_the_demo_password(db, seeded):
    for role in ("admin", "supervisor", "crew", "viewer"):
        user = authenticate(role, DEMO_PASSWORD)
        assert user is not None and user.role == role


def test_the_demo_is_the_same_every_time():
    first, second = build_facilities(random.Random(SEED)), build_facilities(random.Random(SEED))
    assert first == second
    # Facilities are found again by type and name, so those must not repeat.
    assert len({(f["type"], f["name"]) for f in first}) == len(first)


def test_the_demo_calendar_opens_on_a_few_overdue_obligations_not_decades_of_them(app, db, seeded):
    from datetime import timedelta

    from municipal.calendar import materialise, settings
    from municipal.calendar.models import CalendarItem
    from municipal.db import utcnow

    now = utcnow()
    materialise.materialise(now)
    db.session.commit()
    today = settings.today(now)
    overdue = db.session.execute(
        sa.select(Asset.name, CalendarItem.kind).join(Asset, Asset.id == CalendarItem.asset_id)
        .where(CalendarItem.standing.is_(True), CalendarItem.status.in_(("scheduled", "planned")),
               CalendarItem.due_on < today)).all()
    # The dam left behind on purpose owes its periodic appraisal, the 三类 dam the tasks its class brings;
    # the others are up to date.
    assert ("鹤林水库", "periodic_safety_appraisal") in overdue and ("日溪水库", "restricted_operation") in overdue
    assert {name for name, _kind in overdue} == {"鹤林水库", "日溪水库"}, sorted(overdue)
    assert all(due >= today - timedelta(days=7 * 365) for due in db.session.scalars(
        sa.select(CalendarItem.due_on).where(CalendarItem.standing.is_(True),
                                             CalendarItem.status.in_(("scheduled", "planned")))))


def test_the_demo_reservoirs_nameplates_scan_to_their_cards(app, db, seeded, tmp_path):
    from municipal.assets.identity.qr import qr_url
    from tests.services.test_label_cli import decoded_urls

    out = tmp_path / "plates.pdf"
    result = app.test_cli_runner().invoke(args=["labels", "--out", str(out), "--type", "reservoir",
                                                "--preset", "nameplate"])
    assert result.exit_code == 0, result.output
    reservoirs = db.session.scalars(sa.select(Asset).where(Asset.type == "reservoir")).all()
    urls = decoded_urls(out)
    assert sorted(urls) == sorted(qr_url(app.config["PUBLIC_URL"], r.code.code) for r in reservoirs)
    card = app.test_client().get(urls[0].replace(app.config["PUBLIC_URL"], ""))
    assert card.status_code == 200 and "12345" in card.get_data(as_text=True)
