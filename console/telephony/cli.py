"""`flask twilio ...`: check the Twilio set-up."""
import click

from console.telephony.checks import check_twilio_setup


@click.group(help="Twilio telephony.")
def twilio():
    pass


@twilio.command("check")
def check():
    """Verify the credentials, caller IDs and TwiML app against this console's settings; print what is wrong."""
    findings = check_twilio_setup()
    for finding in findings:
        mark = click.style("ok  ", fg="green") if finding.ok else click.style("FAIL", fg="red")
        click.echo(f"{mark} {finding.subject}: {finding.detail}")
    failures = [finding for finding in findings if not finding.ok]
    if failures:
        click.echo(f"\n{len(failures)} problem(s). See docs/telephony.md for the set-up.")
        raise SystemExit(1)
    click.echo("\nTwilio is set up for this console.")
