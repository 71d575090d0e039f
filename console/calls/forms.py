"""Forms of the call screen and the agent's own settings."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from console.calls.rules import DISPOSITIONS


class DispositionForm(FlaskForm):
    disposition = RadioField("Disposition", choices=[SelectChoice(d.code, d.label) for d in DISPOSITIONS],
                             validators=[DataRequired("Choose a disposition.")])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=20000)])
    callback_at = DateTimeLocalField("Call back at (lead's local time)", format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    callback_anyone = BooleanField("Any agent may take the call back")
    # Wrong person: who the prospect pointed us to. Checked by the service, which knows the account.
    referral_first_name = StringField("First name", validators=[Optional(), Length(max=80)])
    referral_last_name = StringField("Last name", validators=[Optional(), Length(max=80)])
    referral_title = StringField("Title", validators=[Optional(), Length(max=120)])
    referral_phone = StringField("Phone", validators=[Optional(), Length(max=40)])


class AnswerForm(FlaskForm):
    criterion = HiddenField(validators=[DataRequired()])
    value = StringField(validators=[Optional(), Length(max=60)])
    # The lead version the page was drawn with: a save against an older page is refused.
    version = IntegerField(validators=[InputRequired()])


class NotesForm(FlaskForm):
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=20000)])


class AutoAdvanceForm(FlaskForm):
    auto_advance = HiddenField(validators=[DataRequired()])  # "on" or "off"
    next = HiddenField()
