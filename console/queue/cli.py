"""`flask queue ...`: operators' commands for the call queue."""
import sys

import click
from flask.cli import with_appcontext

from console.leads import services as leads


@click.group(help="The call queue.")
def queue():
    pass


@queue.command("rebuild")
@click.option("--batch-size", default=2000, show_default=True, help="Leads written per transaction.")
@with_appcontext
def rebuild(batch_size):
    """Recompute every lead's queue columns (do-not-call flag, window key, rank), after ordering rules change.

    Claims go on between batches. Progress is a bar on a terminal, a line per batch otherwise (logs, CI).
    """
    if sys.stdout.isatty():
        with click.progressbar(length=1, label="Leads", show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            changed = leads.rebuild_queue_columns(batch_size=batch_size, progress=progress)
    else:
        def progress(done: int, total: int) -> None:
            click.echo(f"{done:,} of {total:,} leads ({done * 100 // max(total, 1)} %)")

        changed = leads.rebuild_queue_columns(batch_size=batch_size, progress=progress)
    click.echo(f"{changed:,} lead{'s' if changed != 1 else ''} changed place in the queue.")
