"""`municipal report annual --year Y [--facility CODE | --type T | --area A | --district] --out FILE.pdf`."""
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

report_group = AppGroup("report", help="Reports, rendered here and now.")


@report_group.command("annual")
@click.option("--year", required=True, help="The year the report covers.")
@click.option("--facility", "--asset", "facility", metavar="CODE", help="One facility, by identity code or id.")
@click.option("--type", "asset_type", metavar="T", help="Every facility of a type, e.g. reservoir.")
@click.option("--area", metavar="A", help="Every facility in an area (code or id) and below it.")
@click.option("--district", is_flag=True, help="The whole district (the default).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The PDF to write.")
def annual_command(year, facility, asset_type, area, district, lang, out):
    """Render the annual inspection report to a PDF file, without queueing it."""
    from ..cli_support import fail
    from ..db import utcnow
    from ..errors import DomainError
    from . import measures, services
    from . import scope as scopes

    chosen = [text for text in (facility and f"facility:{facility}", asset_type and f"type:{asset_type}",
                                area and f"area:{area}", district and "district") if text]
    if len(chosen) > 1:
        fail(_("Give one of --facility, --type, --area or --district."))
    now = utcnow()
    try:
        scope = scopes.parse_scope(chosen[0] if chosen else "district")
        number = scopes.parse_year(year, now.astimezone(measures.zone()).date())
        data, pages = services.build(scopes.SystemActor(), scope, number, lang, now)
    except DomainError as error:
        details = [f"{name}: {text}" for name, text in (error.fields or {}).items() if text != error.message]
        fail(" ".join([error.message, *details]))
    Path(out).write_bytes(data)
    click.echo(_("Wrote %(path)s: %(pages)s pages.", path=out, pages=pages))
