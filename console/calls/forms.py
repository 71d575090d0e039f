"""Forms of the call screen."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from console.calls.rules import DISPOSITIONS


class DispositionForm(FlaskForm):
    disposition = RadioField("Disposition", choices=[SelectChoice(d.code, d.label) for d in DISPOSITIONS],
                             validators=[DataRequired("Choose a disposition.")])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=20000)])
    callback_at = DateTimeLocalField("Call back at (lead's local time)", format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    callback_anyone = BooleanField("Any agent may take the call back")


class AnswerForm(FlaskForm):
    criterion = HiddenField(validators=[DataRequired()])
    value = StringField(validators=[Optional(), Length(max=60)])


class NotesForm(FlaskForm):
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=20000)])
