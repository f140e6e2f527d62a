"""The `municipal` commands, registered on the app by create_app (the console script is console.py)."""
import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .cli_support import fail
from .extensions import db


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the schema and load the checklist templates (safe to run again)."""
    from .workorders.checklists import sync_templates

    upgrade()
    click.echo(f"Schema is up to date ({db.engine.url.render_as_string(hide_password=True)}).")
    counts = sync_templates()
    db.session.commit()
    click.echo("Checklist templates: {created} new, {updated} new versions, {unchanged} unchanged.".format(**counts))


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "supervisor", "crew", "viewer"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Name shown in the interface.")
@with_appcontext
def create_user(username, role, password, display_name):
    """Create an account."""
    from .auth import services
    from .errors import DomainError

    try:
        user = services.create_user(username, password, role, display_name)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(f"{error.message} {error.fields or ''}")
    click.echo(f"Created {user.role} {user.username}.")


@click.command("create-token")
@click.argument("username")
@click.option("--name", default="api", help="What the token is for, e.g. the device.")
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="Expire after this many days.")
@click.option("--scope", type=click.Choice(["read", "write", "readings:write"]), default="write", show_default=True,
              help="read: GET only; write: may also change data; readings:write: a gauge's token, which may only "
                   "post readings for the --facility given.")
@click.option("--facility", "facilities", multiple=True, help="A facility (code or number) a readings:write "
                                                              "token reports for; repeat for more.")
@with_appcontext
def create_token(username, name, days, scope, facilities):
    """Create a bearer API token for USERNAME and print it once."""
    import sqlalchemy as sa

    from .auth import tokens as token_services
    from .auth.models import User
    from .errors import DomainError

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        fail(f"No user {username}.")
    from .assets import lookup

    try:
        ids = [lookup.find_asset(ref, "facility").id for ref in facilities]
        _, plain = token_services.create_token(user, name, days, scopes=[scope], facilities=ids)
    except DomainError as error:
        db.session.rollback()
        fail(f"{error.message} {error.fields or ''}")
    db.session.commit()
    click.echo(plain)
    click.echo("Keep it safe: it is shown only now. Send it as 'Authorization: Bearer <token>'.", err=True)


@click.command("revoke-token")
@click.argument("prefix")
@with_appcontext
def revoke_token(prefix):
    """Revoke the API token whose value starts with PREFIX (as listed on /admin/tokens)."""
    from .auth import tokens as token_services
    from .errors import DomainError

    try:
        token = token_services.revoke_token(None, token_services.find_token_by_prefix(prefix))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error.message)
    click.echo(f"Revoked {token.prefix}… ({token.name}, {token.user.username}).")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Write the database and the media folder to FILE (a .tar.gz), safely while the app runs."""
    from flask_babel import force_locale

    from . import backup

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            backup.backup(file, progress=lambda line: click.echo(line, err=True))
        except backup.BackupError as error:
            fail(str(error))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file, yes):
    """Replace the database and the media folder by those in FILE, made by `municipal backup`."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from . import backup

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            manifest = backup.read_manifest(file)
            if not yes:
                click.confirm(_("Replace all the data and media files by the backup made at %(created_at)s?",
                                created_at=manifest["created_at"]), abort=True)
            backup.restore(file, progress=lambda line: click.echo(line, err=True))
        except backup.BackupError as error:
            fail(str(error))


def register_commands(app) -> None:
    from .assets.cli import asset_commands
    from .audit.cli import audit_group
    from .calendar.cli import calendar_group
    from .demo.seed import seed_demo
    from .geo.cli import map_cells_command
    from .intake.cli import open311_group
    from .jobs.cli import jobs_group, scheduler_command
    from .notify import notify_group
    from .readings.cli import readings_group
    from .reports.cli import report_group

    for command in (init_db, create_user, create_token, revoke_token, seed_demo, *asset_commands, audit_group, notify_group,
                    jobs_group, scheduler_command, calendar_group, readings_group, report_group, backup_command,
                    restore_command, open311_group, map_cells_command):
        app.cli.add_command(command)
