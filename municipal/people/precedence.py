"""Which assignment rule decides, and which rules overlap: pure, on plain values.

A rule names an area (with everything below it), a facility type and a kind of work; any of them may be left
empty, meaning any. Of the rules matching a work order the most specific decides: the one naming more of the
three, then the one with the deeper area, then a named kind before a named type; the id orders the rest — so
the same work always goes the same way, and the page says which rules overlap and which of them wins.
"""
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Rule:
    id: int
    area_path: str | None  # "/1/4/": the area and what lies below it; None: the whole district
    asset_type: str  # "" for any
    kind: str  # "" for any
    user_id: int | None = None
    team_id: int | None = None


def specificity(rule: Rule) -> tuple:
    depth = rule.area_path.strip("/").count("/") + 1 if rule.area_path else 0
    named = (rule.area_path is not None) + bool(rule.asset_type) + bool(rule.kind)
    return named, depth, bool(rule.kind), bool(rule.asset_type)


def precedence(rule: Rule) -> tuple:
    """Sort key: the rule that decides comes first."""
    return tuple(-part for part in specificity(rule)) + (rule.id,)


def matches(rule: Rule, area_path: str | None, asset_type: str, kind: str) -> bool:
    return ((rule.area_path is None or (area_path or "").startswith(rule.area_path))
            and rule.asset_type in ("", asset_type) and rule.kind in ("", kind))


def ordered(rules) -> list[Rule]:
    return sorted(rules, key=precedence)


def deciding(rules_in_order: list[Rule], area_path: str | None, asset_type: str, kind: str) -> Rule | None:
    """The first matching rule of rules sorted by `ordered`."""
    return next((rule for rule in rules_in_order if matches(rule, area_path, asset_type, kind)), None)


def _areas_meet(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.startswith(b) or b.startswith(a)


def overlap(a: Rule, b: Rule) -> bool:
    """Whether some work order matches both."""
    return (_areas_meet(a.area_path, b.area_path) and (not a.asset_type or not b.asset_type or a.asset_type == b.asset_type)
            and (not a.kind or not b.kind or a.kind == b.kind))


def overlaps(rules) -> list[tuple[Rule, Rule]]:
    """(winner, loser) for each pair of rules some work order matches both of, the winner deciding there.
    Two overlapping rules are never equally specific unless they name the same area, type and kind, which
    services.create_rule refuses; the age only orders rules that never meet."""
    return [(a, b) for a, b in combinations(ordered(rules), 2) if overlap(a, b)]
