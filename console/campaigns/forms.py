"""Forms marketing fills in for a campaign: its settings and its dispositions' next actions."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, IntegerField, SelectChoice,
                     SelectField, StringField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from console.calls.rules import MAX_RETRY_MINUTES, NextAction
from console.leads.rules import LEGAL_WINDOW


class CampaignForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the campaign a name."), Length(max=120)])
    source = StringField("Source / channel", validators=[DataRequired("Say where the leads come from."), Length(max=60)])
    message = TextAreaField("Message", validators=[Optional(), Length(max=5000)])
    start_date = DateField("Starts", validators=[Optional()])
    end_date = DateField("Ends", validators=[Optional()])
    priority = IntegerField("Priority", validators=[InputRequired("Give a priority (higher is called first)."),
                                                    NumberRange(-1000, 1000)])
    calling_start = TimeField("Calling from", validators=[InputRequired("Give the time calls may start.")])
    calling_end = TimeField("Calling until", validators=[InputRequired("Give the time calls must stop.")])
    max_attempts = IntegerField("Max attempts per lead", validators=[InputRequired("Give the number of attempts."),
                                                                     NumberRange(1, 50)])
    min_retry_minutes = IntegerField("Minimum minutes between attempts",
                                     validators=[InputRequired("Give the spacing between attempts."),
                                                 NumberRange(0, MAX_RETRY_MINUTES)])
    call_guide_id = SelectField("Call guide", coerce=int, validators=[Optional()])
    active = BooleanField("Active (agents may be given its leads)")

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


class DispositionRowForm(Form):
    """One editable disposition; a sub-form, so the page's one CSRF token covers every row."""

    code = HiddenField(validators=[DataRequired()])
    next_action = SelectField("Next action", choices=[SelectChoice(action, NextAction.LABELS[action])
                                                        for action in NextAction.EDITABLE])
    retry_minutes = IntegerField("Retry after (minutes)", validators=[Optional(), NumberRange(1, MAX_RETRY_MINUTES)])

    def validate_retry_minutes(self, field):
        if self.next_action.data == NextAction.RETRY_IN and field.data is None and not field.errors:
            raise ValidationError("Say after how many minutes to retry.")


class DispositionSettingsForm(FlaskForm):
    rows = FieldList(FormField(DispositionRowForm))
