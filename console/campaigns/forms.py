"""The forms of the campaigns area: a campaign's settings (new or edited; its dispositions' next actions:
console.calls.forms), its life actions, the campaign list's and the calendar's filters."""
from datetime import date, timedelta

from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, RadioField, SelectChoice,
                     SelectField, StringField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from console.campaigns.rules import MAX_CUSTOM_FIELDS, MAX_RECALL_DAYS, MAX_RETRY_MINUTES
from console.clock import utcnow
from console.compliance.rules import LEGAL_WINDOW, state_time_zones
from console.forms import WEEKDAYS, BoundedIntegerField, ConsoleForm, MoneyField, MultiCheckboxField, bounded_int



class DateListField(TextAreaField):
    """Dates typed one per line (YYYY-MM-DD), kept as a sorted list of ISO strings, as Campaign.holidays stores them."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        dates = set()
        for line in (line.strip() for line in valuelist[0].splitlines()):
            if not line:
                continue
            try:
                dates.add(date.fromisoformat(line).isoformat())
            except ValueError as error:
                self.data = []
                raise ValueError(f"{line} is not a date: write one date per line, as 2030-12-25.") from error
        self.data = sorted(dates)


class StateListField(StringField):
    """State or province codes typed as "TX, FL", kept as a sorted list of known codes."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        codes = {part.strip().upper() for part in valuelist[0].replace(";", ",").split(",") if part.strip()}
        unknown = sorted(codes - set(state_time_zones()))
        self.data = sorted(codes - set(unknown))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a US state or Canadian province code (write TX, FL).")


# Blank rows the form offers for new lead fields.
NEW_FIELD_ROWS = 3


class LeadFieldForm(Form):
    """One of the campaign's own lead fields; a sub-form, so the page's one CSRF token covers every row."""

    key = HiddenField(validators=[Optional(), Length(max=60)])  # kept from the campaign; new fields have none yet
    label = StringField("Label", validators=[Optional(), Length(max=60)])


class CampaignForm(ConsoleForm):
    name = StringField("Name", validators=[DataRequired("Give the campaign a name."), Length(max=120)])
    source = StringField("Source / channel", validators=[DataRequired("Say where the leads come from."), Length(max=60)])
    message = TextAreaField("Message", validators=[Optional(), Length(max=5000)])
    start_date = DateField("Starts", validators=[Optional()])
    end_date = DateField("Ends", validators=[Optional()])
    priority = BoundedIntegerField("Priority", validators=[InputRequired("Give a priority (higher is called first)."),
                                                    NumberRange(-1000, 1000)])
    calling_start = TimeField("Calling from", validators=[InputRequired("Give the time calls may start.")])
    calling_end = TimeField("Calling until", validators=[InputRequired("Give the time calls must stop.")])
    # ISO weekdays, Monday = 1, as Campaign.calling_days stores them ("12345").
    calling_days = MultiCheckboxField("Calling days", choices=[SelectChoice(str(day), name) for day, name in
                                                               enumerate(WEEKDAYS, start=1)])
    holidays = DateListField("Holidays (no calls)", validators=[Optional()])
    excluded_states = StateListField("States not served", validators=[Optional(), Length(max=400)])
    max_attempts = BoundedIntegerField("Max attempts per lead", validators=[InputRequired("Give the number of attempts."),
                                                                     NumberRange(1, 50)])
    min_retry_minutes = BoundedIntegerField("Minimum minutes between attempts",
                                     validators=[InputRequired("Give the spacing between attempts."),
                                                 NumberRange(0, MAX_RETRY_MINUTES)])
    nurture_recall_days = BoundedIntegerField("Nurture: call again after (days)",
                                              validators=[Optional(), NumberRange(1, MAX_RECALL_DAYS)])
    call_guide_id = SelectField("Call guide", coerce=bounded_int, validators=[Optional()])
    # Checked and normalised to E.164 by the service (console.leads.rules.normalise_phone, the one phone rule).
    caller_id = StringField("Caller ID", validators=[Optional(), Length(max=40)])
    expected_leads = BoundedIntegerField("Expected leads", validators=[Optional(), NumberRange(0, 10_000_000)])
    # Typed in the currency unit, stored as cents; the campaign report divides it by qualified leads and won deals.
    budget_cents = MoneyField("Budget", validators=[Optional()])
    # Existing fields, then blank rows for new ones (the view adds them); a row left without a label is removed.
    custom_fields = FieldList(FormField(LeadFieldForm), max_entries=MAX_CUSTOM_FIELDS + NEW_FIELD_ROWS)

    def validate_calling_days(self, field):
        # Checked here rather than with DataRequired, which would mark every checkbox `required`.
        if not field.data:
            raise ValidationError("Choose at least one calling day.")

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The campaign cannot end before it starts.")

    def validate_calling_start(self, field):
        if field.data and field.data < LEGAL_WINDOW[0]:
            raise ValidationError(f"Calls may not start before {LEGAL_WINDOW[0]:%H:%M} in the lead's time.")

    def validate_calling_end(self, field):
        if field.data and field.data > LEGAL_WINDOW[1]:
            raise ValidationError(f"Calls must stop by {LEGAL_WINDOW[1]:%H:%M} in the lead's time.")
        if field.data and self.calling_start.data and field.data <= self.calling_start.data:
            raise ValidationError("Calling must end after it starts.")


class NewCampaignForm(CampaignForm):
    start_as = RadioField("When it is created", choices=[
        SelectChoice("running", "Running: agents get its leads as soon as its dates allow"),
        SelectChoice("paused", "Paused: nobody calls its leads until it is resumed"),
    ], default="running", validators=[DataRequired("Choose whether it starts running or paused.")])


class LifeForm(ConsoleForm):
    """Pause, resume, end, archive or unarchive (the URL says which); `next` is the page to go back to."""

    next = HiddenField(validators=[Optional(), Length(max=500)])


class CampaignListForm(ConsoleForm):
    """The campaign list's filter, from the query string (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    archived = BooleanField("Show archived campaigns")


# The calendar opens this far from today at most: further is a typo, and near year 1 or 9999 its weeks would run
# past the dates Python can count.
CALENDAR_REACH = timedelta(days=20 * 366)


class CalendarForm(ConsoleForm):
    """The campaign calendar's first week, from ?from=YYYY-MM-DD (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    first_day = DateField("From", name="from", validators=[Optional()])

    def validate_first_day(self, field):
        if field.data and abs(field.data - utcnow().date()) > CALENDAR_REACH:
            raise ValidationError("Choose a date within 20 years of today.")
