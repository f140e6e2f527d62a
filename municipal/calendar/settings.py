"""The calendar's settings: the rule table and the district's settings (loaded once per process), the
district's clock, and how long before its due date each item becomes work."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from .engine.rules import RuleTable, Settings, build_settings, load_table

# How far ahead work is made: a week for patrols and checks, two months for what needs preparing.
PATROL_LEAD_DAYS = 7
PREPARED_LEAD_DAYS = 60
PREPARED_KINDS_PREFIX = ("annual_",)
PREPARED_KINDS = {"three_persons_review", "pre_flood_check", "winter_overhaul"}
# Work set off by something that happened (an event, an appraisal's result, a missing cover) is made the
# day it becomes known, whatever its due date: the people who must act learn of it at once, and a special
# appraisal due in 180 days still needs commissioning now.
IMMEDIATE_SCHEDULES = {"event_tasks", "event_patrols", "sla", "appraisal_result_tasks", "registration_change"}


def table() -> RuleTable:
    """The rule table, loaded and checked once per process."""
    cache = current_app.extensions.setdefault("calendar_table", {})
    if "table" not in cache:
        cache["table"] = load_table()
    return cache["table"]


def setting_overrides(config) -> dict:
    """The district's calendar settings as given: its clock and its overrides of the rule table's policy values."""
    return {"timezone": config["TIMEZONE"], **config.get("CALENDAR_SETTINGS", {})}


def district_settings() -> Settings:
    """The table's policy values and seasons with the district's overrides, built once per process."""
    cache = current_app.extensions.setdefault("calendar_table", {})
    if "settings" not in cache:
        cache["settings"] = build_settings(table(), setting_overrides(current_app.config))
    return cache["settings"]


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def today(now: datetime) -> date:
    return now.astimezone(zone()).date()


def lead_days(rule_id: str, kind: str, standing: bool) -> int | None:
    """Days before its due date an item becomes work; None for work made at once (IMMEDIATE_SCHEDULES)."""
    if not rule_id.startswith("PLAN-") and table().rule(rule_id).schedule in IMMEDIATE_SCHEDULES:
        return None
    if standing or kind.startswith(PREPARED_KINDS_PREFIX) or kind in PREPARED_KINDS:
        return PREPARED_LEAD_DAYS
    return PATROL_LEAD_DAYS


def make_on(due_on: date, day: date, lead: int | None) -> date:
    """The day an item due on `due_on`, known on `day`, becomes a work order."""
    return min(due_on, day) if lead is None else due_on - timedelta(days=lead)
