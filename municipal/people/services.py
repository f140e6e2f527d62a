"""Changing responsible persons and assignment rules. Flushes, never commits."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..assets import services as asset_services
from ..assets.models import Area, Asset, find_area
from ..assets.types import TYPES, api_role
from ..audit.services import record
from ..auth.models import Team, User
from ..auth.scope import Scope, may_do_work, require_supervisor
from ..db import as_id
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..workorders.states import KINDS
from . import precedence
from .assignment import rule_of
from .models import AssignmentRule

# --- responsible persons ------------------------------------------------------------------


def person_dicts(asset: Asset) -> list[dict]:
    """A facility's persons as the persons API names them (a river's chief by level)."""
    out = []
    for p in asset.persons:
        person = {"role": api_role(p.role, p.level), "name": p.name, "unit": p.unit or "",
                  "position": p.position or "", "phone": p.phone or "", "user_id": p.user_id}
        if asset.type == "river_segment":
            person["river_chief_day"] = bool(p.river_chief_day)
        out.append(person)
    return out


def set_persons(actor, asset: Asset, persons, version=None) -> Asset:
    """Replace a facility's persons; with `version`, only if the facility is still at it. A change moves the
    facility's version on, so the public card (cached by it) shows the new persons at once."""
    if persons is None:
        raise ValidationError(_("The persons were not saved."), {"persons": _("must be a list of people")})
    return asset_services.update_asset(actor, asset, {"persons": persons},
                                       asset.version if version in (None, "") else version)


# --- assignment rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    winner: AssignmentRule
    loser: AssignmentRule


def list_rules(actor) -> tuple[list[AssignmentRule], list[Overlap]]:
    """Every rule, the deciding ones first, and the pairs that overlap."""
    require_supervisor(actor)
    rows = {row.id: row for row in db.session.scalars(sa.select(AssignmentRule).options(
        joinedload(AssignmentRule.area), joinedload(AssignmentRule.user), joinedload(AssignmentRule.team)))}
    paths = dict(db.session.execute(sa.select(Area.id, Area.path)).all())
    rules = [rule_of(row, paths) for row in rows.values()]
    ordered = [rows[rule.id] for rule in precedence.ordered(rules)]
    overlaps = [Overlap(rows[a.id], rows[b.id]) for a, b in precedence.overlaps(rules)]
    return ordered, overlaps


def create_rule(actor, *, area="", asset_type="", kind="", user_id=None, team_id=None) -> AssignmentRule:
    """A rule the supervisor sets. Refused (422, naming the field) when it points at no one who may be given
    work — a deactivated user, a viewer, an inactive team — or repeats a rule there is."""
    require_supervisor(actor)
    errors = {}
    area_row = None
    if area not in (None, ""):
        area_row = find_area(area)
        if area_row is None or area_row.retired_at is not None:
            errors["area"] = _("no such area")
    asset_type = asset_type or ""
    if asset_type and asset_type not in TYPES:
        errors["asset_type"] = _("unknown asset type %(type)s; use one of %(types)s", type=asset_type,
                                 types=", ".join(TYPES))
    kind = kind or ""
    if kind and kind not in KINDS:
        errors["kind"] = _("unknown kind of work")
    user = team = None
    if user_id not in (None, "") and team_id not in (None, ""):
        errors["user"] = _("choose a person or a team, not both")
    elif user_id not in (None, ""):
        user = db.session.get(User, as_id(user_id)) if as_id(user_id) else None
        if user is None:
            errors["user"] = _("no such user")
        elif not user.active:
            errors["user"] = _("this account is deactivated: work cannot be given to it")
        elif not may_do_work(user):
            errors["user"] = _("a viewer cannot be given work")
    elif team_id not in (None, ""):
        team = db.session.get(Team, as_id(team_id)) if as_id(team_id) else None
        if team is None or not team.active:
            errors["team"] = _("no such active team")
    else:
        errors["user"] = _("choose a person or a team")
    if not errors and db.session.scalar(sa.select(AssignmentRule.id).where(
            AssignmentRule.area_id.is_(None) if area_row is None else AssignmentRule.area_id == area_row.id,
            AssignmentRule.asset_type == asset_type, AssignmentRule.kind == kind)) is not None:
        errors["kind"] = _("a rule for this area, type and kind exists already: delete it first")
    if errors:
        raise ValidationError(_("The assignment rule was not saved."), errors)
    if area_row is not None or asset_type:
        Scope.of(actor).require_place(area_row, asset_type or None)
    rule = AssignmentRule(area=area_row, asset_type=asset_type, kind=kind, user=user, team=team,
                          created_by_id=actor.id)
    db.session.add(rule)
    db.session.flush()
    record(actor, "assignment_rule", rule.id, "create", {
        "area": [None, area_row.code if area_row else None], "asset_type": [None, asset_type or None],
        "kind": [None, kind or None], "user": [None, user.username if user else None],
        "team": [None, team.name if team else None]})
    return rule


def delete_rule(actor, rule_id) -> None:
    require_supervisor(actor)
    rule = db.session.get(AssignmentRule, as_id(rule_id)) if as_id(rule_id) else None
    if rule is None:
        raise NotFound(_("There is no such assignment rule."))
    if rule.area is not None or rule.asset_type:
        Scope.of(actor).require_place(rule.area, rule.asset_type or None)
    record(actor, "assignment_rule", rule.id, "delete", {
        "area": [rule.area.code if rule.area else None, None], "asset_type": [rule.asset_type or None, None],
        "kind": [rule.kind or None, None]})
    db.session.delete(rule)
    db.session.flush()
