"""`municipal open311 keys create NAME | list | revoke NAME`: the keys other systems file Open311 requests with."""
import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..cli_support import fail
from ..errors import DomainError
from ..extensions import db
from . import open311_keys

open311_group = AppGroup("open311", help="Open311 GeoReport v2.")
keys_group = AppGroup("keys", help="The api_keys other systems file requests with.")
open311_group.add_command(keys_group)


@keys_group.command("create")
@click.argument("name")
def create_key(name):
    """Make a key for the system NAME and print it: it is shown only this once."""
    try:
        _row, key = open311_keys.create_key(name)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error.message)
    click.echo(key)


@keys_group.command("list")
def list_keys():
    """The keys, with their first characters, and whether they were revoked."""
    for row in open311_keys.list_keys():
        state = _("revoked %(at)s", at=f"{row.revoked_at:%Y-%m-%d %H:%M} UTC") if row.revoked_at else _("active")
        click.echo(f"{row.prefix}…\t{row.name}\t{row.created_at:%Y-%m-%d}\t{state}")


@keys_group.command("revoke")
@click.argument("name")
def revoke_key(name):
    """Revoke the key named NAME (or starting with these characters): requests with it are refused at once."""
    try:
        row = open311_keys.revoke_key(name)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(error.message)
    click.echo(_("Key %(name)s revoked.", name=row.name))
