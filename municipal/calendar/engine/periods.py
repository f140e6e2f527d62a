"""Seasons and calendar periods: seasonal inspections, once-per-period tasks, the chiefs' patrols and
river-chief day, and rolling checks every so many days."""
from datetime import date, timedelta

from . import dates
from .context import Instance, applies, new_instance
from .dates import days
from .inputs import HistoryEntry

# A rule the table only holds as a local default (no standard was found): its `why` says so (§4.1.7).
LOCAL_POLICY = "local policy: "


def seasonal(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        if not applies(context, rule):
            continue
        if "persons" in rule.params:
            _check_persons(context, rule.params["persons"])
        for entry in rule.params["kinds"]:
            if "dam_types" in entry and context.attributes.get("dam_type") not in entry["dam_types"]:
                continue
            kind, season = entry["kind"], entry["season"]
            for year in range(context.start.year - 1, context.end.year + 1):
                first, last = context.settings.season(season, year)
                following, _ = context.settings.season(season, year + 1)
                why = (f"{season.replace('_', '-')} window {first.isoformat()}..{last.isoformat()}: "
                       f"due on its last day")
                until = None
                if entry.get("stands") == "calendar_year":
                    until = date(last.year, 12, 31)
                    done = any(h.day.year == last.year for h in context.done(kind))
                    why += f", standing until {until.isoformat()}"
                else:
                    done = any(first <= h.day < following for h in context.done(kind))
                instances.append(new_instance(rule, kind, last, why, str(year), live=not done, standing_until=until))
    return instances


def _check_persons(context, persons: dict):
    """The flag when a role of the asset's responsible persons is missing or lacks a name or a phone."""
    given = context.attributes.get("responsible_persons") or {}
    for role in persons["roles"]:
        person = given.get(role) or {}
        if not all(str(person.get(field) or "").strip() for field in persons["needs"]):
            context.flags.add(persons["flag"])
            return


def calendar_periods(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        if not applies(context, rule):
            continue
        for task in rule.params["tasks"]:
            kind, per = task["kind"], task["per"]
            done = [h.day for h in context.done(kind)]
            for first, last in dates.periods_due_in(per, context.start, context.end):
                live = not any(first <= day <= last for day in done)
                why = _period_why(per, first, last) + (f", reading at {task['at']}" if "at" in task else "")
                if rule.params.get("local_policy"):
                    why = LOCAL_POLICY + why
                instances.append(new_instance(rule, kind, last, why, last.isoformat(), live=live))
    return instances


def _period_why(per: str, first: date, last: date, who: str = "") -> str:
    who = f"{who}: " if who else ""
    if per == "day":
        return f"{who}every day"
    if per == "iso_week":
        year, week, _ = first.isocalendar()
        return f"{who}once in ISO week {year}-W{week:02d} ({first.isoformat()}..{last.isoformat()}), due on its Sunday"
    if per == "month":
        return f"{who}once in {first.strftime('%Y-%m')}, due on its last day"
    return f"{who}once in the quarter {first.isoformat()}..{last.isoformat()}, due on its last day"


def chiefs(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        frequency = context.settings.value(rule.params["frequency"])
        kind = rule.params["kind"]
        chiefs = context.attributes.get("chiefs", [])
        pending = []
        for number, chief in enumerate(chiefs):
            per = frequency[chief["level"]]
            for first, last in dates.periods_due_in(per, context.start, context.end):
                instance = new_instance(rule, kind, last, _period_why(per, first, last, f"{chief['level']} chief"),
                                     f"{number}:{chief['level']}/{last.isoformat()}")
                instances.append(instance)
                pending.append((first, last, chief["level"], instance))
        _discharge(context.done(kind), pending)
    return instances


def _discharge(done: list[HistoryEntry], pending: list):
    """Each completion completes one open instance whose period holds it (of its level, when it names one)."""
    for entry in done:
        for first, last, level, instance in pending:
            if instance.live and first <= entry.day <= last and entry.level in (None, level):
                instance.live = False
                break


def chief_day(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        day_of_month = context.settings.value(rule.params["day_of_month"])
        kind = rule.params["kind"]
        pending = []
        for number, chief in enumerate(context.attributes.get("chiefs", [])):
            if not chief.get("river_chief_day"):
                continue
            for first, last in dates.periods_due_in("month", context.start, context.end + timedelta(days=31)):
                day = dates.MonthDay(first.month, day_of_month).in_year(first.year)
                if not context.start <= day <= context.end:
                    continue
                why = f"river-chief day, the {day_of_month}th of every month ({chief['level']} chief)"
                instance = new_instance(rule, kind, day, why, f"{number}:{chief['level']}/{day.isoformat()}")
                instances.append(instance)
                pending.append((day, day, chief["level"], instance))
        _discharge(context.done(kind), pending)
    return instances


def rolling(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        if not applies(context, rule):
            continue
        kind = rule.params["kind"]
        by = rule.params["every_days_by"]
        every = by["values"].get(context.attributes.get(by["attribute"]), by["default"])
        done = sorted({h.day for h in context.done(kind)})
        before = [day for day in done if day < context.start]
        anchor = before[-1] if before else None
        anchor_why = f"last check {anchor.isoformat()} (done)" if anchor else ""
        for day in days(anchor or context.start, context.end):
            if anchor is None or (day - anchor).days >= every:
                why = f"{anchor_why} + {every} days" if anchor else "no check recorded: due now"
                instances.append(new_instance(rule, kind, day, why, day.isoformat(), live=day not in done))
                anchor, anchor_why = day, f"check {day.isoformat()}"
            if day in done:
                anchor, anchor_why = day, f"last check {day.isoformat()} (done)"
    return instances
