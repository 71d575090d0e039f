"""`flask guides ...`: keep the guides in call_guides/ and the database in step, both ways."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from console.guides import rules, services


@click.group(help="Call guides.")
def guides():
    pass


@guides.command("sync")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def sync(path):
    """Load guide files (default: call_guides/) as new published versions."""
    path = path or services.GUIDES_DIR
    try:
        results = services.sync_directory(path) if path.is_dir() else services.sync_files([path])
    except rules.GuideError as error:
        raise click.ClickException(str(error)) from error
    for guide, version in results:
        click.echo(f"{guide.slug}: " + (f"version {version.number} published" if version else "unchanged"))
        missing = services.unknown_campaign(guide)
        if missing:
            click.echo(f"{guide.slug}: warning: no campaign is called {missing!r}; the guide applies once one is", err=True)


@guides.command("export")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export(directory):
    """Write each guide's published version to DIRECTORY/<slug>.yaml (default: call_guides/)."""
    directory = directory or services.GUIDES_DIR
    for guide, path, changed in services.export_directory(directory):
        version = guide.published_version.number
        click.echo(f"{guide.slug}: version {version} " + (f"written to {path}" if changed else "unchanged"))
