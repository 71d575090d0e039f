"""`flask leads import`: load a list of leads into a campaign from the shell, through the browser's import."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from console.campaigns.models import Campaign
from console.database.engine import Checkpointer
from console.extensions import db
from console.imports import rules, services


@click.group(help="Leads: load lists into campaigns.")
def leads():
    pass


@leads.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_id", required=True, type=click.IntRange(1, 2**31 - 1), help="The campaign's id.")
@click.option("--mapping", "mapping_name", help="Use the column mapping remembered under this source name.")
@click.option("--source", "source_name", help="The list's source (default: --mapping); its mapping is remembered "
                                               "under it.")
@click.option("--duplicates", type=click.Choice(sorted(rules.DUPLICATE_POLICIES)), default="skip", show_default=True,
              help="What to do with rows matching a lead already in the campaign.")
@with_appcontext
def import_list(file, campaign_id, mapping_name, source_name, duplicates):
    """Import FILE (CSV) into a campaign: the same reading, checks and row report as the browser's import.

    Without a remembered mapping, columns are mapped from their headers; the command says what is missing.
    """
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"There is no campaign {campaign_id}.")
    source = (source_name or mapping_name or "").strip()
    try:
        with file.open("rb") as stream:
            lead_list = services.upload(campaign, stream, file.name, source_name=source, duplicates=duplicates,
                                        actor=None)
    except services.ImportRefused as refused:
        raise click.ClickException(str(refused)) from refused
    try:
        columns = services.preview(lead_list).columns
        mapping = services.mapping_for(lead_list, columns, mapping_name)
        click.echo(f"List {lead_list.id}: {file.name} into {campaign.name}, read as {lead_list.encoding}; columns: "
                   + ", ".join(f"{column} → {key}" for key, column in mapping.items()))
        services.start(lead_list, mapping, None, run_in_worker=False)
    except services.ImportRefused as refused:
        raise click.ClickException(f"{refused} The file is kept as list {lead_list.id}: map its columns in the "
                                   f"browser at /imports/{lead_list.id}/mapping, or give --mapping.") from refused

    def progress(done: int, total: int | None, stage: str) -> None:
        percent = f" ({done * 100 // total} %)" if total else ""
        click.echo(f"  {stage}{percent}", err=not sys.stdout.isatty())

    checkpointer = Checkpointer.start_for(db.engine)
    try:
        counts = services.run(lead_list.id, progress)
    finally:
        if checkpointer is not None:
            checkpointer.stop()
    db.session.expire_all()
    lead_list = db.session.get(type(lead_list), lead_list.id)
    click.echo(", ".join(f"{counts[outcome]:,} {rules.OUTCOME_LABELS[outcome].lower()}" for outcome in rules.OUTCOMES)
               + f" of {counts['rows']:,} rows.")
    if lead_list.error:
        raise click.ClickException(lead_list.error)
    if lead_list.rejected or lead_list.suppressed or lead_list.duplicate or lead_list.updated:
        click.echo(f"Rows not imported as new leads: /imports/{lead_list.id} (report: /imports/{lead_list.id}/report.csv)")
