"""`municipal audit verify`: prove the trail has not been edited since it was written."""
import sys

import click
from flask.cli import AppGroup

audit_group = AppGroup("audit", help="The audit trail.")


@audit_group.command("verify")
@click.option("--every", type=click.IntRange(1), default=100_000, show_default=True,
              help="Report progress after this many entries.")
@click.option("--full", is_flag=True,
              help="Also recompute every hash from the start of the trail, trusting no stored link.")
def verify_command(every, full):
    """Check every entry's hash and link and the trail's sealed end, in one snapshot; exit 1 if any entry was
    edited, deleted or moved."""
    from . import verification

    total = 0

    def progress(count):
        nonlocal total
        total = count
        click.echo(f"checked {count} entries …", err=True)

    problems = verification.verify(progress=progress, every=every, full=full)
    for problem in problems:
        click.secho(f"#{problem.entry_id} {problem.kind}: {problem.message}", fg="red")
    if problems:
        click.secho(f"FAILED: {len(problems)} problem(s) in {total} entries.", fg="red")
        sys.exit(1)
    click.echo(f"OK: {total} entries, chain intact")
