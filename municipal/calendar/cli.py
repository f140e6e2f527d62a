"""`municipal calendar preview CASE.json`: the rule engine on one asset, from a file."""
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from .engine.core import preview
from .engine.inputs import PreviewError
from .engine.rules import RuleTableError
from .settings import setting_overrides

calendar_group = AppGroup("calendar", help="The inspection calendar.")


@calendar_group.command("preview")
@click.argument("case", type=click.Path(exists=True, dir_okay=False))
def preview_command(case):
    """Print the due items for the request in CASE (a request, or a worked case with a `request` key)."""
    try:
        with open(case, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(_("Cannot read %(path)s: %(error)s", path=case, error=error))
    if isinstance(document, dict) and isinstance(document.get("request"), dict):
        document = document["request"]
    try:
        response = preview(document, settings=setting_overrides(current_app.config))
    except PreviewError as error:
        lines = [_("The calendar request is not valid.")]
        lines += [f"  {field}: {problem}" for field, problem in error.fields.items()]
        _fail("\n".join(lines))
    except RuleTableError as error:
        _fail(_("The calendar rules cannot be used: %(error)s", error=error))
    click.echo(json.dumps(response, ensure_ascii=False, indent=2))


def _fail(message: str):
    click.secho(message, fg="red", err=True)
    sys.exit(2)


@calendar_group.command("event")
@click.argument("kind")
@click.option("--area", help="The area's code: every facility in it and below.")
@click.option("--asset", "asset_id", type=int, help="Or one facility's number.")
@click.option("--start", required=True, help="A date (2026-06-12), or a date-time with offset for a missing cover.")
@click.option("--end", help="Default: the start.")
@click.option("--rain-24h-mm", help="Rainfall in 24 hours, for a rainstorm.")
@click.option("--level-m", help="Water level.")
@click.option("--level-change-24h-m", help="Level change in 24 hours.")
@click.option("--note", default="")
@click.option("--as", "username", required=True, help="The duty officer's user name (a supervisor or admin).")
def event_command(kind, area, asset_id, start, end, rain_24h_mm, level_m, level_change_24h_m, note, username):
    """Record an event (a rainstorm, an earthquake…) and make at once the work the rules ask for."""
    import sqlalchemy as sa

    from ..auth.models import User
    from ..db import utcnow
    from ..errors import DomainError
    from ..extensions import db
    from . import history, materialise

    actor = db.session.scalar(sa.select(User).where(User.username == username, User.active))
    if actor is None:
        _fail(_("No active user %(name)s.", name=username))
    try:
        event = history.record_event(actor, kind=kind, start=start, end=end, area=area, asset_id=asset_id,
                                      note=note, rain_24h_mm=rain_24h_mm, level_m=level_m,
                                      level_change_24h_m=level_change_24h_m)
        counts = materialise.apply_event(event, utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        lines = [error.message] + [f"  {field}: {problem}" for field, problem in (error.fields or {}).items()]
        _fail("\n".join(lines))
    click.echo(_("Event recorded: %(count)s work orders made for %(facilities)s facilities.",
                 count=counts["work_orders"], facilities=counts["facilities"]))
