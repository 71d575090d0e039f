"""`flask worker`: the background worker that delivers the outbox's messages and runs its jobs."""
import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from console.outbox.worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver and run what is due now, then exit (for cron and tests).")
@click.option("--batch", type=click.IntRange(1, 500), help="Rows claimed at a time (default OUTBOX_BATCH).")
@click.option("--name", help="This worker's name in the outbox (default host:pid).")
@with_appcontext
def worker(once, batch, name):
    """Deliver messages and run jobs until stopped (SIGTERM or Ctrl+C: the message in hand is finished)."""
    app = current_app._get_current_object()
    runner = Worker(app, name=name, batch=batch, log=lambda message: click.echo(message, err=True))

    def stop(signum, _frame):
        click.echo(f"worker {runner.name}: {signal.Signals(signum).name}, finishing the message in hand", err=True)
        runner.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl+C stops at once

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"worker {runner.name} started" + (" (once)" if once else ""), err=True)
    tally = runner.run(once=once)
    click.echo(f"worker {runner.name} stopped: {tally.delivered} delivered, {tally.failed} failed attempts,"
               f" {tally.jobs} jobs", err=True)
