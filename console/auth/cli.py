"""`flask users ...`: operators manage accounts from the shell."""
import click
from flask.cli import with_appcontext

from console.auth import services
from console.auth.models import Role


@click.group(help="Manage console users.")
def users():
    pass


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(Role.ALL))
@click.option("--name", "full_name", default="", help="Full name shown in the console.")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
@with_appcontext
def create(email, role, full_name, password):
    """Create a user with one role."""
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, full_name, role, password)
    except services.UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({user.role}).")
