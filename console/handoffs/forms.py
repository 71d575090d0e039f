"""Sales' answer to a hand-off."""
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from console.forms import ConsoleForm


class DecisionForm(ConsoleForm):
    decision = RadioField("Decision", choices=[SelectChoice("accept", "Accept"), SelectChoice("reject", "Reject")],
                          validators=[DataRequired("Choose accept or reject.")])
    reason = TextAreaField("Reason (required to reject)", validators=[Optional(), Length(max=2000)])


class SendBackForm(ConsoleForm):
    """Marketing's review: release (the reason is not read) or send back to the agent with what to fix."""

    reason = TextAreaField("What the agent should fix", validators=[Optional(), Length(max=2000)])
