"""A year of calendar items, seeded by hand for the calendar tests, with every outcome in it.

Today is 2025-07-15. Three facilities:
  A  reservoir 登云水库 in 鼓山镇, its work with team 鼓山一队
  B  manhole   鼓山新村井 in 鼓山新村 (a village of 鼓山镇), its work with team 鼓山二队
  C  manhole   岳峰井 in 岳峰镇, never made into work orders

 due         A                        B                            C
 2024-12-31                                                        done 12-30 (outside the year)
 01-10       done 01-09  on time
 01-20                                missed
 02-05       done 02-05  on time
 02-28                                                             done 02-27  on time
 03-03       done 03-10  late
 03-15                                done 03-20  late
 04-01       missed
 05-20       planned, standing: overdue
 06-30       superseded (not counted)
 07-01                                                             missed
 07-14                                planned: overdue (not marked missed yet)
 07-15                                planned: due today, not yet due
 08-01       planned: not yet due
 12-31                                planned: not yet due
 2026-01-01                                                        planned (outside the year)
"""
from datetime import date, datetime, time, timezone

from municipal.assets.models import Area
from municipal.auth import teams as auth_teams
from municipal.calendar.models import CalendarItem
from municipal.workorders.services import create_work_order

TODAY = date(2025, 7, 15)
YEAR = (date(2025, 1, 1), date(2025, 12, 31))

# (facility, due, status, closed_on, standing)
PLAN = (
    ("A", date(2025, 1, 10), "done", date(2025, 1, 9), False),
    ("A", date(2025, 2, 5), "done", date(2025, 2, 5), False),
    ("A", date(2025, 3, 3), "done", date(2025, 3, 10), True),
    ("A", date(2025, 4, 1), "missed", date(2025, 4, 2), False),
    ("A", date(2025, 5, 20), "planned", None, True),
    ("A", date(2025, 6, 30), "superseded", None, False),
    ("A", date(2025, 8, 1), "planned", None, False),
    ("B", date(2025, 1, 20), "missed", date(2025, 1, 21), False),
    ("B", date(2025, 3, 15), "done", date(2025, 3, 20), True),
    ("B", date(2025, 7, 14), "planned", None, False),
    ("B", date(2025, 7, 15), "planned", None, False),
    ("B", date(2025, 12, 31), "planned", None, False),
    ("C", date(2024, 12, 31), "done", date(2024, 12, 30), False),
    ("C", date(2025, 2, 28), "done", date(2025, 2, 27), False),
    ("C", date(2025, 7, 1), "missed", date(2025, 7, 2), False),
    ("C", date(2026, 1, 1), "planned", None, False),
)


def seed_year(db, users, make_asset, area) -> dict:
    village = Area(code="gushan-xincun", name="鼓山新村", name_en="Gushan Xincun", level="village", parent=area)
    other_town = Area(code="yuefeng", name="岳峰镇", name_en="Yuefeng Town", level="town", parent=area.parent)
    db.session.add_all([village, other_town])
    db.session.flush()
    village.path = f"{area.path}{village.id}/"
    other_town.path = f"{area.parent.path}{other_town.id}/"
    db.session.commit()
    assets = {
        "A": make_asset("reservoir", "登云水库"),
        "B": make_asset("manhole", "鼓山新村井", area=village.code),
        "C": make_asset("manhole", "岳峰井", area=other_town.code),
    }
    teams = {"A": auth_teams.create_team(users["admin"], "鼓山一队"),
             "B": auth_teams.create_team(users["admin"], "鼓山二队")}
    items = []
    for number, (which, due, status, closed_on, standing) in enumerate(PLAN):
        asset = assets[which]
        order = None
        if which in teams:
            order = create_work_order(users["supervisor"], asset_id=asset.id, kind="inspection",
                                      title=f"巡查 {due.isoformat()}", source="calendar",
                                      assignee_team_id=teams[which].id)
        due_at = datetime.combine(due, time(10, 0), timezone.utc)
        if order is not None:
            order.due_at = due_at  # as the calendar makes its work: due when the item is
        item = CalendarItem(
            asset_id=asset.id, key=f"TEST/routine_patrol/{number}", rule="RES-PATROL-ROUTINE",
            kind="routine_patrol" if which == "A" else "routine_check", due_on=due,
            due_at=due_at, why=f"every 7 days ({due.isoformat()})",
            standing=standing, status=status, closed_on=closed_on,
            work_order_id=order.id if order else None,
        )
        db.session.add(item)
        items.append(item)
    db.session.commit()
    return {"assets": assets, "teams": teams, "items": items, "village": village, "other_town": other_town,
            "town": area}
