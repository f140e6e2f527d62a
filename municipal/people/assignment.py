"""Who gets new work: the supervisor's assignment rules, then the fallbacks. Reads only, never writes.

An Assigner loads what it needs once — the rules, the areas' paths, the teams — and then decides for any
number of work orders in memory, asking the database only for the facilities' patrol persons (one query per
batch) and for an area's supervisor the first time that area and type fall through to its queue. The
calendar makes tens of thousands of work orders at a time: never one query per order.

The order: the most specific matching rule (precedence.py); else the facility's patrol person, when linked
to a user who may be given work; else the active team covering the facility's area and type (the one with
the deepest area); else the queue of the supervisor answering for the area.
"""
from dataclasses import dataclass

import sqlalchemy as sa

from ..assets.models import Area, ResponsiblePerson
from ..assets.types import PATROL_ROLES
from ..auth.models import Team, User
from ..auth.scope import WORKER_ROLES, answering_for, answering_for_district
from ..extensions import db
from ..i18n import N_
from . import precedence
from .models import AssignmentRule

BASES = {
    "rule": N_("an assignment rule"),
    "patrol": N_("the facility's patrol person"),
    "team": N_("the team covering the area"),
    "supervisor": N_("the area supervisor's queue"),
    "released": N_("given back to the team: the assignee no longer works"),
}


@dataclass(frozen=True)
class Target:
    user_id: int | None
    team_id: int | None
    basis: str  # a key of BASES, "" when nobody could be found
    rule_id: int | None = None


NOBODY = Target(None, None, "")


def _usable_users() -> sa.Select:
    return sa.select(User.id).where(User.active.is_(True), User.role.in_(WORKER_ROLES))


class Assigner:
    """Decisions for many work orders with a handful of queries. Build one per batch of new work."""

    def __init__(self, leaving_out: int | None = None):
        self.paths = dict(db.session.execute(sa.select(Area.id, Area.path)).all())
        usable = set(db.session.scalars(_usable_users()))
        usable.discard(leaving_out)
        self.usable = usable
        teams = db.session.execute(sa.select(Team.id, Team.area_id, Team.asset_types).where(Team.active.is_(True))).all()
        self.rules = precedence.ordered(
            rule for rule in (rule_of(row, self.paths) for row in db.session.scalars(sa.select(AssignmentRule)))
            if (rule.user_id in usable) or (rule.team_id is not None and any(t.id == rule.team_id for t in teams)))
        # Deepest area first, then teams that name their types, then the older team.
        self.teams = sorted(
            ((team.id, self.paths.get(team.area_id) if team.area_id else None,
              {t.strip() for t in (team.asset_types or "").split(",") if t.strip()}) for team in teams),
            key=lambda team: (-(team[1] or "").count("/"), not team[2], team[0]))
        self._supervisors: dict = {}
        self.patrols: dict[int, int] = {}

    def load_patrols(self, asset_ids) -> None:
        """The patrol persons linked to a user who may be given work, of these facilities: one query."""
        ids = [asset_id for asset_id in set(asset_ids) if asset_id not in self.patrols]
        conditions = [sa.and_(ResponsiblePerson.role == role,
                              ResponsiblePerson.level.is_(None) if level is None else ResponsiblePerson.level == level)
                      for role, level in set(PATROL_ROLES.values())]
        for first in range(0, len(ids), 5000):
            rows = db.session.execute(
                sa.select(ResponsiblePerson.asset_id, ResponsiblePerson.user_id)
                .where(ResponsiblePerson.asset_id.in_(ids[first:first + 5000]), ResponsiblePerson.user_id.is_not(None),
                       sa.or_(*conditions)).order_by(ResponsiblePerson.id.desc()))
            self.patrols.update((asset_id, user_id) for asset_id, user_id in rows if user_id in self.usable)

    def decide(self, asset_id: int, area_id: int | None, asset_type: str, kind: str) -> Target:
        path = self.paths.get(area_id) if area_id else None
        rule = precedence.deciding(self.rules, path, asset_type, kind)
        if rule is not None:
            return Target(rule.user_id, rule.team_id, "rule", rule.id)
        patrol = self.patrols.get(asset_id)
        if patrol is not None:
            return Target(patrol, None, "patrol")
        for team_id, team_path, types in self.teams:
            if (team_path is None or (path or "").startswith(team_path)) and (not types or asset_type in types):
                return Target(None, team_id, "team")
        supervisor = self._supervisor(area_id, asset_type)
        return Target(supervisor, None, "supervisor") if supervisor is not None else NOBODY

    def _supervisor(self, area_id: int | None, asset_type: str) -> int | None:
        key = (area_id, asset_type)
        if key not in self._supervisors:
            area = db.session.get(Area, area_id) if area_id else None
            condition = answering_for(area, asset_type) if area is not None else answering_for_district()
            # The oldest account first: the same queue every time.
            candidates = db.session.scalars(sa.select(User.id).where(condition, User.role.in_(WORKER_ROLES))
                                            .order_by(User.id)).all()
            chosen = [user_id for user_id in candidates if user_id in self.usable]
            self._supervisors[key] = chosen[0] if chosen else None
        return self._supervisors[key]


def rule_of(row: AssignmentRule, paths: dict) -> precedence.Rule:
    return precedence.Rule(row.id, paths.get(row.area_id) if row.area_id else None, row.asset_type or "",
                           row.kind or "", row.user_id, row.team_id)
