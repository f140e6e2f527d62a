"""REST API v1 for the current user, and for administrators: users, teams and API tokens.

The services check the rules (unique names, the last active administrator, known areas and types);
they also refuse anyone but an administrator, behind the role declared here.
"""
from flask_babel import gettext as _
from flask_login import current_user

from ..api import MAX_ID, ApiBlueprint
from ..errors import NotFound, ValidationError
from ..i18n import N_
from ..permissions import roles, signed_in
from . import services
from . import teams as team_services
from . import tokens as token_services
from .schemas import (
    MeSchema,
    MeUpdateSchema,
    TeamCreateSchema,
    TeamListSchema,
    TeamSchema,
    TeamUpdateSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenListSchema,
    TokenSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from .views import keep_session

USER_ID = f"<int(max={MAX_ID}):user_id>"
TEAM_ID = f"<int(max={MAX_ID}):team_id>"
TOKEN_ID = f"<int(max={MAX_ID}):token_id>"
PER_PAGE = 50

me_bp = ApiBlueprint("me_api", __name__, description=N_("You"))
users_bp = ApiBlueprint("users_api", __name__, description=N_("Users"))
teams_bp = ApiBlueprint("teams_api", __name__, description=N_("Teams"))
tokens_bp = ApiBlueprint("tokens_api", __name__, description=N_("API tokens"))


def blueprints():
    return [me_bp, users_bp, teams_bp, tokens_bp]


@me_bp.route("/me")
@signed_in
@me_bp.doc(summary=N_("Who you are: your role, areas and teams"))
@me_bp.response(200, MeSchema)
def me():
    return current_user


@me_bp.route("/me", methods=["PATCH"])
@signed_in
@me_bp.doc(summary=N_("Set your email address for notifications"))
@me_bp.arguments(MeUpdateSchema)
@me_bp.response(200, MeSchema)
def update_me(data):
    services.set_own_email(current_user, data["email"])
    return current_user


# --- users -------------------------------------------------------------------------

@users_bp.route("/users")
@roles("admin")
@users_bp.doc(summary=N_("List the users by user name"),
              description=N_("A page at a time; `pages` says how many pages there are."))
@users_bp.arguments(UserQuerySchema, location="query")
@users_bp.response(200, UserPageSchema)
def list_users(query):
    rows, total = services.list_users(query["page"], PER_PAGE)
    return {"items": rows, "total": total, "page": query["page"], "pages": max(1, -(-total // PER_PAGE))}


@users_bp.route("/users", methods=["POST"])
@roles("admin")
@users_bp.doc(summary=N_("Create a user"))
@users_bp.arguments(UserCreateSchema)
@users_bp.response(201, UserSchema)
def create_user(data):
    user = services.create_user(data["username"], data["password"], data["role"], data.get("display_name", ""),
                                actor=current_user, email=data.get("email"))
    if data.get("areas"):
        services.set_user_areas(current_user, user, data["areas"])
    if data.get("asset_types"):
        services.set_user_asset_types(current_user, user, data["asset_types"])
    return user


@users_bp.route(f"/users/{USER_ID}")
@roles("admin")
@users_bp.doc(summary=N_("Read a user"))
@users_bp.response(200, UserSchema)
def get_user(user_id):
    return services.get_user(user_id)


@users_bp.route(f"/users/{USER_ID}", methods=["PATCH"])
@roles("admin")
@users_bp.doc(summary=N_("Change a user"), description=N_(
    "Send only what changes. The last active administrator cannot be demoted or deactivated, "
    "nor can you deactivate yourself: both are a 409."))
@users_bp.arguments(UserUpdateSchema)
@users_bp.response(200, UserSchema)
def update_user(data, user_id):
    user = services.get_user(user_id)
    if data.get("active") is False:
        services.deactivate_user(current_user, user)
    # Only when something of the user itself changes: an empty change would still be written to the trail.
    if {"role", "display_name", "email"} & set(data) or data.get("active"):
        email = (data["email"] or "") if "email" in data else None
        services.update_user(current_user, user, role=data.get("role"), display_name=data.get("display_name"),
                             active=True if data.get("active") else None, email=email)
    if "areas" in data:
        services.set_user_areas(current_user, user, data["areas"] or [])
    if "asset_types" in data:
        services.set_user_asset_types(current_user, user, data["asset_types"] or [])
    if "password" in data:
        services.reset_password(current_user, user, data["password"])
    if "password" in data:
        keep_session(user)
    return user


# --- teams -------------------------------------------------------------------------

@teams_bp.route("/teams")
@roles("admin")
@teams_bp.doc(summary=N_("List the teams by name"))
@teams_bp.response(200, TeamListSchema)
def list_teams():
    return {"items": team_services.list_teams()}


@teams_bp.route("/teams", methods=["POST"])
@roles("admin")
@teams_bp.doc(summary=N_("Create a team"))
@teams_bp.arguments(TeamCreateSchema)
@teams_bp.response(201, TeamSchema)
def create_team(data):
    team = team_services.create_team(current_user, data["name"], data.get("area") or "", data.get("asset_types") or [])
    if data.get("members"):
        team_services.set_members(current_user, team, data["members"])
    return team


@teams_bp.route(f"/teams/{TEAM_ID}")
@roles("admin")
@teams_bp.doc(summary=N_("Read a team"))
@teams_bp.response(200, TeamSchema)
def get_team(team_id):
    return team_services.get_team(team_id)


@teams_bp.route(f"/teams/{TEAM_ID}", methods=["PATCH"])
@roles("admin")
@teams_bp.doc(summary=N_("Change a team"), description=N_("Send only what changes; `members` replaces the members."))
@teams_bp.arguments(TeamUpdateSchema)
@teams_bp.response(200, TeamSchema)
def update_team(data, team_id):
    team = team_services.get_team(team_id)
    if {"name", "area", "asset_types", "active"} & set(data):
        team_services.update_team(current_user, team, name=data.get("name"),
                                  area_code=(data["area"] or "") if "area" in data else None,
                                  asset_types=data.get("asset_types"), active=data.get("active"))
    if "members" in data:
        team_services.set_members(current_user, team, data["members"] or [])
    return team


# --- API tokens --------------------------------------------------------------------

@tokens_bp.route("/tokens")
@roles("admin")
@tokens_bp.doc(summary=N_("List the API tokens, revoked ones included"))
@tokens_bp.response(200, TokenListSchema)
def list_tokens():
    return {"items": token_services.list_tokens()}


@tokens_bp.route("/tokens", methods=["POST"])
@roles("admin")
@tokens_bp.doc(summary=N_("Create an API token for a user"), description=N_(
    "The answer carries the token itself, the only time it is shown; only its hash is kept."))
@tokens_bp.arguments(TokenCreateSchema)
@tokens_bp.response(201, TokenCreatedSchema)
def create_token(data):
    token, plain = token_services.create_token(_token_user(data["user"]), data["name"], data.get("days"),
                                               scopes=data["scopes"], actor=current_user,
                                               facilities=data.get("facilities"))
    return {"api_token": token, "token": plain}


def _token_user(user_id: int):
    try:
        return services.get_user(user_id)
    except NotFound as error:
        raise ValidationError(_("The token was not created."), {"user": error.message}) from None


@tokens_bp.route(f"/tokens/{TOKEN_ID}/revoke", methods=["POST"])
@roles("admin")
@tokens_bp.doc(summary=N_("Revoke an API token"),
               description=N_("Refused from the next request on; revoking it again changes nothing."))
@tokens_bp.response(200, TokenSchema)
def revoke_token(token_id):
    token = token_services.revoke_token(current_user, token_services.get_token(token_id))
    return token
