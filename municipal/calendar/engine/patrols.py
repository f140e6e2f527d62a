"""Patrols and events: the reservoir's rolling patrol under its daily profiles, the special patrols and
tasks events call for, and the hour-based SLAs of a missing manhole cover."""
from datetime import date, timedelta

from .appraisals import risky_on
from .context import Instance, done_days, new_instance, span
from .dates import days
from .periods import LOCAL_POLICY

# Looking this far back before the range finds the state the rolling patrol chains are in on its first day
# (there is a flood season, and so a daily profile to restart from, in every year: never more than a year
# back, so 400 days are enough).
PATROL_LOOKBACK_DAYS = 400


def event_tasks(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        after = context.settings.value(rule.params["due_after_days"])
        kind = rule.params["kind"]
        for event in context.events:
            if event.kind not in rule.params["on_events"]:
                continue
            due = event.end + timedelta(days=after)
            done = any(h.kind == kind and h.day >= event.start for h in context.history)
            why = f"{event.kind} {span(event)} + {after} days"
            instances.append(new_instance(rule, kind, due, why, f"{event.kind}@{event.start.isoformat()}",
                                       live=not done))
    return instances


# --- reservoirs: patrols -------------------------------------------------------------------


def _special_patrol_days(context) -> dict:
    """day → why, for the special patrols the events call for (each event day and the days after)."""
    if "special_days" in context.memo:
        return context.memo["special_days"]
    found = {}
    for rule in context.table.for_asset(context.asset_type):
        if rule.schedule != "event_patrols":
            continue
        minimum = context.settings.value(rule.params["rainstorm_min_24h_mm"])
        post_days = context.settings.value(rule.params["post_days"])
        for event in context.events:
            if event.kind not in rule.params["on_events"]:
                continue
            label = event.kind
            if event.kind == "rainstorm":
                rain = event.measurements.get("rain_24h_mm", 0)
                if rain < minimum:
                    continue
                label = f"rainstorm {rain:g} mm/24 h"
            for day in days(event.start, event.end):
                found.setdefault(day, []).append(f"{label} {span(event)}: event day")
            for offset in range(1, post_days + 1):
                day = event.end + timedelta(days=offset)
                found.setdefault(day, []).append(f"{label} {span(event)}: day {offset} after the event")
    context.memo["special_days"] = {day: "; ".join(reasons) for day, reasons in found.items()}
    return context.memo["special_days"]


def event_patrols(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        kind = rule.params["kind"]
        done = done_days(context, kind)
        for day, why in sorted(_special_patrol_days(context).items()):
            instances.append(new_instance(rule, kind, day, why, day.isoformat(), live=done.get(day, 0) == 0))
    return instances


def _high_water_on(context, day):
    for event in context.events:
        if event.kind == "high_water" and event.start <= day <= event.end:
            return f"high water {span(event)}"
    return None


def _first_impoundment_on(context, day):
    period = context.attributes.get("first_impoundment_period")
    if period and period["start"] <= day and (period["end"] is None or day <= period["end"]):
        end = period["end"].isoformat() if period["end"] else "…"
        return f"first impoundment {period['start'].isoformat()}..{end}"
    return None


def _condition(context, term: str, day: date):
    """The reason a profile's condition term holds on `day`, or None."""
    if term == "flood_season":
        if context.settings.in_season("flood", day):
            first, last = context.settings.season("flood", day.year)
            return f"flood season {first.strftime('%m-%d')}..{last.strftime('%m-%d')}"
        return None
    if term == "risky":
        return risky_on(context, day) if context.asset_type == "reservoir" else None
    if term == "high_water":
        return _high_water_on(context, day)
    if term == "first_impoundment":
        return _first_impoundment_on(context, day)
    raise ValueError(f"unknown profile condition {term!r}")


def _daily_profile(context, rule, day: date):
    """(patrols that day, why) under the strictest daily profile in force, or (0, None) for the weekly one."""
    best = (0, None)
    for profile in rule.params["profiles"]:
        if profile["when"] == "else":
            continue
        reasons = [_condition(context, term.strip(), day) for term in profile["when"].split(" and ")]
        if not all(reasons):
            continue
        per_day = context.settings.value(profile["per_day"])
        if per_day > best[0]:
            if "flood_season" not in profile["when"] and context.asset_type == "reservoir":
                season = _condition(context, "flood_season", day)
                reasons.append("in " + season if season else "outside flood season")
            best = (per_day, _policy(rule) + ", ".join(reasons) + ": " + _per_day(per_day))
    return best


def _policy(rule) -> str:
    return LOCAL_POLICY if rule.params.get("local_policy") else ""


def _per_day(count: int) -> str:
    return {1: "daily", 2: "twice daily"}.get(count, f"{count} times a day")


def _weekly_days(rule, context) -> int:
    normal = next(profile for profile in rule.params["profiles"] if profile["when"] == "else")
    return context.settings.value(normal["every_days"])


def reservoir_patrol(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        kind = rule.params["kind"]
        every = _weekly_days(rule, context)
        resets = rule.params.get("rolling_reset_by", [kind])
        specials = _special_patrol_days(context) if "special_patrol" in resets else {}
        completions = {}
        for entry in context.history:
            if entry.kind in resets:
                completions.setdefault(entry.day, []).append(entry.kind)
        routine_done = done_days(context, kind)
        anchor, anchor_why = None, ""
        for day in days(context.start - timedelta(days=PATROL_LOOKBACK_DAYS), context.end):
            per_day, why = _daily_profile(context, rule, day)
            if per_day:
                left = routine_done.get(day, 0)
                for number in range(1, per_day + 1):
                    text = why if per_day == 1 else f"{why} ({number} of {per_day})"
                    instances.append(new_instance(rule, kind, day, text, f"{day.isoformat()}#{number}",
                                               live=number > left))
                anchor, anchor_why = day, f"last daily patrol {day.isoformat()} ({why.removeprefix(LOCAL_POLICY).split(':')[0]})"
                continue
            if anchor is None or (day - anchor).days >= every:
                if day not in specials:
                    why = _policy(rule) + (f"{anchor_why} + {every} days" if anchor else "no patrol recorded: due now")
                    instances.append(new_instance(rule, kind, day, why, day.isoformat(),
                                               live=routine_done.get(day, 0) == 0))
                    anchor, anchor_why = day, f"weekly patrol {day.isoformat()}"
            if day in completions:
                anchor, anchor_why = day, f"last {completions[day][-1].replace('_', ' ')} {day.isoformat()} (done)"
            elif day in specials:
                anchor, anchor_why = day, f"last special patrol {day.isoformat()}"
    return instances


# --- manhole covers: hour-based SLAs -------------------------------------------------------------


def sla(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        hours = context.settings.value(rule.params["hours"])
        for event in context.events:
            steps = rule.params["on_events"].get(event.kind)
            if not steps or event.start_at is None:
                continue
            started = event.start_at.astimezone(context.settings.zone)
            for step in steps:
                due = started + timedelta(hours=hours[step])
                done = any(h.kind == step and (h.at >= event.start_at if h.at else h.day >= context.local(started))
                           for h in context.history)
                why = f"{event.kind.replace('_', ' ')} {started.isoformat(timespec='minutes')} + {hours[step]} h"
                instances.append(new_instance(rule, step, due, why, f"{event.kind}@{started.isoformat()}",
                                           live=not done))
    return instances
