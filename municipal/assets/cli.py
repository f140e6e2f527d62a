"""Registry commands: labels, import and export."""
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from ..auth.models import User
from ..auth.scope import Scope
from ..cli_support import fail
from ..errors import DomainError
from ..extensions import db
from ..geo.datums import DATUMS
from . import queries
from .labels import printing
from .labels.sheets import PRESETS
from .transfer import exporting, importing
from .types import TYPES


def _cli_locale():
    # There is no request to take a language from: the command speaks the district's default.
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def _show_progress(step: str, done: int, total: int | None) -> None:
    if step == "checked":
        click.echo(_("Checked %(done)s rows…", done=done), err=True)
    elif step == "written":
        click.echo(_("Wrote %(done)s of %(total)s facilities…", done=done, total=total), err=True)
    else:
        click.echo(_("Exported %(done)s of %(total)s facilities…", done=done, total=total), err=True)


def _acting_user(username: str | None) -> User:
    if username:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None or not user.active:
            fail(_("There is no active user %(name)s.", name=username))
        return user
    user = db.session.scalar(
        sa.select(User).where(User.role == "admin", User.active).order_by(User.id).limit(1)
    )
    if user is None:
        fail(_("There is no administrator to act as: create one with "
               "'municipal create-user NAME --role admin', or name a supervisor with --user."))
    return user


@click.command("import-assets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["csv", "geojson"]),
              help="Default: GeoJSON for .geojson and .json files, CSV otherwise.")
@click.option("--user", "username", help="Who registers the facilities: an admin or supervisor. "
                                         "Default: the first admin.")
@click.option("--datum", type=click.Choice(DATUMS), default="wgs84", show_default=True,
              help="The datum of the file's positions: wgs84 (GPS), gcj02 (AMap, Tencent, most phone maps) or "
                   "bd09 (Baidu). Stored as WGS-84.")
@with_appcontext
def import_assets(file, file_format, username, datum):
    """Register the facilities in FILE: all of them, or none if any row has a problem."""
    file_format = file_format or ("geojson" if file.suffix.lower() in (".geojson", ".json") else "csv")
    read = importing.import_geojson if file_format == "geojson" else importing.import_csv
    with _cli_locale():
        user = _acting_user(username)
        try:
            with file.open("rb") as stream:
                result = read(user, stream, progress=_show_progress, datum=datum)
        except importing.ImportRejected as rejected:
            db.session.rollback()
            fail("\n".join([rejected.message, *rejected.lines()]))
        except DomainError as error:
            db.session.rollback()
            fail(error.message)
        db.session.commit()
        click.echo(_("%(facilities)s facilities imported, %(codes)s codes bound (%(created)s of them new).",
                     facilities=result.facilities, codes=result.codes_bound, created=result.codes_created))


@click.command("export-assets")
@click.option("--format", "file_format", type=click.Choice(["csv", "geojson"]), default="csv", show_default=True)
@click.option("--out", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="The file to write. Default: standard output.")
@click.option("--type", "asset_type", type=click.Choice(sorted(TYPES)), help="Only facilities of this type.")
@click.option("--area", help="Only facilities in this area or the areas within it (its code or name).")
@click.option("--headers", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="CSV: the language of the column headers, types and statuses.")
@with_appcontext
def export_assets(file_format, out, asset_type, area, headers):
    """Write the registry as CSV (UTF-8 with BOM, for Excel) or as a GeoJSON FeatureCollection."""
    with _cli_locale():
        try:
            # Atomic: a failed export leaves no half-written file behind.
            with click.open_file(out, "w", encoding="utf-8", atomic=True) as stream:
                if file_format == "geojson":
                    count = exporting.export_geojson(stream, asset_type, area, progress=_show_progress)
                else:
                    count = exporting.export_csv(stream, asset_type, area, headers, progress=_show_progress)
        except DomainError as error:
            fail(error.message)
        click.echo(_("%(n)s facilities exported.", n=count), err=True)


@click.command("labels")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The PDF to write.")
@click.option("--type", "asset_type", type=click.Choice(sorted(TYPES)), help="Only facilities of this type.")
@click.option("--area", default="", help="Only facilities in this area or the areas within it (its code or name).")
@click.option("--codes", default="", help="Only these codes, separated by commas; unbound ones print as labels "
              "of facilities to be registered.")
@click.option("--new", "new_codes", type=click.IntRange(1, 10000),
              help="Issue this many new unbound codes of --type and print their labels (stock for crews).")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="sheet", show_default=True,
              help="sheet: A4 sheet of small labels; nameplate: outdoor nameplate, one per page.")
@click.option("--user", "username", help="Who prints: recorded with the print batch. Default: the first admin.")
@with_appcontext
def labels(out, asset_type, area, codes, preset, new_codes, username):
    """Print labels for the selected facilities as a PDF, recorded as a print batch."""
    user = _acting_user(username)
    if new_codes and not asset_type:
        fail(_("--new needs --type: the type of facility the new codes are for."))
    code_texts = [c.strip() for c in codes.split(",") if c.strip()]
    filters = queries.Filters(type=asset_type or "", area=area)

    def progress(done, total):
        if done % 500 == 0 or done == total:
            click.echo(_("%(done)s of %(total)s labels drawn…", done=done, total=total), err=True)

    try:
        if new_codes:
            pdf, batch_id = printing.print_new_codes(user, asset_type, new_codes, preset, progress=progress)
        else:
            query = printing.select_for_labels(filters, Scope.of(user), code_texts=code_texts)
            pdf, batch_id = printing.print_labels(
                user, query, preset, f"cli type={asset_type or ''} area={area} codes={codes}", progress=progress,
                unbound=printing.unbound_codes(code_texts))
        out.write_bytes(pdf)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error.message)
    click.echo(_("Wrote %(out)s (print batch %(batch)s).", out=out, batch=batch_id))


asset_commands = [import_assets, export_assets, labels]
