"""Notifications: in the app (the bell) and by email. The `municipal notify` commands live here."""
import sys

import click
from flask.cli import with_appcontext


@click.group("notify")
def notify_group():
    """Notifications."""


@notify_group.command("send")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Send at most this many emails.")
@with_appcontext
def send(limit):
    """Email pending notifications (needs MUNICIPAL_SMTP_HOST)."""
    from flask import current_app

    from ..extensions import db
    from . import mail, services

    try:
        if mail.settings(current_app.config) is None:
            click.echo("Email is off: set MUNICIPAL_SMTP_HOST to send notifications.")
            return
        sent = services.send_pending(limit)
    except ValueError as error:
        db.session.rollback()
        click.secho(str(error), fg="red", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Sent {sent} notification emails.")
