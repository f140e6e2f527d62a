"""The inspection-calendar engine: facts about one asset in, due items out (calendar-preview.md).

Pure: no clock, no Flask, no database. Each rule of the table names a `schedule`; the evaluator of that
name in EVALUATORS turns the rule's parameters, the asset's facts, its history and its events into instances.
An instance is `live` while nothing recorded completes it. `_finish` then keeps those inside the range,
carries in the live instances of standing obligations (`carry_in: true`) that fell due before it, sets
each status against `as_of`, and applies the kinds filter.
"""
import fnmatch
from dataclasses import dataclass
from datetime import date, datetime, time

from .appraisals import appraisal_chain, appraisal_result_tasks, flags_only, registration_change
from .context import Context, Instance, scale_class
from .inputs import PreviewRequest, parse_request
from .buildings import danger_watch
from .patrols import event_patrols, event_tasks, reservoir_patrol, sla
from .periods import calendar_periods, chief_day, chiefs, rolling, seasonal
from .rules import RuleTable, Settings, build_settings, load_table
from .series import standing_series


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
    context = Context(table=table, settings=settings, asset_type=request.asset_type,
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


def _finish(context: Context, instances: list[Instance], kinds) -> list[DueItem]:
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
        if day < context.start and not (instance.standing and (
                instance.standing_until is None or context.start <= instance.standing_until)):
            continue
        items.append(_item(instance, "overdue" if day < context.as_of else "due"))
    return sorted(items, key=_sort_key)


def _item(instance: Instance, status: str) -> DueItem:
    return DueItem(kind=instance.kind, due=instance.due, status=status, rule=instance.rule, why=instance.why,
                   key=instance.key)


def _sort_key(item: DueItem):
    moment = item.due if isinstance(item.due, datetime) else datetime.combine(item.due, time.min)
    return moment.replace(tzinfo=None), item.kind, item.key


def _derived(context: Context) -> dict:
    derived = {}
    if context.asset_type == "reservoir" and "capacity_m3" in context.attributes:
        derived["scale_class"] = scale_class(context)
    return derived


EVALUATORS = {
    "appraisal_chain": appraisal_chain,
    "event_tasks": event_tasks,
    "flags_only": flags_only,
    "appraisal_result_tasks": appraisal_result_tasks,
    "registration_change": registration_change,
    "reservoir_patrol": reservoir_patrol,
    "event_patrols": event_patrols,
    "seasonal": seasonal,
    "calendar_periods": calendar_periods,
    "chiefs": chiefs,
    "chief_day": chief_day,
    "series": standing_series,
    "rolling": rolling,
    "sla": sla,
    "danger_watch": danger_watch,
}
