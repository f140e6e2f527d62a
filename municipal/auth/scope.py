"""The one visibility rule: which facilities, work orders, calendar items, citizen reports, areas and report
scopes a person may see, and so change when their role lets them change anything.

- Administrators: everything.
- Supervisors and viewers: the facilities in the areas they answer for and everything below them (an area
  path prefix, "/1/5/"), of the types they answer for. No areas means the whole district; no types, every
  type. Work orders, calendar items and citizen reports follow their facility; a citizen report naming
  no facility belongs to no area, so every supervisor sees it, or nobody would. A calendar event at a
  facility follows the facility; one for an area is seen in that area, below it and above it (a
  district-wide rainstorm concerns every town).
- Crew: the work assigned to them or to one of their teams, and the calendar items of that work; no
  citizen reports (supervisors triage those). They see the whole registry: it is what they scan and look
  up on site.
- Anyone not signed in: nothing.

Roles still decide what kind of change a person may make (services check them); this module decides where.
Plain module: no request objects, usable from services, jobs and the CLI alike.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..assets.models import Area, Asset
from ..calendar.models import CalendarEvent, CalendarItem
from ..errors import PermissionDenied
from ..intake.models import CitizenReport
from ..workorders.models import WorkOrder
from .models import EDITOR_ROLES, Team, User, team_member, user_area

# Who may be given work: those who go out and do it. Viewers only look; administrators hand out.
WORKER_ROLES = ("crew", "supervisor")


@dataclass(frozen=True)
class Scope:
    role: str
    user_id: int | None = None
    team_ids: tuple[int, ...] = ()
    # None: the whole district. Otherwise area paths, each covering itself and everything below it.
    paths: tuple[str, ...] | None = None
    # Empty: every type.
    types: tuple[str, ...] = ()

    @classmethod
    def of(cls, user) -> "Scope":
        role = getattr(user, "role", None)
        if role == "admin":
            return cls("admin", user_id=getattr(user, "id", None))
        if user is None or not getattr(user, "is_authenticated", False) or role is None:
            return cls("nobody", paths=())
        return cls(role, user_id=user.id, team_ids=tuple(team.id for team in user.teams),
                   paths=tuple(area.path for area in user.areas) or None,
                   types=tuple(user.asset_type_list))

    @property
    def everywhere(self) -> bool:
        """Whether no area and no type is out of reach (the whole district, every type)."""
        return self.role != "nobody" and self.paths is None and not self.types

    @property
    def by_assignment(self) -> bool:
        return self.role == "crew"

    # --- one object ------------------------------------------------------------------------

    def allows_area(self, area: Area | None) -> bool:
        if self.paths is None:
            return self.role != "nobody"
        return area is not None and any(area.path.startswith(path) for path in self.paths)

    def allows_place(self, area: Area | None, asset_type: str) -> bool:
        """Whether a facility of this type in this area (one being registered or moved) is in reach."""
        return self.allows_area(area) and (not self.types or asset_type in self.types)

    def _overlaps_area(self, area: Area | None) -> bool:
        if self.paths is None:
            return True
        return area is not None and any(area.path.startswith(p) or p.startswith(area.path) for p in self.paths)

    def _allows_facility(self, asset: Asset | None) -> bool:
        if self.by_assignment:
            return True
        return asset is not None and self.allows_place(asset.area, asset.type)

    def is_assigned(self, order: WorkOrder | None) -> bool:
        """Whether the work is the person's or one of their teams'."""
        return order is not None and self.user_id is not None and (
            order.assignee_user_id == self.user_id or order.assignee_team_id in self.team_ids)

    def allows(self, obj) -> bool:
        """Whether the person may see `obj`: a facility, work order, calendar item, citizen report, area,
        or a report's scope (reports.scope.Scope)."""
        if self.role == "nobody":
            return False
        if self.role == "admin":
            return True
        if isinstance(obj, Area):
            return self.allows_area(obj)
        if isinstance(obj, Asset):
            return self._allows_facility(obj)
        if isinstance(obj, WorkOrder):
            return self.is_assigned(obj) if self.by_assignment else self._allows_facility(obj.asset)
        if isinstance(obj, CalendarItem):
            return self.is_assigned(obj.work_order) if self.by_assignment else self._allows_facility(obj.asset)
        if isinstance(obj, CalendarEvent):
            if obj.asset_id is not None:
                return self._allows_facility(obj.asset)
            return self.by_assignment or self._overlaps_area(obj.area)
        if isinstance(obj, CitizenReport):
            return not self.by_assignment and (obj.asset is None or self._allows_facility(obj.asset))
        return self._allows_report(obj)

    def _allows_report(self, report_scope) -> bool:
        """A report covers every facility of its scope, so the person must see all of them."""
        if self.by_assignment:
            return False
        if report_scope.kind == "facility":
            return self._allows_facility(report_scope.asset)
        if report_scope.kind == "area":
            return not self.types and self.allows_area(report_scope.area)
        if report_scope.kind == "type":
            return self.paths is None and (not self.types or report_scope.asset_type in self.types)
        return self.everywhere

    def follows_team(self, team: Team) -> bool:
        """Whether the person may follow a team's calendar: supervisors any team's (its items are still
        only those they see), everyone else their own teams'."""
        return self.role in EDITOR_ROLES or team.id in self.team_ids

    def require(self, obj) -> None:
        """PermissionDenied unless `obj` is in reach, saying whether its area or its type is not."""
        if self.allows(obj):
            return
        if isinstance(obj, Area):
            self._refuse_place(obj, None)
        asset = obj if isinstance(obj, Asset) else getattr(obj, "asset", None)
        if asset is not None and not self.by_assignment:
            self._refuse_place(asset.area, asset.type)
        raise PermissionDenied(_("This is not yours to see or change."))

    def require_place(self, area: Area | None, asset_type: str) -> None:
        if not self.allows_place(area, asset_type):
            self._refuse_place(area, asset_type)

    def _refuse_place(self, area: Area | None, asset_type: str | None) -> None:
        if not self.allows_area(area):
            raise PermissionDenied(_("This facility is outside your areas of responsibility."))
        if asset_type is not None and self.types and asset_type not in self.types:
            raise PermissionDenied(_("This type of facility is not among those you answer for."))
        raise PermissionDenied(_("This is not yours to see or change."))

    # --- queries ---------------------------------------------------------------------------

    def _areas_below(self):
        return sa.select(Area.id).where(sa.or_(*[Area.path.startswith(path) for path in self.paths]))

    def _facility_condition(self):
        return self._place_condition(Asset.area_id, Asset.type)

    def _place_condition(self, area_column, type_column):
        conditions = []
        if self.paths is not None:
            conditions.append(area_column.in_(self._areas_below()) if self.paths else sa.false())
        if self.types:
            conditions.append(type_column.in_(self.types))
        return sa.and_(*conditions) if conditions else sa.true()

    @property
    def limits_areas(self) -> bool:
        """Whether the facilities in reach depend on their area, so that counting them needs it."""
        return self.role != "admin" and not self.by_assignment and self.paths is not None

    def place_clause(self, area_column, type_column):
        """clause(Asset) for rows that stand for facilities by their area and type columns (the map's cell
        counts): the same rule, the same result. `area_column` may be None when limits_areas is false."""
        if self.role == "nobody":
            return sa.false()
        if self.role == "admin" or self.by_assignment or self.everywhere:
            return sa.true()
        if area_column is None and self.limits_areas:
            raise TypeError("this person's reach depends on the area, and the rows carry none")
        return self._place_condition(area_column, type_column)

    def _facilities(self):
        return sa.select(Asset.id).where(self._facility_condition())

    def _names_facility(self, column):
        """`column` (a facility's id) names a facility in reach, looked up by its primary key row by row. For
        a column beside an OR (a report or an event may name none), IN (the facilities in reach) made
        PostgreSQL hash every facility of the person's areas for each query, even for one report: 200 ms
        with a million facilities."""
        return sa.exists().where(Asset.id == column, self._facility_condition())

    def _assigned_orders(self):
        return sa.select(WorkOrder.id).where(sa.or_(WorkOrder.assignee_user_id == self.user_id,
                                                    WorkOrder.assignee_team_id.in_(self.team_ids)))

    def clause(self, model):
        """A condition on `model` (Asset, WorkOrder, CalendarItem, CalendarEvent, CitizenReport, Area) keeping
        what the person may see; subqueries only, so the caller's joins stay its own."""
        if self.role == "nobody":
            return sa.false()
        if self.role == "admin":
            return sa.true()
        if model is Area:
            if self.paths is None:
                return sa.true()
            return sa.or_(*[Area.path.startswith(path) for path in self.paths]) if self.paths else sa.false()
        if self.by_assignment:
            return {Asset: sa.true(), CalendarEvent: sa.true(),
                    WorkOrder: WorkOrder.id.in_(self._assigned_orders()),
                    CalendarItem: CalendarItem.work_order_id.in_(self._assigned_orders()),
                    CitizenReport: sa.false()}[model]
        if self.everywhere:
            return sa.true()
        if model is Asset:
            return self._facility_condition()
        if model is WorkOrder:
            # "+ 0": SQLite would otherwise drive the query from the facility list through the asset_id index,
            # fetching every work order of every facility in reach one by one (seconds for a district-wide
            # scope on a 200,000-order board); as an expression the list is probed while the work orders are
            # read in the order of the query's own index. PostgreSQL hashes the list either way.
            return (WorkOrder.asset_id + 0).in_(self._facilities())
        if model is CalendarItem:
            return CalendarItem.asset_id.in_(self._facilities())
        if model is CitizenReport:
            return sa.or_(CitizenReport.asset_id.is_(None), self._names_facility(CitizenReport.asset_id))
        if model is CalendarEvent:
            areas = sa.select(Area.id).where(self._overlaps(Area.path)) if self.paths is not None else None
            return sa.or_(self._names_facility(CalendarEvent.asset_id),
                          sa.and_(CalendarEvent.asset_id.is_(None),
                                  CalendarEvent.area_id.in_(areas) if areas is not None else sa.true()))
        raise TypeError(f"no visibility rule for {model!r}")

    # --- whom work may be given to -----------------------------------------------------------

    def _overlaps(self, path_column):
        """An area path inside one of the person's areas, or containing one of them."""
        return sa.or_(*[sa.or_(path_column.startswith(p), sa.literal(p).startswith(path_column))
                        for p in self.paths])

    def teams_clause(self):
        """Teams the person may give work to: those working in (or over) the person's areas, and teams
        bound to no area."""
        if self.paths is None:
            return sa.true()
        in_reach = sa.select(Team.id).join(Area, Area.id == Team.area_id).where(self._overlaps(Area.path))
        return sa.or_(Team.area_id.is_(None), Team.id.in_(in_reach))

    def people_clause(self):
        """People the person may give work to: those working in (or over) the person's areas, by their own
        areas, or else by their teams' areas; people with neither work anywhere."""
        if self.paths is None:
            return sa.true()
        own = (sa.select(user_area.c.user_id).join(Area, Area.id == user_area.c.area_id)
               .where(self._overlaps(Area.path)))
        by_team = (sa.select(team_member.c.user_id).join(Team, Team.id == team_member.c.team_id)
                   .join(Area, Area.id == Team.area_id).where(self._overlaps(Area.path)))
        has_own = sa.exists().where(user_area.c.user_id == User.id)
        has_team_area = sa.exists().where(team_member.c.user_id == User.id, team_member.c.team_id == Team.id,
                                          Team.area_id.is_not(None))
        return sa.or_(User.id.in_(own), sa.and_(~has_own, User.id.in_(by_team)),
                      sa.and_(~has_own, ~has_team_area))


def _covers(area: Area | None, asset: Asset) -> bool:
    return area is None or (asset.area is not None and asset.area.path.startswith(area.path))


def may_do_work(user: User) -> bool:
    """Whether work may be assigned to this person at all: an active crew member or supervisor."""
    return user.active and user.role in WORKER_ROLES


def works_at(user: User, asset: Asset) -> bool:
    """Whether a person works where the facility is: by their own areas, or else their teams' areas;
    neither means the whole district."""
    areas = list(user.areas) or [team.area for team in user.teams if team.area is not None]
    return not areas or any(_covers(area, asset) for area in areas)


def team_covers_area(team: Team, asset: Asset) -> bool:
    return _covers(team.area, asset)


def team_covers_type(team: Team, asset: Asset) -> bool:
    types = [t.strip() for t in (team.asset_types or "").split(",") if t.strip()]
    return not types or asset.type in types


def answering_for(area: Area, asset_type: str | None = None):
    """A condition on User, Scope.allows read the other way: the active supervisors and administrators who
    answer for `area` (theirs or one above it; no areas of their own means the whole district) and, when
    given, for facilities of `asset_type`."""
    lineage = [int(part) for part in area.path.strip("/").split("/") if part] or [area.id]
    responsible = sa.select(user_area.c.user_id).where(user_area.c.area_id.in_(lineage))
    anywhere = ~sa.exists().where(user_area.c.user_id == User.id)
    conditions = [User.active.is_(True), User.role.in_(EDITOR_ROLES), sa.or_(User.id.in_(responsible), anywhere)]
    if asset_type is not None:
        listed = (sa.literal(",") + User.asset_types + sa.literal(",")).contains(f",{asset_type},", autoescape=True)
        conditions.append(sa.or_(User.role == "admin", User.asset_types == "", listed))
    return sa.and_(*conditions)


def answering_for_district():
    """A condition on User: active admins, and supervisors who answer for the whole district (no areas of
    their own, or the district itself)."""
    district_wide = (sa.select(user_area.c.user_id).join(Area, Area.id == user_area.c.area_id)
                     .where(Area.parent_id.is_(None)))
    anywhere = ~sa.exists().where(user_area.c.user_id == User.id)
    return sa.and_(User.active.is_(True),
                   sa.or_(User.role == "admin",
                          sa.and_(User.role == "supervisor", sa.or_(User.id.in_(district_wide), anywhere))))


def require_supervisor(actor, *objects, message: str | None = None) -> Scope:
    """PermissionDenied unless the actor is a supervisor or administrator with every object in reach."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in."))
    if actor.role not in EDITOR_ROLES:
        raise PermissionDenied(message or _("Only supervisors and administrators may do this."))
    scope = Scope.of(actor)
    for obj in objects:
        scope.require(obj)
    return scope
