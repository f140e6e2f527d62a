"""Supervisors' own recurring plans for a facility: made, stopped, and the items they give. Flushes, never commits."""
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import record
from ..errors import NotFound, ValidationError
from ..db import as_id
from ..extensions import db
from ..workorders import states
from .engine import plans as plan_rules
from .engine.core import DueItem
from .models import Plan
from .history import (asset_for_supervisor, dates_out_of_range, forget)


def active_plans(asset_ids: list[int]) -> dict[int, list[Plan]]:
    plans: dict[int, list[Plan]] = {}
    for plan in db.session.scalars(sa.select(Plan).where(Plan.active, Plan.asset_id.in_(asset_ids))):
        plans.setdefault(plan.asset_id, []).append(plan)
    return plans


def plan_item(plan: Plan, day: date) -> DueItem:
    return DueItem(kind=f"plan:{plan.id}", due=day, status="due", rule=f"PLAN-{plan.id}",
                   why=plan_rules.describe(plan_rules.spec_of(plan)), key=f"PLAN-{plan.id}/{day.isoformat()}")


def create_plan(actor, asset_id, *, title: str, every, unit: str, weekdays: str = "", month_days: str = "",
                season: str = "", starts_on: date | None = None, ends_on: date | None = None,
                work_kind: str = "inspection") -> Plan:
    asset = asset_for_supervisor(actor, asset_id)
    errors = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("a title of 1 to 200 characters is required")
    if work_kind not in states.KINDS:
        errors["work_kind"] = _("unknown kind of work")
    try:
        spec = plan_rules.PlanSpec.parse(every=every, unit=unit, weekdays=weekdays, month_days=month_days,
                                         season=season, starts_on=starts_on, ends_on=ends_on)
    except plan_rules.PlanError as error:
        errors.update({name: _(message) for name, message in error.fields.items()})
        spec = None
    errors.update(dates_out_of_range({"starts_on": starts_on, "ends_on": ends_on}))
    if errors:
        raise ValidationError(_("The plan was not saved."), errors)
    plan = Plan(asset_id=asset.id, title=title, work_kind=work_kind, every=spec.every, unit=spec.unit,
                weekdays=",".join(map(str, spec.weekdays)), month_days=",".join(map(str, spec.month_days)),
                season=spec.season, starts_on=spec.starts_on, ends_on=spec.ends_on,
                created_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    record(actor, "asset", asset.id, "plan", {"plan": [None, f"{title}: {plan_rules.describe(spec)}"]})
    forget([asset.id])
    return plan


def stop_plan(actor, plan_id) -> Plan:
    plan = db.session.get(Plan, as_id(plan_id)) if as_id(plan_id) else None
    if plan is None:
        raise NotFound(_("There is no such plan."))
    asset_for_supervisor(actor, plan.asset_id)
    plan.active = False
    db.session.flush()
    record(actor, "asset", plan.asset_id, "plan_stopped", {"plan": [plan.title, None]})
    forget([plan.asset_id])
    return plan
