"""What every evaluator shares: the instance it makes, the context it reads, and the asset's conditions."""
from dataclasses import dataclass, field
from datetime import date, datetime

from .dates import local_date
from .inputs import Event, HistoryEntry
from .rules import RuleTable, Settings


@dataclass
class Instance:
    kind: str
    due: date | datetime
    rule: str
    why: str
    key: str
    live: bool = True
    standing: bool = False
    marker: bool = False
    # The last day a standing obligation carries in; after it, one not done is missed (None: until met).
    standing_until: date | None = None


@dataclass
class Context:
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


def new_instance(rule, kind, due, why, key_part, live=True, marker=False, standing_until=None) -> Instance:
    return Instance(kind=kind, due=due, rule=rule.id, why=why, key=f"{rule.id}/{kind}/{key_part}", live=live,
                     standing=rule.carry_in, marker=marker, standing_until=standing_until)


def scale_class(context: Context) -> str | None:
    capacity = context.attributes.get("capacity_m3")
    if capacity is None:
        return None
    for band in context.table.classifications["reservoir_scale"]:
        if band.get("min", float("-inf")) <= capacity < band.get("max_excl", float("inf")):
            return band["class"]
    return None


def applies(context, rule) -> bool:
    """The rule's conditions on the asset: scale class, bridge regime and category."""
    params = context.attributes
    if "scales" in rule.params and scale_class(context) not in rule.params["scales"]:
        return False
    if "regime" in rule.params and params.get("regime") != rule.params["regime"]:
        return False
    if "maint_categories" in rule.params and params.get("maint_category") not in rule.params["maint_categories"]:
        return False
    return True


def span(event: Event) -> str:
    if event.start == event.end:
        return event.start.isoformat()
    return f"{event.start.isoformat()}..{event.end.isoformat()}"


def done_days(context, kind) -> dict:
    counts = {}
    for entry in context.history:
        if entry.kind == kind:
            counts[entry.day] = counts.get(entry.day, 0) + 1
    return counts
