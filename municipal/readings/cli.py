"""`municipal readings import FILE.csv`."""
import io
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _

from ..assets.transfer.importing import ImportRejected
from ..cli_support import fail
from ..errors import DomainError
from ..extensions import db
from . import importing

readings_group = AppGroup("readings", help="Water-level and rainfall readings.")


@readings_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file):
    """Store the readings in FILE (CSV: code,kind,observed_at,value[,period_minutes], English or Chinese
    headers; times without an offset are local): all of them, or none if any row has a problem."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            with file.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as stream, \
                    click.progressbar(length=file.stat().st_size, label=_("Reading"), file=sys.stderr) as bar:
                # The bar follows the bytes read: counting the rows first would read the file twice.
                def progress(step, _done, _total):
                    if step == "checked":
                        bar.update(raw.tell() - bar.pos)
                result = importing.import_csv(None, stream, progress=progress)
                bar.update(bar.length - bar.pos)
        except ImportRejected as rejected:
            db.session.rollback()
            fail("\n".join([rejected.message, *rejected.lines()]))
        except DomainError as error:
            db.session.rollback()
            fail(error.message)
        db.session.commit()
        click.echo(_("%(rows)s rows read, %(stored)s readings stored, %(events)s events recorded.", **result))
