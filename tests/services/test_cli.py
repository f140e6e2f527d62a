"""The administrator's commands: the schema brought up to date any number of times, accounts and tokens."""
import sqlalchemy as sa

from municipal.auth.models import User
from municipal.auth.signin import authenticate


def test_init_db_run_again_changes_nothing_and_health_answers(app, db, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Schema is up to date" in second.output and "0 new, 0 new versions" in second.output
    health = client.get("/healthz")
    assert health.status_code == 200


def test_an_account_and_its_api_token_from_the_command_line(app, db, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-user", "linwei", "--role", "viewer", "--password", "a long passphrase 2026",
                               "--name", "林伟"])
    assert made.exit_code == 0, made.output
    user = db.session.scalar(sa.select(User).where(User.username == "linwei"))
    assert user.role == "viewer" and authenticate("linwei", "a long passphrase 2026") is not None
    twice = runner.invoke(args=["create-user", "linwei", "--role", "viewer", "--password", "a long passphrase 2026"])
    assert twice.exit_code == 2

    token = runner.invoke(args=["create-token", "linwei", "--name", "tablet", "--scope", "read"])
    assert token.exit_code == 0, token.output
    plain = token.stdout.strip().splitlines()[0]
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/assets", headers=headers).status_code == 200
    assert client.post("/api/v1/assets", headers=headers, json={}).status_code == 403
    assert runner.invoke(args=["create-token", "nobody"]).exit_code == 2
