"""The alignment pages' forms: the campaign and date range of the objections and evidence pages, a new meeting,
a decision recorded during it."""
from datetime import date, timedelta

from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from console.clock import utcnow
from console.forms import ConsoleForm, bounded_int

MAX_RANGE_DAYS = 3 * 366  # a range beyond three years is a typo, and a slow page
DEFAULT_RANGE_DAYS = 90


def _optional_id(value):
    if value is None or value == "":
        return None
    return bounded_int(value)


class RangeForm(ConsoleForm):
    """A campaign (or every campaign) and a range of whole days (read in the viewer's zone), read from the query string (GET: no CSRF)."""

    class Meta:
        csrf = False

    campaign = SelectField("Campaign", coerce=_optional_id, choices=[], validators=[Optional()])
    start = DateField("From", name="from", validators=[Optional()])
    end = DateField("To", name="to", validators=[Optional()])

    def __init__(self, formdata, campaigns: dict[int, str]):
        super().__init__(formdata)
        self.campaign.choices = [SelectChoice("", "Every campaign")] + [
            SelectChoice(campaign_id, name) for campaign_id, name in campaigns.items()]

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError("The range ends before it starts.")
            if (field.data - self.start.data).days > MAX_RANGE_DAYS:
                raise ValidationError("Choose at most three years.")

    def chosen(self) -> tuple[int | None, date, date]:
        """The campaign and the days: by default the last DEFAULT_RANGE_DAYS days up to today."""
        end = self.end.data or utcnow().date()
        start = self.start.data or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        self.start.data, self.end.data = start, end  # the page shows the days it counts
        return self.campaign.data, start, end


class MeetingForm(ConsoleForm):
    """A new alignment meeting; the view gives the people to choose from."""

    held_on = DateField("Meeting day", validators=[InputRequired("Give the day of the meeting.")])
    period_start = DateField("Period from", validators=[InputRequired("Give the first day the agenda covers.")])
    period_end = DateField("Period to", validators=[InputRequired("Give the last day the agenda covers.")])
    sales_participant = SelectField("Rotating sales participant", coerce=_optional_id, choices=[],
                                    validators=[Optional()])
    participants = SelectMultipleField("Participants", coerce=bounded_int, choices=[],
                                       validators=[DataRequired("Choose who takes part.")])

    def validate_period_end(self, field):
        if self.period_start.data and field.data:
            if field.data < self.period_start.data:
                raise ValidationError("The period ends before it starts.")
            if (field.data - self.period_start.data).days > MAX_RANGE_DAYS:
                raise ValidationError("Choose at most three years.")


class DecisionForm(ConsoleForm):
    """A decision recorded during the meeting."""

    text = TextAreaField("Decision", validators=[DataRequired("Write what was decided."), Length(max=2000)])
    owner = SelectField("Owner", coerce=_optional_id, choices=[],
                        validators=[InputRequired("Choose who owns it.")])
    due_on = DateField("Due", validators=[Optional()])

    def validate_owner(self, field):
        if field.data is None:
            raise ValidationError("Choose who owns it.")


class EmptyForm(ConsoleForm):
    """A button's POST: the CSRF token alone."""
