"""Series: an anchor, then one due every interval after it (P1–P3), and the standing series of bridges,
sewers and buildings (first due, triggers, and what each completion's grade sets next)."""
from dataclasses import dataclass
from datetime import date, timedelta

from .buildings import stop_use_instances
from .context import Instance, applies, new_instance
from .dates import Period, add, add_months, parse_period
from .inputs import HistoryEntry


@dataclass
class Anchor:
    """One link of a series: a completion, a trigger, or the initial due date from the asset's facts.

    `first` is an instance due at the anchor itself (kind, due, why); projections follow at
    base + k·interval, with a window-open marker `window` after the previous one.
    """

    day: date
    order: int                      # same day: initial, then triggers, then completions
    discharges: bool                # a recorded completion (or a reset) discharges every earlier instance
    base: date | None = None
    base_why: str = ""
    interval: Period | None = None
    first: tuple | None = None
    kind: str = ""


def series(context, rule, anchors: list[Anchor], window: Period | None = None) -> list[Instance]:
    anchors = sorted(anchors, key=lambda anchor: (anchor.day, anchor.order))
    instances = []
    for position, anchor in enumerate(anchors):
        later = anchors[position + 1:]
        live = not any(other.discharges for other in later)
        cutoff = later[0].day if later else None
        if anchor.first:
            kind, due, why = anchor.first
            instances.append(new_instance(rule, kind, due, why, due.isoformat(), live=live))
        if anchor.base is None or anchor.interval is None:
            continue
        k = 1
        while True:
            due = add(anchor.base, anchor.interval, k)
            if due > context.end or (cutoff and due >= cutoff):
                break
            times = f"{_times(anchor.interval, k)}"
            instances.append(new_instance(rule, anchor.kind, due, f"{anchor.base_why} + {times}", due.isoformat(),
                                       live=live))
            k += 1
        if window is None:
            continue
        k = 1
        while True:
            opens = add_months(anchor.base, anchor.interval.months * (k - 1) + window.months)
            if opens > context.end or (cutoff and opens >= cutoff):
                break
            due = add(anchor.base, anchor.interval, k)
            why = (f"{anchor.base_why} + {_times(Period(months=anchor.interval.months * (k - 1) + window.months), 1)}"
                   f": the window for the one due {due.isoformat()} opens")
            instances.append(new_instance(rule, f"{anchor.kind}_window_open", opens, why, opens.isoformat(),
                                          marker=True))
            k += 1
    return instances


def _times(period: Period, k: int) -> str:
    return str(Period(months=period.months * k, days=period.days * k))


# --- bridges, sewers, buildings: standing series ------------------------------------------------


def standing_series(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        if applies(context, rule):
            instances += _series_of(context, rule)
    return instances


def _series_of(context, rule) -> list[Instance]:
    params, kind = rule.params, rule.params["kind"]
    interval = _fixed_interval(context, rule)
    anchors = []
    if "first" in params:
        after = context.attributes.get(params["first"]["after"])
        if after:
            period = parse_period(params["first"]["period"])
            due = add(after, period)
            why = f"{params['first']['after']} {after.isoformat()} + {period}"
            anchors.append(Anchor(day=after, order=0, discharges=False, base=due, interval=interval,
                                   base_why=f"first {kind.replace('_', ' ')} due {due.isoformat()} (not done)",
                                   first=(kind, due, why), kind=kind))
    if "anchor_attribute" in params:
        name = params["anchor_attribute"]
        if context.attributes.get(name):
            day = context.attributes[name]
            anchors.append(Anchor(day=day, order=0, discharges=False, base=day, interval=interval,
                                   base_why=f"{name} {day.isoformat()} (none recorded)", kind=kind))
    trigger = params.get("triggered_by")
    if trigger:
        minimum = context.settings.value(trigger["finding_class_min"])
        offset = timedelta(days=context.settings.value(trigger["offset_days"]))
        for entry in context.done(trigger["history"]):
            if entry.finding_class is not None and entry.finding_class >= minimum:
                due = entry.day + offset
                why = (f"{trigger['history'].replace('_', ' ')} {entry.day.isoformat()} "
                       f"found class {entry.finding_class}")
                anchors.append(Anchor(day=entry.day, order=1, discharges=False, base=due, interval=interval,
                                       base_why=f"triggered inspection {due.isoformat()}",
                                       first=(kind, due, why + ": at once"), kind=kind))
    for entry in context.done(kind):
        anchors.append(_completion_anchor(context, rule, entry, interval))
    extra = stop_use_instances(context, rule) if "immediate_kind" in params else []
    return extra + series(context, rule, anchors, parse_period(params["window_open"]) if "window_open" in params else None)


def _fixed_interval(context, rule) -> Period | None:
    params = rule.params
    if "interval" in params:
        return parse_period(params["interval"])
    if "interval_by" in params:
        by = params["interval_by"]
        return parse_period(by["values"].get(context.attributes.get(by["attribute"]), by["default"]))
    return None


def _completion_anchor(context, rule, entry: HistoryEntry, interval: Period | None) -> Anchor:
    kind = rule.params["kind"]
    label = f"last {kind.replace('_', ' ')} {entry.day.isoformat()}"
    by_history = rule.params.get("interval_by_history")
    if not by_history:
        return Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=interval,
                       base_why=label, kind=kind)
    value = getattr(entry, by_history["field"])
    table = context.settings.value({"setting": by_history["setting"]})
    if by_history["field"] == "quick_rating":
        grade = int(value[0])
        follow = table[grade]
        label += f" (worst structural grade {grade})"
        if grade == 5 and _latest(context, kind, entry):
            context.flags.add("rehabilitation_required")
        if follow == 0:
            return Anchor(day=entry.day, order=2, discharges=True, kind=kind,
                           first=(kind, entry.day, f"{label}: rehabilitate, then CCTV again at once"))
        return Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=parse_period(f"{follow}y"),
                       base_why=label, kind=kind)
    label += f" (grade {value})"
    follow = table[value]
    if follow == "immediate":
        # Its stop_use task stands by its own rules (buildings.py); no recheck is projected from it.
        if _latest(context, kind, entry):
            context.flags.add("stop_use")
        return Anchor(day=entry.day, order=2, discharges=True, kind=kind)
    return Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=parse_period(follow),
                   base_why=label, kind=kind)


def _latest(context, kind, entry) -> bool:
    """Whether `entry` is the last of its kind recorded by as_of (its grade is the asset's state then)."""
    known = [h for h in context.done(kind) if h.day <= context.as_of]
    return bool(known) and known[-1] is entry
