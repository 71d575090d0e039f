"""Sales' answers to a hand-off: accept, reject by kind, reassign, and each step of its progress."""
from wtforms import DateField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from console.forms import ConsoleForm, MoneyField, bounded_int
from console.handoffs.models import RejectionKind
from console.handoffs.rules import RATINGS, ContactKind, LostReason

COMMENT_MAX = 2000


class AcceptForm(ConsoleForm):
    """Nothing to say but yes (the CSRF token)."""


class RejectForm(ConsoleForm):
    kind = RadioField("Why", choices=[SelectChoice(key, label) for key, label in RejectionKind.LABELS.items()],
                      validators=[InputRequired("Choose why the lead is rejected.")])
    comment = TextAreaField("Comment (the agent and marketing read it)",
                            validators=[DataRequired("Say why: the agent and marketing learn from it."),
                                        Length(max=COMMENT_MAX)])
    then = RadioField("If it does not meet the definition", default="nurture",
                      choices=[SelectChoice("nurture", "Nurture until the recall date"),
                               SelectChoice("disqualify", "Disqualify")],
                      validators=[Optional()])
    recall_on = DateField("Recall date", validators=[Optional()])


class ReassignForm(ConsoleForm):
    assignee = SelectField("Give it to", coerce=bounded_int, validators=[InputRequired("Choose a sales member.")])


class FirstContactForm(ConsoleForm):
    contact_kind = RadioField("How", choices=[SelectChoice(key, label) for key, label in ContactKind.LABELS.items()],
                      validators=[InputRequired("Choose how the first contact was made.")])


class MeetingHeldForm(ConsoleForm):
    """The meeting took place (now)."""


class OpportunityForm(ConsoleForm):
    amount = MoneyField("Amount", validators=[InputRequired("Give the amount.")])
    expected_close_on = DateField("Expected close", validators=[InputRequired("Give the expected close date.")])


class WonForm(ConsoleForm):
    won_amount = MoneyField("Amount won", validators=[InputRequired("Give the amount won.")])
    won_on = DateField("Won on", validators=[InputRequired("Give the date the deal was won.")])


class LostForm(ConsoleForm):
    lost_reason = SelectField("Why", choices=[SelectChoice("", "Choose…")] + [
        SelectChoice(key, label) for key, label in LostReason.LABELS.items()],
        validators=[InputRequired("Choose why the deal was lost.")])
    lost_note = TextAreaField("Note", validators=[Optional(), Length(max=COMMENT_MAX)])
    lost_recall_on = DateField("Recall date (to recycle)", validators=[Optional()])


class RatingForm(ConsoleForm):
    rating = RadioField("Lead quality", coerce=bounded_int,
                        choices=[SelectChoice(value, str(value)) for value in RATINGS],
                        validators=[InputRequired("Rate the lead from 1 to 5.")])
    rating_comment = TextAreaField("Comment", validators=[Optional(), Length(max=COMMENT_MAX)])


class SendBackForm(ConsoleForm):
    """Marketing's review: release (the reason is not read) or send back to the agent with what to fix."""

    reason = TextAreaField("What the agent should fix", validators=[Optional(), Length(max=2000)])
