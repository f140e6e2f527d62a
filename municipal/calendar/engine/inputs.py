"""A preview request (calendar-preview.md) checked and turned into typed values.

Pure. Every problem is collected with the field it belongs to (`asset.attributes.capcity_m3`,
`history.0.done_on`, …) and raised together as one PreviewError.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .dates import parse_date, parse_date_or_datetime, parse_datetime
from .rules import ASSET_TYPES, RuleTable, RuleTableError, parse_season_overrides

PROFILES = ("fujian", "national")
EVENT_KINDS = ("rainstorm", "typhoon_response", "big_flood", "felt_earthquake", "strong_earthquake",
               "extraordinary_flood", "major_accident", "abnormal_phenomenon", "rapid_level_change", "high_water",
               "sustained_high_water", "serious_damage", "first_filling_start", "patrol_found_missing_cover",
               "report_received_missing_cover")
# Hour-based SLAs run from the moment: their events need a date-time with offset.
TIMED_EVENT_KINDS = ("patrol_found_missing_cover", "report_received_missing_cover")
EVENT_MEASUREMENTS = ("rain_24h_mm", "rain_12h_mm", "level_m", "level_change_24h_m")
APPRAISAL_RESULTS = ("一类", "二类", "三类")
BUILDING_GRADES = ("A", "B", "C", "D")
RIVER_LEVELS = ("district", "township", "village", "river_keeper")
ROAD_LEVELS = ("county", "township", "village")
ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ", "1": "Ⅰ", "2": "Ⅱ", "3": "Ⅲ", "4": "Ⅳ", "5": "Ⅴ"}
REQUEST_FIELDS = ("profile", "as_of", "from", "to", "kinds", "asset", "history", "events", "seasons")
HISTORY_FIELDS = ("kind", "done_on", "done_at", "result", "report_date", "finding_class", "quick_rating", "grade",
                  "first_impoundment_operation", "level", "note")
MAX_RANGE_DAYS = 36_600


class PreviewError(ValueError):
    """A request the engine cannot take: `fields` maps each bad field to what is wrong with it."""

    def __init__(self, message: str, fields: dict):
        super().__init__(message + " " + "; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.message = message
        self.fields = fields


@dataclass(frozen=True)
class HistoryEntry:
    kind: str
    day: date                          # the local day it was done
    at: datetime | None = None         # the moment, when recorded as done_at
    result: str | None = None
    report_date: date | None = None
    finding_class: int | None = None
    quick_rating: str | None = None
    grade: str | None = None
    first_impoundment_operation: date | None = None
    level: str | None = None

    @property
    def effective(self) -> date:
        """When an appraisal's result is known: its report date, else the day it was done."""
        return self.report_date or self.day


@dataclass(frozen=True)
class Event:
    kind: str
    start: date                        # local days, both inclusive
    end: date
    start_at: datetime | None = None   # the moment it started, when given as a date-time
    measurements: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PreviewRequest:
    profile: str
    as_of: date
    start: date
    end: date
    kinds: tuple[str, ...] | None
    asset_type: str
    attributes: dict
    history: tuple[HistoryEntry, ...]
    events: tuple[Event, ...]
    seasons: dict | None


class _Problems:
    def __init__(self):
        self.fields = {}

    def add(self, name: str, problem: str):
        self.fields.setdefault(name, problem)

    def run(self, name: str, parse, value):
        """parse(value), or None with the problem recorded under `name`."""
        try:
            return parse(value)
        except (ValueError, TypeError) as error:
            self.add(name, str(error))
            return None


def parse_request(raw, table: RuleTable, zone: ZoneInfo) -> PreviewRequest:
    problems = _Problems()
    if not isinstance(raw, dict):
        raise PreviewError("The request is not valid.", {"request": "expected a JSON object"})
    for name in raw:
        if name not in REQUEST_FIELDS:
            problems.add(name, "unknown field")
    profile = raw.get("profile", "fujian")
    if profile not in PROFILES:
        problems.add("profile", f"expected one of {', '.join(PROFILES)}")
    start = _required_date(problems, raw, "from")
    end = _required_date(problems, raw, "to")
    as_of = problems.run("as_of", parse_date, raw["as_of"]) if raw.get("as_of") is not None else start
    if start and end:
        if start > end:
            problems.add("to", "must not be before from")
        elif (end - start).days > MAX_RANGE_DAYS:
            problems.add("to", f"the range may span at most {MAX_RANGE_DAYS} days")
    kinds = raw.get("kinds")
    if kinds is not None and (not isinstance(kinds, list) or not all(isinstance(k, str) and k for k in kinds)):
        problems.add("kinds", "expected a list of kinds or patterns")
        kinds = None
    asset_type, attributes = _asset(problems, raw.get("asset"), zone)
    history = _history(problems, raw.get("history", []), table, zone)
    events = _events(problems, raw.get("events", []), zone)
    seasons = raw.get("seasons")
    if seasons is not None:
        try:
            parse_season_overrides(seasons, table.seasons)
        except RuleTableError as error:
            problems.add(error.path or "seasons", error.reason)
    if problems.fields:
        raise PreviewError("The request is not valid.", problems.fields)
    return PreviewRequest(profile=profile, as_of=as_of, start=start, end=end,
                          kinds=tuple(kinds) if kinds is not None else None, asset_type=asset_type,
                          attributes=attributes, history=tuple(history), events=tuple(events), seasons=seasons)


def _required_date(problems, raw, name):
    if raw.get(name) is None:
        problems.add(name, "required")
        return None
    return problems.run(name, parse_date, raw[name])


# --- asset ------------------------------------------------------------------------------


def _number(value, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("expected a number")
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {minimum}")
    return value


def _text(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a text")
    return value.strip()


def _choice(options):
    def parse(value):
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value
    return parse


def _roman(options):
    def parse(value):
        value = ROMAN.get(str(value).strip().upper(), str(value).strip())
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value
    return parse


def _period(value):
    if not isinstance(value, dict) or "start" not in value or set(value) - {"start", "end"}:
        raise ValueError('expected {"start": date, "end": date}')
    start = parse_date(value["start"])
    end = parse_date(value["end"]) if value.get("end") is not None else None
    if end is not None and end < start:
        raise ValueError("end is before start")
    return {"start": start, "end": end}


def _chiefs(levels, flag):
    def parse(value):
        if not isinstance(value, list):
            raise ValueError("expected a list of chiefs")
        chiefs = []
        for position, chief in enumerate(value):
            allowed = {"level", "river_chief_day"} if flag else {"level"}
            if not isinstance(chief, dict) or chief.get("level") not in levels or set(chief) - allowed:
                keys = "level, river_chief_day" if flag else "level"
                raise ValueError(f"chief {position}: expected {{{keys}}} with level one of {', '.join(levels)}")
            if flag and not isinstance(chief.get("river_chief_day", False), bool):
                raise ValueError(f"chief {position}: river_chief_day must be true or false")
            chiefs.append({"level": chief["level"], "river_chief_day": bool(chief.get("river_chief_day", False))})
        return chiefs
    return parse


PERSON_ROLES = ("administrative", "technical", "patrol")
PERSON_FIELDS = ("name", "unit", "position", "phone", "user_id")


def _persons(value):
    """三个责任人 by role; a role left out or a field left empty is what the review flags, not an error."""
    if not isinstance(value, dict):
        raise ValueError('expected {"administrative": {"name", "unit", "phone"}, "technical": …, "patrol": …}')
    persons = {}
    for role, person in value.items():
        if role not in PERSON_ROLES:
            raise ValueError(f"unknown role {role!r} (known: {', '.join(PERSON_ROLES)})")
        if person is None:
            continue
        if not isinstance(person, dict) or set(person) - set(PERSON_FIELDS):
            raise ValueError(f"{role}: expected an object with {', '.join(PERSON_FIELDS)}")
        persons[role] = {name: field for name, field in person.items() if field is not None}
    return persons


ATTRIBUTES = {
    "reservoir": {
        "capacity_m3": lambda v: _number(v, 0), "dam_height_m": lambda v: _number(v, 0), "dam_type": _text,
        "completion_acceptance": parse_date, "impoundment_acceptance": parse_date,
        "first_impoundment_operation": parse_date, "first_impoundment_period": _period,
        "flood_limit_level_m": _number, "responsible_persons": _persons,
    },
    "river_segment": {"chiefs": _chiefs(RIVER_LEVELS, flag=True)},
    "road_segment": {"chiefs": _chiefs(ROAD_LEVELS, flag=False)},
    "bridge": {
        "regime": _choice(("JTG", "CJJ99")), "maint_level": _roman(("Ⅰ", "Ⅱ", "Ⅲ")),
        "maint_category": _roman(("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ")), "opening_date": parse_date,
    },
}
REQUIRED_ATTRIBUTES = {"bridge": ("regime",)}


def _asset(problems, asset, zone):
    if not isinstance(asset, dict):
        problems.add("asset", "required: {\"type\": …, \"attributes\": {…}}")
        return None, {}
    for name in asset:
        if name not in ("type", "attributes"):
            problems.add(f"asset.{name}", "unknown field")
    asset_type = asset.get("type")
    if asset_type not in ASSET_TYPES:
        problems.add("asset.type", f"expected one of {', '.join(ASSET_TYPES)}")
        return None, {}
    raw = asset.get("attributes") or {}
    if not isinstance(raw, dict):
        problems.add("asset.attributes", "expected an object")
        return asset_type, {}
    known = ATTRIBUTES.get(asset_type, {})
    attributes = {}
    for name, value in raw.items():
        if name not in known:
            expected = ", ".join(known) or "none"
            problems.add(f"asset.attributes.{name}", f"unknown attribute of a {asset_type} (known: {expected})")
        elif value is not None:
            parsed = problems.run(f"asset.attributes.{name}", known[name], value)
            if parsed is not None:
                attributes[name] = parsed
    for name in REQUIRED_ATTRIBUTES.get(asset_type, ()):
        if raw.get(name) is None:
            problems.add(f"asset.attributes.{name}", "required")
    return asset_type, attributes


# --- history and events -------------------------------------------------------------------


def _history(problems, raw, table, zone):
    if not isinstance(raw, list):
        problems.add("history", "expected a list")
        return []
    entries = []
    kinds = table.history_kinds
    for position, item in enumerate(raw):
        where = f"history.{position}"
        if not isinstance(item, dict):
            problems.add(where, "expected an object")
            continue
        for name in item:
            if name not in HISTORY_FIELDS:
                problems.add(f"{where}.{name}", "unknown field")
        if item.get("kind") not in kinds:
            problems.add(f"{where}.kind", "unknown kind of history")
        at = day = None
        if ("done_on" in item) == ("done_at" in item):
            problems.add(f"{where}.done_on", "give done_on (a date) or done_at (a date-time), one of them")
        elif "done_on" in item:
            day = problems.run(f"{where}.done_on", parse_date, item["done_on"])
        else:
            at = problems.run(f"{where}.done_at", parse_datetime, item["done_at"])
            day = at.astimezone(zone).date() if at else None
        values = {}
        checks = {
            "result": _choice(APPRAISAL_RESULTS), "report_date": parse_date, "finding_class": _finding_class,
            "quick_rating": _quick_rating, "grade": _choice(BUILDING_GRADES),
            "first_impoundment_operation": parse_date, "level": _choice(RIVER_LEVELS + ROAD_LEVELS[:1]),
        }
        for name, check in checks.items():
            if item.get(name) is not None:
                values[name] = problems.run(f"{where}.{name}", check, item[name])
        if item.get("kind") == "cctv_reinspection" and item.get("quick_rating") is None:
            problems.add(f"{where}.quick_rating", "required on a CCTV inspection")
        if item.get("kind") == "safety_recheck" and item.get("grade") is None:
            problems.add(f"{where}.grade", "required on a building check")
        if day is not None and item.get("kind") in kinds:
            entries.append(HistoryEntry(kind=item["kind"], day=day, at=at, **values))
    return sorted(entries, key=lambda entry: (entry.day, entry.at or datetime.min.replace(tzinfo=zone)))


def _finding_class(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError("expected a class from 1 to 5")
    return value


def _quick_rating(value):
    text = str(value)
    if not text or not text[0].isdigit() or int(text[0]) > 5:
        raise ValueError('expected a PACP quick rating such as "4213"')
    return text


def _events(problems, raw, zone):
    if not isinstance(raw, list):
        problems.add("events", "expected a list")
        return []
    events = []
    for position, item in enumerate(raw):
        where = f"events.{position}"
        if not isinstance(item, dict):
            problems.add(where, "expected an object")
            continue
        for name in item:
            if name not in ("kind", "start", "end", "note") + EVENT_MEASUREMENTS:
                problems.add(f"{where}.{name}", "unknown field")
        kind = item.get("kind")
        if kind not in EVENT_KINDS:
            problems.add(f"{where}.kind", "unknown kind of event")
        parse = parse_datetime if kind in TIMED_EVENT_KINDS else parse_date_or_datetime
        if item.get("start") is None:
            problems.add(f"{where}.start", "required")
            continue
        start = problems.run(f"{where}.start", parse, item["start"])
        end = problems.run(f"{where}.end", parse, item["end"]) if item.get("end") is not None else start
        measurements = {}
        for name in EVENT_MEASUREMENTS:
            if item.get(name) is not None:
                # Rainfall is an amount; a level and its change are heights and may fall below a datum.
                minimum = 0 if name.startswith("rain") else None
                measurements[name] = problems.run(f"{where}.{name}", lambda value: _number(value, minimum),
                                                  item[name])
        if kind == "rainstorm" and item.get("rain_24h_mm") is None:
            problems.add(f"{where}.rain_24h_mm", "required on a rainstorm")
        if start is None or end is None or kind not in EVENT_KINDS:
            continue
        start_day, end_day = _local_day(start, zone), _local_day(end, zone)
        if end_day < start_day:
            problems.add(f"{where}.end", "is before start")
            continue
        events.append(Event(kind=kind, start=start_day, end=end_day,
                            start_at=start if isinstance(start, datetime) else None, measurements=measurements))
    return sorted(events, key=lambda event: (event.start, event.end, event.kind))


def _local_day(value, zone):
    return value.astimezone(zone).date() if isinstance(value, datetime) else value
