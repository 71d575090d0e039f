"""The admin's form for a new API token."""
from wtforms import StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from console.api.rules import MAX_TOKEN_DAYS
from console.forms import BoundedIntegerField, ConsoleForm


class TokenForm(ConsoleForm):
    """A token for one user (it acts with their role); blank expiry: until revoked."""

    email = StringField("User's email", validators=[DataRequired("Give the email of the user the token acts as."),
                                                     Length(max=254)])
    name = StringField("Name", validators=[DataRequired("Name the token: the audit trail names its calls by it."),
                                           Length(max=80)])
    expires_days = BoundedIntegerField("Expires after (days)", validators=[
        Optional(), NumberRange(1, MAX_TOKEN_DAYS, f"From 1 to {MAX_TOKEN_DAYS} days, or blank for never.")])
