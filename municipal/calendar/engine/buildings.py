"""JGJ 125 grade D (整幢危房): stop use at once, standing until the building is vacated, and a daily danger
watch meanwhile (inspection-rules.md §4.1.5). A later recheck with another grade ends the regime."""
from dataclasses import dataclass
from datetime import date, timedelta

from .context import Instance, new_instance
from .dates import days

CHECK = "safety_recheck"
# The platform closes a stop_use work order when the building is emptied: that completion is a vacating too.
VACATING = ("vacated", "stop_use")


@dataclass(frozen=True)
class GradeD:
    since: date                    # the day of the grade-D check
    vacated: date | None           # the day it was emptied
    ended: date | None             # the day of a later recheck with another grade

    @property
    def watch_until(self) -> date | None:
        """The last day of the danger watch, or None while it goes on."""
        stops = [day for day in (self.vacated, self.ended) if day is not None]
        return min(stops) - timedelta(days=1) if stops else None


def grade_d_regimes(context) -> list[GradeD]:
    """Each grade-D regime of the building, in order; a D found again while one is in force continues it."""
    checks = context.done(CHECK)
    regimes = []
    for position, entry in enumerate(checks):
        if entry.grade != "D" or (regimes and regimes[-1].since <= entry.day and (
                regimes[-1].ended is None or entry.day < regimes[-1].ended)):
            continue
        ended = next((other.day for other in checks[position + 1:]
                      if other.grade != "D" and other.day > entry.day), None)
        vacated = next((h.day for h in context.history if h.kind in VACATING and h.day >= entry.day), None)
        regimes.append(GradeD(since=entry.day, vacated=vacated, ended=ended))
    return regimes


def stop_use_instances(context, rule) -> list[Instance]:
    kind = rule.params["immediate_kind"]
    instances = []
    for regime in grade_d_regimes(context):
        why = f"last safety recheck {regime.since.isoformat()} (grade D): stop use and evacuate at once"
        until = regime.ended - timedelta(days=1) if regime.ended else None
        instances.append(new_instance(rule, kind, regime.since, why, regime.since.isoformat(),
                                      live=regime.vacated is None, standing_until=until))
    return instances


def danger_watch(context, rules) -> list[Instance]:
    instances = []
    for rule in rules:
        kind = rule.params["kind"]
        watched = {h.day for h in context.done(kind)}
        for regime in grade_d_regimes(context):
            last = min(regime.watch_until or context.end, context.end)
            why = f"grade D since {regime.since.isoformat()}: watched daily until vacated"
            for day in days(max(regime.since, context.start), last):
                instances.append(new_instance(rule, kind, day, why, day.isoformat(), live=day not in watched))
    return instances
