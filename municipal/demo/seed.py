"""`municipal seed-demo`: the demo district (district.yaml, built by district.py) into the database, with demo
users, a team, a few work orders and the records a real district has on file.

Everything comes from one seeded random, so two runs build the same district; only the
identity codes differ, because codes are random by design. Areas, users and facilities are
looked up by their natural keys (area code, user name, facility type and name) and only the
missing ones are created, so a second run changes nothing.
"""
import os
import random
import time
from collections import Counter
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from .. import clock
from ..extensions import db
from .district import build_facilities, district_data

SEED = 20261126
DEFAULT_PASSWORD = "municipal-demo"


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo district (safe to run again)."""
    from ..assets import services
    from ..assets.identity.services import issue_codes
    from ..errors import DomainError

    started = time.perf_counter()
    password = os.environ.get("MUNICIPAL_DEMO_PASSWORD") or DEFAULT_PASSWORD
    new_areas, area_ids = ensure_areas()
    new_users, actor = ensure_users(password)
    missing = missing_facilities(build_facilities(random.Random(SEED)))
    new_team = ensure_team()
    if not (new_areas or new_users or missing or new_team):
        click.echo("The demo district is already loaded; nothing changed.")
        return
    by_type = Counter(data["type"] for data in missing)
    # Each type's codes issued in one batch: issued one at a time, with each facility, they took a fifth of the
    # seeding.
    codes = {type_key: [code.code for code in issue_codes(actor, type_key, count)]
             for type_key, count in by_type.items()}
    with click.progressbar(missing, label="Facilities", show_pos=True) as bar:
        for data in bar:
            # By id: find_area also compares a code made of digits with the integer id, and the
            # 12-digit village codes overflow PostgreSQL's integer.
            data = {**data, "area": str(area_ids[data["area"]])}
            try:
                services.create_asset(actor, data, code=codes[data["type"]].pop(), is_demo=True)
            except DomainError as error:
                # Nothing is committed: the app context's teardown rolls the whole demo back.
                raise click.ClickException(f"{data['type']} {data['name']}: {error.message} {error.fields}")
    link_patrols()
    new_work = ensure_work(actor)
    ensure_history(actor, random.Random(SEED))
    db.session.commit()
    click.echo(f"Created {new_areas} areas, {len(new_users)} users, {int(new_team)} teams, {len(missing)} facilities "
               f"and {new_work} work orders in {time.perf_counter() - started:.1f} s:")
    for type_key, count in sorted(by_type.items()):
        click.echo(f"  {type_key:14} {count}")
    if "supervisor" in new_users:
        click.echo(f"Sign in at {current_app.config['PUBLIC_URL']}/login as supervisor / {password}")


def ensure_areas() -> tuple[int, dict]:
    """Create the district's area tree where missing; return (how many were created, {code: id})."""
    from ..assets.models import Area

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

    district = ensure(*district_data()["district"], "district", None)
    for code, name, name_en, _centre, villages in district_data()["towns"]:
        town = ensure(code, name, name_en, "town", district)
        for suffix, village_name, village_en in villages:
            ensure(code + suffix, village_name, village_en, "village", town)
    return created, {code: area.id for code, area in existing.items()}


def ensure_users(password: str):
    """Create the demo users where missing; return (names created, the acting admin)."""
    from ..auth.models import User
    from ..auth.services import create_user
    from ..errors import DomainError

    created = []
    for username, role, display_name in district_data()["users"]:
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


def ensure_team() -> bool:
    """The demo crew's team, with the crew member in it; True if it was created."""
    from ..auth.models import Team, User

    if db.session.scalar(sa.select(Team.id).where(Team.name == district_data()["team"])) is not None:
        return False
    crew = db.session.scalar(sa.select(User).where(User.username == "crew"))
    db.session.add(Team(name=district_data()["team"], members=[crew] if crew else []))
    db.session.flush()
    return True


def link_patrols() -> int:
    """The demo crew member is the patrol person of the reservoirs in the demo team's town (鼓山镇): their
    patrols go to them by the patrol-person fallback, the rest of the district's field work to the team."""
    from ..assets.models import Area, Asset, ResponsiblePerson
    from ..auth.models import User

    crew = db.session.scalar(sa.select(User.id).where(User.username == "crew"))
    town = db.session.scalar(sa.select(Area.path).where(Area.name == district_data()["patrol_town"]))
    if crew is None or town is None:
        return 0
    in_town = (sa.select(Asset.id).join(Area, Area.id == Asset.area_id)
               .where(Asset.is_demo, Asset.type == "reservoir", Area.path.startswith(town)))
    return db.session.execute(sa.update(ResponsiblePerson).where(
        ResponsiblePerson.asset_id.in_(in_town), ResponsiblePerson.role == "patrol",
        ResponsiblePerson.user_id.is_(None)).values(user_id=crew)).rowcount


def ensure_work(actor) -> int:
    """A few open work orders on demo facilities, so the board and "my work" are not empty. Only on a
    registry without any work: the demo must never add to real work."""
    from ..assets.models import Asset
    from ..auth.models import Team, User
    from ..db import utcnow
    from ..workorders.models import WorkOrder
    from ..workorders.services import create_work_order

    if db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)):
        return 0
    crew = db.session.scalar(sa.select(User).where(User.username == "crew"))
    team = db.session.scalar(sa.select(Team).where(Team.name == district_data()["team"]))
    now = utcnow()
    made = 0
    for title, type_key, kind, priority, hours, assignee in district_data()["work"]:
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


def ensure_history(actor, rng: random.Random) -> int:
    """The appraisals and periodic tests a real district has on file, dated back from today. Without them
    every old dam and bridge would owe its first appraisal since the 1960s, and the demo board would open
    on decades of overdue work. Only on demo facilities without any history."""
    from ..assets.models import Asset
    from ..calendar.models import FacilityHistory
    from ..calendar.history import record_history

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
            if asset.name == district_data()["overdue_appraisal"]:
                entries.append(("periodic_safety_appraisal", ago(12 * 365, 12 * 365), "一类"))
            elif asset.name == district_data()["third_class_dam"]:
                entries.append(("periodic_safety_appraisal", ago(3 * 365, 4 * 365), "三类"))
            elif first < today - timedelta(days=6 * 365):
                entries.append(("periodic_safety_appraisal", ago(365, 5 * 365), "一类"))
            # This year's review of the three responsible persons, held before the flood season as the rules ask.
            reviewed = date(today.year, 3, 20)
            entries.append(("three_persons_review",
                            (reviewed if reviewed <= today else reviewed.replace(year=today.year - 1)).isoformat(), None))
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
    from ..assets.models import Asset

    rows = db.session.execute(sa.select(Asset.type, Asset.name).where(Asset.is_demo.is_(True)))
    present = {(type_key, name) for type_key, name in rows}
    return [data for data in facilities if (data["type"], data["name"]) not in present]
