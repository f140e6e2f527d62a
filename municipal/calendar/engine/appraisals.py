"""Reservoirs: the dam safety appraisal chain, the flags its deadlines and results set, and the work a
result calls for (tasks, registration change)."""
from datetime import date, timedelta

from .context import Instance, new_instance
from .dates import Period, add, add_months, parse_period
from .series import Anchor, series

APPRAISAL_KINDS = ("first_safety_appraisal", "periodic_safety_appraisal", "special_safety_appraisal")


def _first_appraisal_due(context, national: list, fujian: list):
    """(due, why) of a first appraisal from candidate anchors [(name, date)], or None when none is known."""
    rule = context.table.rule("RES-APPR-FIRST")
    period = parse_period(rule.params["due"])
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


def _appraisal_anchors(context, history=None) -> list[Anchor]:
    history = context.history if history is None else history
    periodic = context.table.rule("RES-APPR-PERIODIC")
    interval = parse_period(periodic.params["due"])
    attributes = context.attributes
    anchors = []
    initial = _first_appraisal_due(
        context,
        [("completion_acceptance", attributes.get("completion_acceptance")),
         ("impoundment_acceptance", attributes.get("impoundment_acceptance"))],
        [("first_impoundment_operation", attributes.get("first_impoundment_operation"))])
    if initial:
        due, why, since = initial
        anchors.append(Anchor(day=since, order=0, discharges=False, base=due, interval=interval,
                               base_why=f"first appraisal due {due.isoformat()} (not done)",
                               first=("first_safety_appraisal", due, why), kind="periodic_safety_appraisal"))
    for entry in history:
        if entry.kind == "reinforcement_completed":
            found = _first_appraisal_due(
                context, [("reinforcement 竣工验收", entry.day)],
                [("storage resumed", entry.first_impoundment_operation)])
            due, why, _ = found
            anchors.append(Anchor(day=entry.day, order=1, discharges=True, base=due, interval=interval,
                                   base_why=f"first appraisal after reinforcement due {due.isoformat()} (not done)",
                                   first=("first_safety_appraisal", due, why), kind="periodic_safety_appraisal"))
        elif entry.kind in APPRAISAL_KINDS:
            result = f" ({entry.result})" if entry.result else ""
            anchors.append(Anchor(day=entry.day, order=2, discharges=True, base=entry.day, interval=interval,
                                   base_why=f"last appraisal {entry.day.isoformat()}{result}",
                                   kind="periodic_safety_appraisal"))
    return anchors


def appraisal_chain(context, rules) -> list[Instance]:
    periodic = context.table.rule("RES-APPR-PERIODIC")
    first = context.table.rule("RES-APPR-FIRST")
    window = parse_period(periodic.params["window_open"])
    instances = series(context, periodic, _appraisal_anchors(context), window)
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


def risky_on(context, day: date) -> str | None:
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


def flags_only(context, rules) -> list[Instance]:
    return []  # their flags are set with the appraisal chain, which knows the deadlines


def appraisal_result_tasks(context, rules) -> list[Instance]:
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
                instances.append(new_instance(rule, kind, due, why, entry.effective.isoformat(),
                                           live=not (done or superseded)))
    return instances


def registration_change(context, rules) -> list[Instance]:
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
                instances.append(new_instance(rule, rule.params["kind"], due, why, entry.effective.isoformat(),
                                           live=not done))
            previous = entry
    return instances
