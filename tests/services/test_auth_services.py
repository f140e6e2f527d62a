"""Accounts, teams and sign-in throttling, against the real database."""
from datetime import timedelta

import pytest

from municipal.auth import services, signin
from municipal.auth import teams as team_services
from municipal.auth import tokens as token_services
from municipal.db import utcnow
from municipal.errors import Conflict, PermissionDenied, Unauthorized, ValidationError
from tests.conftest import PASSWORD


def test_passwords_are_stored_hashed(db, users):
    assert PASSWORD not in users["crew"].password_hash
    assert signin.authenticate("crew", PASSWORD) is users["crew"]


def test_sign_in_locks_after_repeated_failures_even_with_the_right_password(app, db, users):
    now = utcnow()
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(Unauthorized):
            signin.sign_in("crew", "wrong", "10.0.0.1", now=now + timedelta(seconds=i))
    with pytest.raises(signin.TooManyAttempts) as locked:
        signin.sign_in("crew", PASSWORD, "10.0.0.2", now=now + timedelta(minutes=1))
    assert locked.value.status == 429 and "15" in locked.value.message
    later = now + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"], seconds=10)
    assert signin.sign_in("crew", PASSWORD, "10.0.0.2", now=later) is users["crew"]


def test_a_success_resets_the_count(app, db, users):
    now = utcnow()
    for i in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        with pytest.raises(Unauthorized):
            signin.sign_in("crew", "wrong", "10.0.0.1", now=now + timedelta(seconds=i))
    signin.sign_in("crew", PASSWORD, "10.0.0.1", now=now + timedelta(seconds=10))
    with pytest.raises(Unauthorized):
        signin.sign_in("crew", "wrong", "10.0.0.1", now=now + timedelta(seconds=11))
    assert signin.sign_in("crew", PASSWORD, "10.0.0.1", now=now + timedelta(seconds=12)) is users["crew"]


def test_one_address_guessing_many_names_is_locked(app, db, users):
    now = utcnow()
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        with pytest.raises(Unauthorized):
            signin.sign_in(f"guess{i}", "wrong", "10.9.9.9", now=now + timedelta(seconds=i))
    with pytest.raises(signin.TooManyAttempts):
        signin.sign_in("viewer", PASSWORD, "10.9.9.9", now=now + timedelta(minutes=1))
    assert signin.sign_in("viewer", PASSWORD, "10.0.0.5", now=now + timedelta(minutes=1)) is users["viewer"]


def test_only_admins_manage_people(db, users):
    with pytest.raises(PermissionDenied):
        team_services.create_team(users["supervisor"], "鼓山一队")
    with pytest.raises(PermissionDenied):
        services.update_user(users["supervisor"], users["crew"], role="admin")


def test_teams_with_area_types_and_members(db, users, area):
    team = team_services.create_team(users["admin"], " 鼓山一队 ", area.code, ["reservoir", "manhole"])
    team_services.set_members(users["admin"], team, [users["crew"].id])
    assert (team.name, team.area, team.asset_types) == ("鼓山一队", area, "reservoir,manhole")
    assert users["crew"].teams == [team] and team_services.is_member(users["crew"], team)
    with pytest.raises(Conflict):
        team_services.create_team(users["admin"], "鼓山一队")
    with pytest.raises(ValidationError) as bad:
        team_services.update_team(users["admin"], team, area_code="nowhere", asset_types=["spaceship"])
    assert set(bad.value.fields) == {"area", "asset_types"}
    with pytest.raises(ValidationError) as bad:
        team_services.set_members(users["admin"], team, [999999])
    assert "members" in bad.value.fields


def test_supervisor_areas_of_responsibility(db, users, area):
    from municipal.auth.scope import Scope

    supervisor = users["supervisor"]
    assert Scope.of(supervisor).allows(area.parent)  # no area set: the whole district
    services.set_user_areas(users["admin"], supervisor, [area.code])
    assert Scope.of(supervisor).allows(area)
    assert not Scope.of(supervisor).allows(area.parent)
    with pytest.raises(ValidationError) as bad:
        services.set_user_areas(users["admin"], supervisor, ["nowhere"])
    assert "areas" in bad.value.fields


def test_the_last_admin_stays(db, users):
    with pytest.raises(Conflict):
        services.update_user(users["admin"], users["admin"], role="viewer")
    with pytest.raises(Conflict):
        services.deactivate_user(users["admin"], users["admin"])
    services.update_user(users["admin"], users["supervisor"], role="admin")
    services.update_user(users["supervisor"], users["admin"], role="viewer")
    assert users["admin"].role == "viewer"


def test_deactivated_users_cannot_sign_in(db, users):
    services.deactivate_user(users["admin"], users["crew"])
    with pytest.raises(Unauthorized):
        signin.sign_in("crew", PASSWORD, "10.0.0.1")


def test_tokens_scopes_and_revocation_by_prefix(db, users):
    token, plain = token_services.create_token(users["crew"], "phone", scopes=["read"])
    assert token.allows("read") and not token.allows("write") and plain not in token.token_hash
    assert token_services.create_token(users["crew"], "tablet")[0].scopes == "read write"
    with pytest.raises(ValidationError):
        token_services.create_token(users["crew"], "x", scopes=["admin"])
    assert token_services.find_token_by_prefix(plain[:10]) is token
    token_services.revoke_token(None, token)
    assert token_services.user_for_token(plain) is None


def test_changes_to_people_and_teams_are_in_the_audit_trail_without_password_hashes(db, users):
    from municipal.audit.reading import entries_for
    from municipal.audit.verification import verify

    admin, crew = users["admin"], users["crew"]
    services.update_user(admin, crew, role="supervisor", display_name="陈组长")
    services.reset_password(admin, crew, "a much better password")
    team = team_services.create_team(admin, "宦溪巡查班")
    team_services.set_members(admin, team, [crew.id])
    db.session.commit()
    user_log = entries_for("user", crew.id)
    assert [e.action for e in user_log][:2] == ["password_reset", "update"]
    assert user_log[1].changes["role"] == ["crew", "supervisor"]
    assert all("password_hash" not in (e.changes or {}) for e in user_log)
    assert entries_for("team", team.id)[0].changes == {"members": [[], ["crew"]]}
    assert verify() == []
