"""`flask twilio ...`: check the Twilio set-up."""
import click


@click.group(help="Twilio telephony.")
def twilio():
    pass
