"""`flask users list` and `flask users deactivate`: the team's services from the shell (added to auth's group)."""
import click
from flask.cli import with_appcontext

from console.auth.cli import users
from console.auth.models import Role
from console.team import services


@users.command("list")
@click.option("--role", type=click.Choice(Role.ALL), help="Only users with this role.")
@click.option("--status", type=click.Choice([services.ACTIVE, services.DEACTIVATED]),
              help="Only active or deactivated users.")
@with_appcontext
def list_users(role, status):
    """List users with their role, status and last sign-in (UTC)."""
    rows = services.user_rows(role, status)
    for row in rows:
        user = row.user
        last = row.last_sign_in.strftime("%Y-%m-%d %H:%M") if row.last_sign_in else "never"
        click.echo(f"{user.email:<40} {user.role:<15} {'active' if user.active else 'deactivated':<12} "
                   f"last sign-in {last}  {user.full_name}")
    click.echo(f"{len(rows)} user{'' if len(rows) == 1 else 's'}.")


@users.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def deactivate(email):
    """Deactivate a user at once: no sign-in, sessions refused, held lead back in the queue, callbacks shared."""
    user = services.user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no user with email {email}.")
    try:
        done = services.deactivate_user(None, user.id)
    except services.TeamRefusal as refusal:
        raise click.ClickException(str(refusal)) from refusal
    click.echo(f"Deactivated {done.user.email}: {len(done.released_leads)} held lead(s) back in the queue, "
               f"{len(done.abandoned_calls)} open call(s) closed as abandoned, {len(done.shared_callbacks)} "
               f"callback(s) now anyone's, {done.pending_handoffs} pending hand-off(s) to reassign in the console.")
