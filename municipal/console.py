"""The `municipal` console script: Flask's command group over create_app, whose commands cli.py registers."""
import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main():
    """municipal: QR identities and maintenance for municipal facilities."""
