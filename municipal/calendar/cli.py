"""`municipal calendar preview CASE.json`: the rule engine on one asset, from a file."""
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from .api import district_settings
from .engine import preview
from .request import PreviewError

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
        response = preview(document, settings=district_settings(current_app.config))
    except PreviewError as error:
        lines = [_("The calendar request is not valid.")]
        lines += [f"  {field}: {problem}" for field, problem in error.fields.items()]
        _fail("\n".join(lines))
    click.echo(json.dumps(response, ensure_ascii=False, indent=2))


def _fail(message: str):
    click.secho(message, fg="red", err=True)
    sys.exit(2)
