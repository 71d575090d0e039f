"""`flask reports ...`: operators' commands for the report rollups."""
import click
from flask.cli import with_appcontext

from console.reports import rollups


@click.group(help="The campaign reports.")
def reports():
    pass


@reports.command("rollup")
@click.option("--rebuild", is_flag=True, help="Count every hour again from nothing (after a restore or a fix).")
@with_appcontext
def rollup(rebuild):
    """Bring the hourly rollups up to date now (the worker does it every minute)."""
    done = rollups.refresh(rebuild=rebuild)
    what = "rebuilt" if done.rebuilt else "refreshed"
    click.echo(f"rollups {what}: {done.hours} hours counted in {done.seconds:.1f} s,"
               f" complete up to {done.watermark:%Y-%m-%d %H:%M:%S} UTC")
