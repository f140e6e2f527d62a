"""A facility's calendar read by rule: for each rule that gives it work, what is due next, how it stands,
where the rule comes from and how sure the table is of it. Plain functions over the engine's items: every
rule keeps its line however many daily items another rule gives (a year of patrols never pushes the
appraisals off the page)."""
from dataclasses import dataclass, field
from datetime import date, datetime

from .engine.rules import CONFIDENCE, RuleTable

PLAN_PREFIX = "PLAN-"


@dataclass
class RuleGroup:
    rule: str                                   # the rule id, or PLAN-<id> for a supervisor's own plan
    kinds: list[str] = field(default_factory=list)
    items: list = field(default_factory=list)   # the engine's DueItems, by due date
    sources: tuple = ()
    confidences: tuple = ()                     # distinct values of the rule's confidence, surest first
    standing: bool = False                      # its obligations stand until met

    @property
    def overdue(self) -> list:
        return [item for item in self.items if item.status == "overdue"]

    @property
    def next(self):
        """The item that matters now: the earliest overdue, else the next due (window markers aside)."""
        work = [item for item in self.items if item.status != "window_open"]
        return (work or self.items)[0]

    @property
    def status(self) -> str:
        return "overdue" if self.overdue else self.next.status

    @property
    def is_plan(self) -> bool:
        return self.rule.startswith(PLAN_PREFIX)


def _day(due) -> date:
    return due.date() if isinstance(due, datetime) else due


def confidences_of(confidence) -> tuple:
    values = set(confidence.values()) if isinstance(confidence, dict) else {confidence}
    return tuple(value for value in CONFIDENCE if value in values)


def by_rule(items, table: RuleTable) -> list[RuleGroup]:
    """The items grouped by rule: overdue groups first, then by the day their next item is due."""
    groups: dict[str, RuleGroup] = {}
    for item in sorted(items, key=lambda item: (_day(item.due), item.kind)):
        group = groups.get(item.rule)
        if group is None:
            group = groups[item.rule] = RuleGroup(rule=item.rule)
            if not item.rule.startswith(PLAN_PREFIX):
                rule = table.rule(item.rule)
                group.sources, group.standing = rule.src, rule.carry_in
                group.confidences = confidences_of(rule.confidence)
        if item.kind not in group.kinds and not item.kind.endswith("_window_open"):
            group.kinds.append(item.kind)
        group.items.append(item)
    return sorted(groups.values(), key=lambda group: (not group.overdue, _day(group.next.due), group.rule))
