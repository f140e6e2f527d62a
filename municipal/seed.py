"""The demo district."""
import click
from flask.cli import with_appcontext


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo district (safe to run again)."""
