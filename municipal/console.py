"""The `municipal` console script: Flask's command group over create_app, whose commands cli.py registers."""
import click
from flask.cli import FlaskGroup

from . import create_app
from .cli_support import fail
from .config import ConfigError


def _create_app():
    try:
        return create_app()
    except ConfigError as error:
        # A wrong setting is the operator's to fix: say which, without a traceback.
        fail(f"Cannot start: {error}")


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """municipal: QR identities and maintenance for municipal facilities."""
