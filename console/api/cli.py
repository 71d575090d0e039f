"""`flask api-tokens ...`: operators make, list and revoke API tokens from the shell."""
import click
from flask.cli import with_appcontext

from console.api import services


@click.group("api-tokens", help="Manage the JSON API's tokens.")
def api_tokens():
    pass


@api_tokens.command("create")
@click.option("--user", "email", required=True, help="Email of the user the token acts as (their role).")
@click.option("--name", required=True, help="The token's name: the audit trail names its calls by it.")
@click.option("--expires", "days", type=int, help="Days until it stops working (default: until revoked).")
@with_appcontext
def create(email, name, days):
    """Make a token; its secret is printed once (only its SHA-256 is kept)."""
    try:
        token, secret = services.create_token(email, name, days, None)
    except services.TokenRefused as error:
        raise click.ClickException(str(error)) from error
    expires = token.expires_at.strftime("%Y-%m-%d %H:%M UTC") if token.expires_at else "never"
    click.echo(f"Token {token.id} {token.name!r} for {email} (expires: {expires}). Its secret, shown once:")
    click.echo(secret)


@api_tokens.command("list")
@with_appcontext
def list_tokens():
    """Every token: id, name, user, created, last used, expires, status."""
    for token in services.all_tokens():
        status = "revoked" if token.revoked_at else "active"
        click.echo("\t".join((str(token.id), token.name, token.user.email, token.prefix + "…",
                              f"created {token.created_at:%Y-%m-%d %H:%M}",
                              f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used",
                              f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "no expiry", status)))


@api_tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2 ** 31 - 1))
@with_appcontext
def revoke(token_id):
    """Stop a token working at once."""
    try:
        token = services.revoke_token(token_id, None)
    except services.TokenRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Token {token.id} {token.name!r} revoked.")
