"""What every command of the `municipal` group shares: ending a command with a message. The domains' command
modules import it from here, so cli.py imports them and never the reverse."""
import sys

import click


def fail(message: str) -> None:
    """Print `message` in red on stderr and end the command with exit status 2."""
    click.secho(message, fg="red", err=True)
    sys.exit(2)
