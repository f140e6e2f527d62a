"""The inspection-calendar engine: facts about one asset in, due items out (calendar-preview.md).

Pure: no clock, no Flask, no database. Each rule of the table names a `schedule`; the evaluator of that
name below turns the rule's parameters, the asset's facts, its history and its events into instances.
An instance is `live` while nothing recorded completes it. `_finish` then keeps those inside the range,
carries in the live instances of standing obligations (`carry_in: true`) that fell due before it, sets
each status against `as_of`, and applies the kinds filter.
"""
import fnmatch
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from . import dates
from .dates import Period, add, add_months, days, local_date, parse_period
from .inputs import Event, HistoryEntry, PreviewRequest, parse_request
from .rules import RuleTable, Settings, build_settings, load_table

APPRAISAL_KINDS = ("first_safety_appraisal", "periodic_safety_appraisal", "special_safety_appraisal")
# Looking this far back before the range finds the state the rolling patrol chains are in on its first day
# (there is a flood season, and so a daily profile to restart from, in every year: never more than a year
# back, so 400 days are enough).
PATROL_LOOKBACK_DAYS = 400


@dataclass(frozen=True)
class DueItem:
    kind: str
    due: date | datetime          # a local date, or an aware date-time in the district's zone (SLA steps)
    status: str                   # due, overdue, window_open
    rule: str
    why: str
    key: str                      # stable natural key: the same obligation gets the same key in every run

    def as_json(self) -> dict:
        due = self.due.isoformat(timespec="seconds") if isinstance(self.due, datetime) else self.due.isoformat()
        return {"kind": self.kind, "due": due, "status": self.status, "rule": self.rule, "why": self.why}


@dataclass
class _Instance:
    kind: str
    due: date | datetime
    rule: str
    why: str
    key: str
    live: bool = True
    standing: bool = False
    marker: bool = False


@dataclass
class _Context:
    table: RuleTable
    settings: Settings
    asset_type: str
    attributes: dict
    history: tuple[HistoryEntry, ...]
    events: tuple[Event, ...]
    start: date
    end: date
    as_of: date
    profile: str
    flags: set = field(default_factory=set)
    memo: dict = field(default_factory=dict)

    def done(self, *kinds) -> list[HistoryEntry]:
        return [entry for entry in self.history if entry.kind in kinds]

    def local(self, value) -> date:
        return local_date(value, self.settings.zone)


# --- public API ----------------------------------------------------------------------------


def preview(request: dict, settings: dict | None = None, table: RuleTable | None = None) -> dict:
    """The preview response for a request (calendar-preview.md). Raises PreviewError for a bad request.

    `settings` are the district's overrides of the table's policy values and seasons.
    """
    table = table or load_table()
    base = build_settings(table, settings)
    parsed = parse_request(request, table, base.zone)
    effective = build_settings(table, settings, parsed.seasons)
    items, flags, derived = evaluate(parsed, effective, table)
    return {"items": [item.as_json() for item in items], "flags": flags, "derived": derived}


def due_items(asset_type: str, attributes: dict, history, events, start: date, end: date, as_of: date,
              settings: Settings, profile: str = "fujian", kinds=None, table: RuleTable | None = None
              ) -> list[DueItem]:
    """The due items for typed values (request.HistoryEntry, request.Event), for the platform's jobs."""
    request = PreviewRequest(profile=profile, as_of=as_of, start=start, end=end,
                             kinds=tuple(kinds) if kinds is not None else None, asset_type=asset_type,
                             attributes=attributes, history=tuple(history), events=tuple(events), seasons=None)
    return evaluate(request, settings, table or load_table())[0]


def evaluate(request: PreviewRequest, settings: Settings, table: RuleTable, schedules=None):
    """(items, flags, derived) for a parsed request; with `schedules`, only the rules of those schedules."""
    context = _Context(table=table, settings=settings, asset_type=request.asset_type,
                       attributes=request.attributes, history=request.history, events=request.events,
                       start=request.start, end=request.end, as_of=request.as_of, profile=request.profile)
    instances = []
    for schedule, rules in _by_schedule(table.for_asset(request.asset_type)).items():
        if schedules is None or schedule in schedules:
            instances += EVALUATORS[schedule](context, rules)
    items = _finish(context, instances, request.kinds)
    return items, sorted(context.flags), _derived(context)


def _by_schedule(rules) -> dict:
    grouped = {}
    for rule in rules:
        grouped.setdefault(rule.schedule, []).append(rule)
    return grouped


def _finish(context: _Context, instances: list[_Instance], kinds) -> list[DueItem]:
    items = []
    for instance in instances:
        if kinds is not None and not any(fnmatch.fnmatchcase(instance.kind, pattern) for pattern in kinds):
            continue
        day = context.local(instance.due)
        if instance.marker:
            if context.start <= day <= context.end:
                items.append(_item(instance, "window_open"))
            continue
        if not instance.live or day > context.end:
            continue
        if day < context.start and not instance.standing:
            continue
        items.append(_item(instance, "overdue" if day < context.as_of else "due"))
    return sorted(items, key=_sort_key)


def _item(instance: _Instance, status: str) -> DueItem:
    return DueItem(kind=instance.kind, due=instance.due, status=status, rule=instance.rule, why=instance.why,
                   key=instance.key)


def _sort_key(item: DueItem):
    moment = item.due if isinstance(item.due, datetime) else datetime.combine(item.due, time.min)
    return moment.replace(tzinfo=None), item.kind, item.key


def _derived(context: _Context) -> dict:
    derived = {}
    if context.asset_type == "reservoir" and "capacity_m3" in context.attributes:
        derived["scale_class"] = _scale_class(context)
    return derived


def _scale_class(context: _Context) -> str | None:
    capacity = context.attributes.get("capacity_m3")
    if capacity is None:
        return None
    for band in context.table.classifications["reservoir_scale"]:
        if band.get("min", float("-inf")) <= capacity < band.get("max_excl", float("inf")):
            return band["class"]
    return None


def _instance(rule, kind, due, why, key_part, live=True, marker=False) -> _Instance:
    return _Instance(kind=kind, due=due, rule=rule.id, why=why, key=f"{rule.id}/{kind}/{key_part}", live=live,
                     standing=rule.carry_in, marker=marker)


def _period(value) -> Period:
    return parse_period(value)


# --- series: anchor + k·interval (P1–P3) ----------------------------------------------------


@dataclass
class _Anchor:
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


def _series(context, rule, anchors: list[_Anchor], window: Period | None = None) -> list[_Instance]:
    anchors = sorted(anchors, key=lambda anchor: (anchor.day, anchor.order))
    instances = []
    for position, anchor in enumerate(anchors):
        later = anchors[position + 1:]
        live = not any(other.discharges for other in later)
        cutoff = later[0].day if later else None
        if anchor.first:
            kind, due, why = anchor.first
            instances.append(_instance(rule, kind, due, why, due.isoformat(), live=live))
        if anchor.base is None or anchor.interval is None:
            continue
        k = 1
        while True:
            due = add(anchor.base, anchor.interval, k)
            if due > context.end or (cutoff and due >= cutoff):
                break
            times = f"{_times(anchor.interval, k)}"
            instances.append(_instance(rule, anchor.kind, due, f"{anchor.base_why} + {times}", due.isoformat(),
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
            instances.append(_instance(rule, f"{anchor.kind}_window_open", opens, why, opens.isoformat(), marker=True))
            k += 1
    return instances


def _times(period: Period, k: int) -> str:
    return str(Period(months=period.months * k, days=period.days * k))


# --- reservoirs: appraisals ----------------------------------------------------------------


def _first_appraisal_due(context, national: list, fujian: list):
    """(due, why) of a first appraisal from candidate anchors [(name, date)], or None when none is known."""
    rule = context.table.rule("RES-APPR-FIRST")
    period = _period(rule.params["due"])
    national_anchor = next(((name, day) for name, day in national if day), None)
    fujian_anchor = next(((name, day) for name, day in fujian if day), None)
    candidates = []
    if national_anchor:
        candidates.append((add(national_anchor[1], period), national_anchor, "national anchor"))
    if context.profile == "fujian" and fujian_anchor:
        if context.settings.value({"setting": "fujian_first_appraisal"}) == "fujian_anchor":
            candidates = []
        candidates.append((add(fujian_anchor[1], period), fujian_anchor, "Fujian anchor"))
    if not candidates:
        return None
    due, (name, day), label = min(candidates, key=lambda candidate: candidate[0])
    why = f"{name} {day.isoformat()} + {period} ({label})"
    others = [c for c in candidates if c[1] != (name, day)]
    if others:
        _, (other_name, other_day), _ = others[0]
        why += f", the earlier of this and {other_name} {other_day.isoformat()} + {period}"
    return due, why, min(d for _, d in national + fujian if d)


def _appraisal_anchors(context, history=None) -> list[_Anchor]:
    history = context.history if history is None else history
    periodic = context.table.rule("RES-APPR-PERIODIC")
    interval = _period(periodic.params["due"])
    attributes = context.attributes
    anchors = []
    initial = _first_appraisal_due(
        context,
        [("completion_acceptance", attributes.get("completion_acceptance")),
         ("impoundment_acceptance", attributes.get("impoundment_acceptance"))],
        [("first_impoundment_operation", attributes.get("first_impoundment_operation"))])
    if initial:
        due, why, since = initial
        anchors.append(_Anchor(day=since, order=0, discharges=False, base=due, interval=interval,
                               base_why=f"first appraisal due {due.isoformat()} (not done)",
                               first=("first_safety_appraisal", due, why), kind="periodic_safety_appraisal"))
    for entry in history:
        if entry.kind == "reinforcement_completed":
            found = _first_appraisal_due(
                context, [("reinforcement 竣工验收", entry.day)],
                [("storage resumed", entry.first_impoundment_operation)])
            due, why, _ = found
            anchors.append(_Anchor(day=entry.day, order=1, discharges=True, base=due, interval=interval,
                                   base_why=f"first appraisal after reinforcement due {due.isoformat()} (not done)",
                                   first=("first_safety_appraisal", due, why), kind="periodic_safety_appraisal"))
        elif entry.kind in APPRAISAL_KINDS:
            result = f" ({entry.result})" if entry.result else ""
            anchors.append(_Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=interval,
                                   base_why=f"last appraisal {entry.day.isoformat()}{result}",
                                   kind="periodic_safety_appraisal"))
    return anchors


def _appraisal_chain(context, rules) -> list[_Instance]:
    periodic = context.table.rule("RES-APPR-PERIODIC")
    first = context.table.rule("RES-APPR-FIRST")
    window = _period(periodic.params["window_open"])
    instances = _series(context, periodic, _appraisal_anchors(context), window)
    for instance in instances:
        if instance.kind == "first_safety_appraisal":
            instance.rule = first.id
            instance.key = instance.key.replace(periodic.id, first.id, 1)
            instance.standing = first.carry_in
    _appraisal_flags(context)
    return instances


def _appraisal_overdue_on(context, day: date) -> bool:
    """Fujian: an appraisal not done by its deadline; the asset is treated as 病险 from the next day."""
    memo = context.memo.setdefault("appraisal_overdue", {})
    if day not in memo:
        # The anchors depend only on which history entries have happened by `day`: the same ones on most
        # days of a patrol simulation, so they are computed once per distinct set.
        known = tuple(h for h in context.history if h.day <= day)
        by_history = context.memo.setdefault("appraisal_anchors", {})
        if known not in by_history:
            by_history[known] = _appraisal_anchors(context, list(known))
        anchors = [a for a in by_history[known] if a.day <= day]
        memo[day] = False
        if anchors:
            last = max(anchors, key=lambda anchor: (anchor.day, anchor.order))
            pending = last.first[1] if last.first else add(last.base, last.interval)
            memo[day] = pending < day
    return memo[day]


def _appraisal_result_on(context, day: date):
    """(result, effective date) of the last appraisal known on `day`, unless a reinforcement followed it."""
    results = [entry for entry in context.history if entry.kind in APPRAISAL_KINDS and entry.result
               and entry.effective <= day]
    if not results:
        return None, None
    last = max(results, key=lambda entry: (entry.effective, entry.day))
    reinforced = any(entry.kind == "reinforcement_completed" and last.effective <= entry.day <= day
                     for entry in context.history)
    return (None, None) if reinforced else (last.result, last.effective)


def _risky_on(context, day: date) -> str | None:
    """Why the dam is 病险 on `day` (三类, or an overdue appraisal), or None."""
    memo = context.memo.setdefault("risky", {})
    if day not in memo:
        result, _ = _appraisal_result_on(context, day)
        if result in context.table.rule("RES-CAT3-RISKY").params["on_results"]:
            memo[day] = f"risky ({result}坝)"
        elif _appraisal_overdue_on(context, day):
            memo[day] = "risky (appraisal overdue)"
        else:
            memo[day] = None
    return memo[day]


def _appraisal_flags(context):
    day = context.as_of
    if _appraisal_overdue_on(context, day):
        context.flags.update(context.table.rule("RES-APPR-OVERDUE").params["effects"])
    result, _ = _appraisal_result_on(context, day)
    if result in context.table.rule("RES-CAT3-RISKY").params["on_results"]:
        context.flags.update(context.table.rule("RES-CAT3-RISKY").params["effects"])
    actions = context.table.rule("RES-CAT-23-ACTIONS")
    if result in actions.params["on_results"]:
        context.flags.update(actions.params["effects"])
    for event in context.events:
        if event.kind == "high_water" and event.start <= day <= event.end:
            context.flags.add("high_water")
    period = context.attributes.get("first_impoundment_period")
    if period and period["start"] <= day and (period["end"] is None or day <= period["end"]):
        context.flags.add("first_impoundment")


def _flags_only(context, rules) -> list[_Instance]:
    return []  # their flags are set with the appraisal chain, which knows the deadlines


def _appraisal_result_tasks(context, rules) -> list[_Instance]:
    instances = []
    appraisals = [entry for entry in context.history if entry.kind in APPRAISAL_KINDS]
    for rule in rules:
        offset = timedelta(days=context.settings.value(rule.params["due_after_days"]))
        for entry in appraisals:
            if entry.result not in rule.params["on_results"]:
                continue
            superseded = any(other.day > entry.day for other in appraisals)
            due = entry.effective + offset
            for kind in rule.params["tasks"]:
                done = any(h.kind == kind and h.day >= entry.effective for h in context.history)
                why = f"appraisal result {entry.result} (report {entry.effective.isoformat()})"
                if offset.days:
                    why += f" + {offset.days} days"
                instances.append(_instance(rule, kind, due, why, entry.effective.isoformat(),
                                           live=not (done or superseded)))
    return instances


def _registration_change(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        months = context.settings.value(rule.params["due_after_months"])
        previous = None
        for entry in sorted((h for h in context.history if h.kind in APPRAISAL_KINDS and h.result),
                            key=lambda h: (h.effective, h.day)):
            if previous and previous.result != entry.result:
                due = add_months(entry.effective, months)
                done = any(h.kind == rule.params["kind"] and h.day >= entry.effective for h in context.history)
                why = (f"category {previous.result} → {entry.result} (report {entry.effective.isoformat()})"
                       f" + {Period(months=months)}")
                instances.append(_instance(rule, rule.params["kind"], due, why, entry.effective.isoformat(),
                                           live=not done))
            previous = entry
    return instances


def _event_tasks(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        after = context.settings.value(rule.params["due_after_days"])
        kind = rule.params["kind"]
        for event in context.events:
            if event.kind not in rule.params["on_events"]:
                continue
            due = event.end + timedelta(days=after)
            done = any(h.kind == kind and h.day >= event.start for h in context.history)
            why = f"{event.kind} {_span(event)} + {after} days"
            instances.append(_instance(rule, kind, due, why, f"{event.kind}@{event.start.isoformat()}",
                                       live=not done))
    return instances


def _span(event: Event) -> str:
    if event.start == event.end:
        return event.start.isoformat()
    return f"{event.start.isoformat()}..{event.end.isoformat()}"


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
                found.setdefault(day, []).append(f"{label} {_span(event)}: event day")
            for offset in range(1, post_days + 1):
                day = event.end + timedelta(days=offset)
                found.setdefault(day, []).append(f"{label} {_span(event)}: day {offset} after the event")
    context.memo["special_days"] = {day: "; ".join(reasons) for day, reasons in found.items()}
    return context.memo["special_days"]


def _event_patrols(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        kind = rule.params["kind"]
        done = _done_days(context, kind)
        for day, why in sorted(_special_patrol_days(context).items()):
            instances.append(_instance(rule, kind, day, why, day.isoformat(), live=done.get(day, 0) == 0))
    return instances


def _done_days(context, kind) -> dict:
    counts = {}
    for entry in context.history:
        if entry.kind == kind:
            counts[entry.day] = counts.get(entry.day, 0) + 1
    return counts


def _high_water_on(context, day):
    for event in context.events:
        if event.kind == "high_water" and event.start <= day <= event.end:
            return f"high water {_span(event)}"
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
        return _risky_on(context, day) if context.asset_type == "reservoir" else None
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
            best = (per_day, ", ".join(reasons) + ": " + _per_day(per_day))
    return best


def _per_day(count: int) -> str:
    return {1: "daily", 2: "twice daily"}.get(count, f"{count} times a day")


def _weekly_days(rule, context) -> int:
    normal = next(profile for profile in rule.params["profiles"] if profile["when"] == "else")
    return context.settings.value(normal["every_days"])


def _reservoir_patrol(context, rules) -> list[_Instance]:
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
        routine_done = _done_days(context, kind)
        anchor, anchor_why = None, ""
        for day in days(context.start - timedelta(days=PATROL_LOOKBACK_DAYS), context.end):
            per_day, why = _daily_profile(context, rule, day)
            if per_day:
                left = routine_done.get(day, 0)
                for number in range(1, per_day + 1):
                    text = why if per_day == 1 else f"{why} ({number} of {per_day})"
                    instances.append(_instance(rule, kind, day, text, f"{day.isoformat()}#{number}",
                                               live=number > left))
                anchor, anchor_why = day, f"last daily patrol {day.isoformat()} ({why.split(':')[0]})"
                continue
            if anchor is None or (day - anchor).days >= every:
                if day not in specials:
                    why = f"{anchor_why} + {every} days" if anchor else "no patrol recorded: due now"
                    instances.append(_instance(rule, kind, day, why, day.isoformat(),
                                               live=routine_done.get(day, 0) == 0))
                    anchor, anchor_why = day, f"weekly patrol {day.isoformat()}"
            if day in completions:
                anchor, anchor_why = day, f"last {completions[day][-1].replace('_', ' ')} {day.isoformat()} (done)"
            elif day in specials:
                anchor, anchor_why = day, f"last special patrol {day.isoformat()}"
    return instances


# --- seasons and calendar periods ------------------------------------------------------------


def _applies(context, rule) -> bool:
    """The rule's conditions on the asset: scale class, bridge regime and category."""
    params = context.attributes
    if "scales" in rule.params and _scale_class(context) not in rule.params["scales"]:
        return False
    if "regime" in rule.params and params.get("regime") != rule.params["regime"]:
        return False
    if "maint_categories" in rule.params and params.get("maint_category") not in rule.params["maint_categories"]:
        return False
    return True


def _seasonal(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        if not _applies(context, rule):
            continue
        for entry in rule.params["kinds"]:
            if "dam_types" in entry and context.attributes.get("dam_type") not in entry["dam_types"]:
                continue
            kind, season = entry["kind"], entry["season"]
            for year in range(context.start.year - 1, context.end.year + 1):
                first, last = context.settings.season(season, year)
                following, _ = context.settings.season(season, year + 1)
                done = any(first <= h.day < following for h in context.done(kind))
                why = (f"{season.replace('_', '-')} window {first.isoformat()}..{last.isoformat()}: "
                       f"due on its last day")
                instances.append(_instance(rule, kind, last, why, str(year), live=not done))
    return instances


def _calendar_periods(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        if not _applies(context, rule):
            continue
        for task in rule.params["tasks"]:
            kind, per = task["kind"], task["per"]
            done = [h.day for h in context.done(kind)]
            for first, last in dates.periods_due_in(per, context.start, context.end):
                live = not any(first <= day <= last for day in done)
                why = _period_why(per, first, last) + (f", reading at {task['at']}" if "at" in task else "")
                instances.append(_instance(rule, kind, last, why, last.isoformat(), live=live))
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


def _chiefs(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        frequency = context.settings.value(rule.params["frequency"])
        kind = rule.params["kind"]
        chiefs = context.attributes.get("chiefs", [])
        pending = []
        for number, chief in enumerate(chiefs):
            per = frequency[chief["level"]]
            for first, last in dates.periods_due_in(per, context.start, context.end):
                instance = _instance(rule, kind, last, _period_why(per, first, last, f"{chief['level']} chief"),
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


def _chief_day(context, rules) -> list[_Instance]:
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
                instance = _instance(rule, kind, day, why, f"{number}:{chief['level']}/{day.isoformat()}")
                instances.append(instance)
                pending.append((day, day, chief["level"], instance))
        _discharge(context.done(kind), pending)
    return instances


def _rolling(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        if not _applies(context, rule):
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
                instances.append(_instance(rule, kind, day, why, day.isoformat(), live=day not in done))
                anchor, anchor_why = day, f"check {day.isoformat()}"
            if day in done:
                anchor, anchor_why = day, f"last check {day.isoformat()} (done)"
    return instances


# --- bridges, sewers, buildings: standing series ------------------------------------------------


def _series_rule(context, rules) -> list[_Instance]:
    instances = []
    for rule in rules:
        if _applies(context, rule):
            instances += _series_of(context, rule)
    return instances


def _series_of(context, rule) -> list[_Instance]:
    params, kind = rule.params, rule.params["kind"]
    interval = _fixed_interval(context, rule)
    anchors = []
    if "first" in params:
        after = context.attributes.get(params["first"]["after"])
        if after:
            period = _period(params["first"]["period"])
            due = add(after, period)
            why = f"{params['first']['after']} {after.isoformat()} + {period}"
            anchors.append(_Anchor(day=after, order=0, discharges=False, base=due, interval=interval,
                                   base_why=f"first {kind.replace('_', ' ')} due {due.isoformat()} (not done)",
                                   first=(kind, due, why), kind=kind))
    if "anchor_attribute" in params:
        name = params["anchor_attribute"]
        if context.attributes.get(name):
            day = context.attributes[name]
            anchors.append(_Anchor(day=day, order=0, discharges=False, base=day, interval=interval,
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
                anchors.append(_Anchor(day=entry.day, order=1, discharges=False, base=due, interval=interval,
                                       base_why=f"triggered inspection {due.isoformat()}",
                                       first=(kind, due, why + ": at once"), kind=kind))
    for entry in context.done(kind):
        anchors.append(_completion_anchor(context, rule, entry, interval))
    return _series(context, rule, anchors, _period(params["window_open"]) if "window_open" in params else None)


def _fixed_interval(context, rule) -> Period | None:
    params = rule.params
    if "interval" in params:
        return _period(params["interval"])
    if "interval_by" in params:
        by = params["interval_by"]
        return _period(by["values"].get(context.attributes.get(by["attribute"]), by["default"]))
    return None


def _completion_anchor(context, rule, entry: HistoryEntry, interval: Period | None) -> _Anchor:
    kind = rule.params["kind"]
    label = f"last {kind.replace('_', ' ')} {entry.day.isoformat()}"
    by_history = rule.params.get("interval_by_history")
    if not by_history:
        return _Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=interval,
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
            return _Anchor(day=entry.day, order=2, discharges=True, kind=kind,
                           first=(kind, entry.day, f"{label}: rehabilitate, then CCTV again at once"))
        return _Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=_period(f"{follow}y"),
                       base_why=label, kind=kind)
    label += f" (grade {value})"
    follow = table[value]
    if follow == "immediate":
        if _latest(context, kind, entry):
            context.flags.add("stop_use")
        stop = rule.params["immediate_kind"]
        if any(h.kind == stop and h.day >= entry.day for h in context.history):
            return _Anchor(day=entry.day, order=2, discharges=True, kind=stop)
        return _Anchor(day=entry.day, order=2, discharges=True, kind=stop,
                       first=(stop, entry.day, f"{label}: stop use and evacuate at once"))
    return _Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=_period(follow),
                   base_why=label, kind=kind)


def _latest(context, kind, entry) -> bool:
    """Whether `entry` is the last of its kind recorded by as_of (its grade is the asset's state then)."""
    known = [h for h in context.done(kind) if h.day <= context.as_of]
    return bool(known) and known[-1] is entry


# --- manhole covers: hour-based SLAs -------------------------------------------------------------


def _sla(context, rules) -> list[_Instance]:
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
                instances.append(_instance(rule, step, due, why, f"{event.kind}@{started.isoformat()}",
                                           live=not done))
    return instances


EVALUATORS = {
    "appraisal_chain": _appraisal_chain,
    "event_tasks": _event_tasks,
    "flags_only": _flags_only,
    "appraisal_result_tasks": _appraisal_result_tasks,
    "registration_change": _registration_change,
    "reservoir_patrol": _reservoir_patrol,
    "event_patrols": _event_patrols,
    "seasonal": _seasonal,
    "calendar_periods": _calendar_periods,
    "chiefs": _chiefs,
    "chief_day": _chief_day,
    "series": _series_rule,
    "rolling": _rolling,
    "sla": _sla,
}
