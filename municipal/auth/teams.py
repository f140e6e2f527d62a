"""Teams: creating and changing them (name, area, facility types), their members. Flushes, never commits."""
from collections.abc import Iterable
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import diff, record, snapshot
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from .checks import clean_asset_types, find_areas, require_admin
from .models import Team, User


def is_member(user: User, team: Team) -> bool:
    """A crew sees the work of its own teams."""
    return any(t.id == team.id for t in user.teams)


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("There is no such team."))
    return team


def clean_webhook(url: str | None, errors: dict) -> str | None:
    """An http(s) address of a group robot, or None for none."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        errors["webhook_url"] = _("An http or https address of at most 500 characters is required.")
    return url


def _clean_team(name, area_code, asset_types, webhook_url=None) -> tuple[dict, dict]:
    errors, values = {}, {}
    if webhook_url is not None:
        values["webhook_url"] = clean_webhook(webhook_url, errors)
    if name is not None:
        values["name"] = name.strip()
        if not 0 < len(values["name"]) <= 100:
            errors["name"] = _("A name of 1 to 100 characters is required.")
    if area_code is not None:
        values["area"] = None
        if str(area_code).strip():
            try:
                values["area"] = find_areas([area_code], "area")[0]
            except ValidationError as error:
                errors.update(error.fields)
    if asset_types is not None:
        values["asset_types"] = clean_asset_types(asset_types, errors)
    return values, errors


def _check_team_name(name: str, team: Team | None) -> None:
    query = sa.select(Team.id).where(Team.name == name)
    if team is not None:
        query = query.where(Team.id != team.id)
    if db.session.scalar(query):
        raise Conflict(_("There is already a team named %(name)s.", name=name), {"name": _("already taken")})


def create_team(actor: User, name: str, area_code: str = "", asset_types: Iterable[str] = (),
                webhook_url: str = "") -> Team:
    """`asset_types` empty means the team looks after every type."""
    require_admin(actor)
    values, errors = _clean_team(name or "", area_code, list(asset_types), webhook_url)
    if errors:
        raise ValidationError(_("The team could not be created."), errors)
    _check_team_name(values["name"], None)
    team = Team(name=values["name"], area=values["area"], asset_types=values["asset_types"],
                webhook_url=values["webhook_url"])
    db.session.add(team)
    db.session.flush()
    record(actor, "team", team.id, "create", diff({}, _audited(team)))
    return team


def _audited(team: Team) -> dict:
    # Whether a robot is set, never its address: the address is the robot's secret.
    return {**snapshot(team, exclude={"webhook_url"}), "webhook": bool(team.webhook_url)}


def update_team(actor: User, team: Team, *, name: str | None = None, area_code: str | None = None,
                asset_types: Iterable[str] | None = None, active: bool | None = None,
                webhook_url: str | None = None) -> Team:
    require_admin(actor)
    values, errors = _clean_team(name, area_code, None if asset_types is None else list(asset_types), webhook_url)
    if errors:
        raise ValidationError(_("The team could not be saved."), errors)
    before = _audited(team)
    if "webhook_url" in values:
        team.webhook_url = values["webhook_url"]
    if "name" in values:
        _check_team_name(values["name"], team)
        team.name = values["name"]
    if "area" in values:
        team.area = values["area"]
    if "asset_types" in values:
        team.asset_types = values["asset_types"]
    if active is not None:
        team.active = active
    db.session.flush()
    record(actor, "team", team.id, "update", diff(before, _audited(team)))
    return team


def set_members(actor: User, team: Team, user_ids: Iterable[int]) -> Team:
    require_admin(actor)
    ids = sorted({int(i) for i in user_ids})
    members = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    missing = set(ids) - {u.id for u in members}
    if missing:
        raise ValidationError(_("The members could not be saved."),
                              {"members": _("unknown user %(id)s", id=", ".join(map(str, sorted(missing))))})
    before = [u.username for u in team.members]
    team.members = members
    db.session.flush()
    after = [u.username for u in team.members]
    if after != before:
        record(actor, "team", team.id, "members", {"members": [before, after]})
    return team


def list_teams() -> list[Team]:
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))
