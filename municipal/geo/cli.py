"""`municipal map-cells`: check the map's cell counts against a recount of the facilities, or recount them
(after rows were loaded into the registry without the services, as a benchmark's seeding does)."""
import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from ..cli_support import fail
from ..extensions import db
from ..assets import map_cells as cells


@click.command("map-cells")
@click.option("--rebuild", is_flag=True, help="Recount the tables from the facilities.")
@with_appcontext
def map_cells_command(rebuild):
    """Check the map's cell counts against a recount of the facilities (or recount them)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if rebuild:
            cells.rebuild(db.session.connection())
            db.session.commit()
            click.echo(_("The map's cell counts were recounted from the facilities."))
            return
        found = cells.differences(db.session.connection())
        if not found:
            click.echo(_("The map's cell counts agree with the facilities."))
            return
        for line in found[:20]:
            click.echo(line, err=True)
        fail(_("The map's cell counts differ from the facilities in %(n)s places; run map-cells --rebuild.",
               n=len(found)))
