"""The shipped rule table (rules.v1.yaml): loading, validation, and the settings a district may change.

Pure: reads a file, imports nothing from Flask or the database.
"""
import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from .dates import MonthDay, parse_period, period_bounds

RULES_FILE = Path(__file__).with_name("rules.v1.yaml")
CONFIDENCE = ("confirmed", "partial", "recollection", "policy")
ASSET_TYPES = ("reservoir", "river_segment", "road_segment", "bridge", "water_pipe", "sewer_segment", "manhole",
               "pump_station", "water_station", "old_building", "public_toilet")
SCHEDULES = ("appraisal_chain", "event_tasks", "flags_only", "appraisal_result_tasks", "registration_change",
             "reservoir_patrol", "event_patrols", "seasonal", "calendar_periods", "chiefs", "chief_day", "series",
             "rolling", "sla", "danger_watch")
EXTRA_HISTORY_KINDS = ("reinforcement_completed", "vacated")


class RuleTableError(ValueError):
    """The rule table or a district's settings are not usable; the message says where.

    `path` names the bad entry of a season override (e.g. "seasons.flood.start") when there is one.
    """

    def __init__(self, message: str, path: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


@dataclass(frozen=True)
class Rule:
    id: str
    asset: str
    schedule: str
    confidence: object
    src: tuple
    carry_in: bool
    params: dict = field(repr=False)
    # Overdue, its items are escalated to the area's supervisors (see the table's header).
    high_risk: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every item kind this rule can produce."""
        params = self.params
        found = [params["kind"]] if "kind" in params else []
        entries = params.get("kinds", []) + params.get("tasks", [])
        found += [entry["kind"] for entry in entries if isinstance(entry, dict)]
        found += [task for task in params.get("tasks", []) if isinstance(task, str)]
        for steps in params.get("on_events", {}).values() if isinstance(params.get("on_events"), dict) else ():
            found += steps
        if "immediate_kind" in params:
            found.append(params["immediate_kind"])
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class RuleTable:
    version: int
    timezone: str
    rules: tuple[Rule, ...]
    settings: dict
    seasons: dict
    classifications: dict
    # name → ("before" | "after", season it follows, days): windows that move with the season in force (§4.1.1).
    derived_seasons: dict = field(default_factory=dict)

    # The table never changes once loaded, and the engine asks these for every facility of a district.
    @cached_property
    def _by_id(self) -> dict:
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def _by_asset(self) -> dict:
        grouped = {}
        for rule in self.rules:
            grouped.setdefault(rule.asset, []).append(rule)
        return grouped

    def for_asset(self, asset_type: str) -> list[Rule]:
        return list(self._by_asset.get(asset_type, ()))

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    @cached_property
    def high_risk_rules(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules if rule.high_risk)

    @cached_property
    def item_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(kind for rule in self.rules for kind in rule.kinds))

    @cached_property
    def year_bound_kinds(self) -> tuple[str, ...]:
        """Kinds that stand only within their calendar year: after 12-31, one not done is missed (§4.1.4)."""
        return tuple(entry["kind"] for rule in self.rules for entry in rule.params.get("kinds", [])
                     if entry.get("stands") == "calendar_year")

    @cached_property
    def history_kinds(self) -> tuple[str, ...]:
        return self.item_kinds + EXTRA_HISTORY_KINDS

    def setting_defaults(self) -> dict:
        return {name: copy.deepcopy(entry["default"]) for name, entry in self.settings.items()}


@lru_cache(maxsize=4)
def load_table(path: Path = RULES_FILE) -> RuleTable:
    try:
        with open(path, encoding="utf-8") as handle:
            # libyaml's loader when the system has it: four times faster, and the engine starts with this.
            document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RuleTableError(f"{path}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("meta"), dict) or not str(
            document.get("version", "")).isdigit() or "timezone" not in document["meta"]:
        raise RuleTableError(f"{path}: expected a mapping with version, meta.timezone, settings, seasons and rules")
    settings = document.get("settings") or {}
    for name, entry in settings.items():
        if not isinstance(entry, dict) or "default" not in entry or entry.get("confidence") not in CONFIDENCE:
            raise RuleTableError(f"setting {name}: needs a default and a confidence")
    rules = []
    for position, raw in enumerate(document.get("rules") or []):
        rules.append(_rule(raw, position, settings))
    ids = [rule.id for rule in rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise RuleTableError(f"rule ids used twice: {', '.join(duplicates)}")
    seasons, derived = {}, {}
    for name, entry in (document.get("seasons") or {}).items():
        try:
            seasons[name] = (MonthDay.parse(entry["start"]), MonthDay.parse(entry["end"]))
        except (KeyError, ValueError) as error:
            raise RuleTableError(f"season {name}: {error}") from error
        if "follows" in entry:
            derived[name] = _derived_season(name, entry)
    for name, (_, follows, _) in derived.items():
        if follows not in seasons or follows in derived:
            raise RuleTableError(f"season {name}: follows {follows}, which is not a season of its own")
    for rule in rules:
        for entry in rule.params.get("kinds", []):
            if entry.get("season") and entry["season"] not in seasons:
                raise RuleTableError(f"{rule.id}: unknown season {entry['season']}")
    return RuleTable(version=int(document["version"]), timezone=document["meta"]["timezone"], rules=tuple(rules),
                     settings=settings, seasons=seasons, classifications=document.get("classifications") or {},
                     derived_seasons=derived)


def _derived_season(name: str, entry: dict) -> tuple:
    sides = [side for side in ("before", "after") if f"days_{side}" in entry]
    days_count = entry.get(f"days_{sides[0]}") if len(sides) == 1 else None
    if not isinstance(days_count, int) or isinstance(days_count, bool) or days_count < 1:
        raise RuleTableError(f"season {name}: a season that follows another needs days_before or days_after (days)")
    return sides[0], entry["follows"], days_count


def _rule(raw: dict, position: int, settings: dict) -> Rule:
    where = f"rule {raw.get('id', '#' + str(position))}"
    for key in ("id", "asset", "schedule", "confidence", "src"):
        if key not in raw:
            raise RuleTableError(f"{where}: missing {key}")
    if raw["asset"] not in ASSET_TYPES:
        raise RuleTableError(f"{where}: unknown asset type {raw['asset']}")
    if raw["schedule"] not in SCHEDULES:
        raise RuleTableError(f"{where}: unknown schedule {raw['schedule']}")
    confidences = raw["confidence"].values() if isinstance(raw["confidence"], dict) else [raw["confidence"]]
    if any(value not in CONFIDENCE for value in confidences):
        raise RuleTableError(f"{where}: confidence must be one of {', '.join(CONFIDENCE)}")
    for name in _setting_references(raw):
        if name not in settings:
            raise RuleTableError(f"{where}: unknown setting {name}")
        if raw["id"] not in settings[name].get("used_by", []):
            raise RuleTableError(f"{where}: setting {name} does not list it in used_by")
    for key in ("due", "window_open", "interval"):
        if key in raw:
            try:
                parse_period(raw[key])
            except ValueError as error:
                raise RuleTableError(f"{where}: {key}: {error}") from error
    src = raw["src"] if isinstance(raw["src"], list) else [raw["src"]]
    params = {key: value for key, value in raw.items() if key not in ("id", "asset", "schedule", "confidence", "src")}
    if not isinstance(raw.get("high_risk", False), bool):
        raise RuleTableError(f"{where}: high_risk must be true or false")
    return Rule(id=raw["id"], asset=raw["asset"], schedule=raw["schedule"], confidence=raw["confidence"],
                src=tuple(src), carry_in=bool(raw.get("carry_in", False)), params=params,
                high_risk=raw.get("high_risk", False))


def _setting_references(value):
    if isinstance(value, dict):
        if set(value) == {"setting"}:
            yield value["setting"]
            return
        for item in value.values():
            yield from _setting_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _setting_references(item)


# --- settings -------------------------------------------------------------------------


@dataclass
class Settings:
    """Policy values and season dates in force for one computation."""

    values: dict
    seasons: dict                       # name → (MonthDay, MonthDay) for every year
    seasons_by_year: dict               # year → {name → (MonthDay, MonthDay)}
    zone: ZoneInfo
    # The seasons that follow another (pre-/post-flood) and were not given dates of their own for every year.
    derived: dict = field(default_factory=dict)
    _season_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def value(self, reference):
        """A rule parameter: a literal, or {"setting": name} resolved here."""
        if isinstance(reference, dict) and set(reference) == {"setting"}:
            return self.values[reference["setting"]]
        return reference

    def season(self, name: str, year: int) -> tuple[date, date]:
        """The season that starts in `year`, both days inclusive; an end before the start is next year's."""
        cached = self._season_cache.get((name, year))
        if cached is not None:
            return cached
        own = self.seasons_by_year.get(year, {}).get(name)
        if own is None and name in self.derived:
            side, follows, count = self.derived[name]
            season_first, season_last = self.season(follows, year)
            if side == "before":
                first, last = season_first - timedelta(days=count), season_first - timedelta(days=1)
            else:
                first, last = season_last + timedelta(days=1), season_last + timedelta(days=count)
            self._season_cache[(name, year)] = (first, last)
            return first, last
        start, end = own or self.seasons[name]
        first = start.in_year(year)
        last = end.in_year(year)
        if last < first:
            last = end.in_year(year + 1)
        # A patrol simulation asks for the same season on every day of the year.
        self._season_cache[(name, year)] = (first, last)
        return first, last

    def in_season(self, name: str, day: date) -> bool:
        for year in (day.year - 1, day.year):
            first, last = self.season(name, year)
            if first <= day <= last:
                return True
        return False


def build_settings(table: RuleTable, overrides: dict | None = None, seasons: dict | None = None) -> Settings:
    """The table's defaults, then the district's overrides, then a request's season overrides.

    `overrides` may hold any setting by name, `timezone`, and `seasons` in the same shape as `seasons`:
    {"flood": {"start": "04-01", "end": "10-15"}} for every year, {"2025": {"flood": {...}}} for one.
    Raises RuleTableError naming the bad entry.
    """
    values = table.setting_defaults()
    overrides = dict(overrides or {})
    try:
        zone = ZoneInfo(overrides.pop("timezone", None) or table.timezone)
    except (ValueError, KeyError, TypeError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise RuleTableError(f"unknown time zone {error}", "timezone") from error
    district_seasons = overrides.pop("seasons", None)
    for name, value in overrides.items():
        if name not in values:
            raise RuleTableError(f"unknown calendar setting {name}")
        value = _checked_setting(name, value, values[name])
        if isinstance(values[name], dict):
            value = {**values[name], **value}
        values[name] = value
    every_year, by_year = dict(table.seasons), {}
    derived = dict(table.derived_seasons)
    for source in (district_seasons, seasons):
        if source:
            parsed_all, parsed_years = parse_season_overrides(source, table.seasons)
            every_year.update(parsed_all)
            for name in parsed_all:
                derived.pop(name, None)   # a window given its own dates no longer follows its season
            for year, entries in parsed_years.items():
                by_year.setdefault(year, {}).update(entries)
    return Settings(values=values, seasons=every_year, seasons_by_year=by_year, zone=zone, derived=derived)


# Settings whose values are words or periods, not just of the default's type; a value the engine does not know
# would otherwise be taken silently as some other rule, or fail only when a facility first needs it.
_CHOICES = {"fujian_first_appraisal": ("earliest", "fujian_anchor")}
_AT_LEAST = {"rolling_patrol_days": 1, "river_chief_day_of_month": 1, "registration_change_months": 1}
_AT_MOST = {"river_chief_day_of_month": 31}


def _checked_setting(name: str, value, default):
    """A district's value for a setting, checked against the shape of the table's default; RuleTableError
    names the setting (and the entry of a table-valued one) when it is not usable."""
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise RuleTableError("expected an object of values, as in the rule table", f"settings.{name}")
        numeric_keys = all(isinstance(key, int) for key in default)
        checked = {}
        for key, entry in value.items():
            if numeric_keys:
                key = int(key) if str(key).isdigit() else key
            if key not in default:
                raise RuleTableError(f"unknown entry (known: {', '.join(map(str, default))})",
                                     f"settings.{name}.{key}")
            checked[key] = _checked_value(f"settings.{name}.{key}", name, entry, default[key])
        return checked
    return _checked_value(f"settings.{name}", name, value, default)


def _checked_value(path: str, name: str, value, default):
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(default, int) and not isinstance(value, int)):
            raise RuleTableError("expected a whole number" if isinstance(default, int) else "expected a number", path)
        if not value >= _AT_LEAST.get(name, 0) or value > _AT_MOST.get(name, value):
            raise RuleTableError(f"must be from {_AT_LEAST.get(name, 0)} to {_AT_MOST[name]}" if name in _AT_MOST
                                 else f"must be at least {_AT_LEAST.get(name, 0)}", path)
        return value
    if not isinstance(value, str):
        raise RuleTableError("expected a text", path)
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise RuleTableError(f"expected one of {', '.join(_CHOICES[name])}", path)
        return value
    try:
        if _is_calendar_period(default):  # a chief's frequency: day, iso_week, month or quarter
            period_bounds(date(2000, 1, 1), value)
        elif value != "immediate":  # a follow-up interval such as 5y or 1mo, or at once
            parse_period(value)
    except ValueError as error:
        raise RuleTableError(str(error), path) from error
    return value


def _is_calendar_period(word: str) -> bool:
    try:
        period_bounds(date(2000, 1, 1), word)
    except ValueError:
        return False
    return True


def parse_season_overrides(raw, known: dict) -> tuple[dict, dict]:
    """Validate {"flood": {...}} / {"2025": {"flood": {...}}}; RuleTableError names the path."""
    if not isinstance(raw, dict):
        raise RuleTableError("expected an object", "seasons")
    every_year, by_year = {}, {}
    for key, value in raw.items():
        if str(key).isdigit() and len(str(key)) == 4:
            if not isinstance(value, dict):
                raise RuleTableError("expected an object of seasons", f"seasons.{key}")
            by_year[int(key)] = {name: _season(f"seasons.{key}.{name}", name, entry, known)
                                 for name, entry in value.items()}
        else:
            every_year[key] = _season(f"seasons.{key}", key, value, known)
    return every_year, by_year


def _season(path: str, name: str, entry, known: dict):
    if name not in known:
        raise RuleTableError(f"unknown season (known: {', '.join(known)})", path)
    if not isinstance(entry, dict) or set(entry) - {"start", "end"}:
        raise RuleTableError('expected {"start": "MM-DD", "end": "MM-DD"}', path)
    start, end = known[name]
    try:
        if "start" in entry:
            start = MonthDay.parse(entry["start"])
    except ValueError as error:
        raise RuleTableError(str(error), f"{path}.start") from error
    try:
        if "end" in entry:
            end = MonthDay.parse(entry["end"])
    except ValueError as error:
        raise RuleTableError(str(error), f"{path}.end") from error
    return start, end
