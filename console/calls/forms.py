"""Forms of the call screen, the agent's own settings, and a campaign's dispositions."""
from wtforms import (BooleanField, DateField, DateTimeLocalField, FieldList, Form, FormField, HiddenField,
                     RadioField, SelectChoice, SelectField, StringField, TextAreaField)
from wtforms.widgets import HiddenInput
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from console.calls import rules
from console.calls.rules import DISPOSITIONS, MAX_RETRY_MINUTES, NextAction
from console.clock import utcnow
from console.forms import BoundedIntegerField, ConsoleForm
from console.handoffs.models import NextStep
from console.leads.rules import CONTACT_FIELDS


class DispositionForm(ConsoleForm):
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
    # Qualified: the next step agreed with the prospect (its time in the lead's local time, like a callback).
    next_step = RadioField("Next step agreed",
                           choices=[SelectChoice(code, label) for code, label in NextStep.LABELS.items()],
                           validate_choice=False,
                           validators=[Optional()])
    next_step_at = DateTimeLocalField("At (lead's local time)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    next_step_note = StringField("What was agreed", validators=[Optional(), Length(max=500)])
    # Nurture: the day the lead comes back to the queue (the campaign's recall delay is the default).
    recall_on = DateField("Recall on", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        now = utcnow()
        if self.disposition.data == "qualified" and not self.next_step_at.errors:
            # Typed in the lead's time, which the form does not know: refuse what no zone could make right.
            problems = rules.next_step_problems(self.next_step.data, self.next_step_at.data, now,
                                                labels=NextStep.LABELS, timed=NextStep.TIMED, slack=rules.ZONE_SLACK)
            for name, message in problems.items():
                self[name].errors = [*self[name].errors, message]
                valid = False
        if self.disposition.data == "nurture" and not self.recall_on.errors:
            problem = rules.recall_problem(self.recall_on.data, now.date())
            if problem:
                self.recall_on.errors = [problem]
                valid = False
        return valid

    def validate_callback_at(self, field):
        # Typed in the lead's time, which the form does not know: refuse what no zone could make right.
        problem = rules.callback_problem(field.data, utcnow(), slack=rules.ZONE_SLACK) if field.data else None
        if problem:
            raise ValidationError(problem)


class AnswerForm(ConsoleForm):
    criterion = HiddenField(validators=[DataRequired()])
    value = StringField(validators=[Optional(), Length(max=60)])
    # The lead version the page was drawn with: a save against an older page is refused.
    version = BoundedIntegerField(validators=[InputRequired()])


class NotesForm(ConsoleForm):
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=20000)])


class AutoAdvanceForm(ConsoleForm):
    auto_advance = HiddenField(validators=[DataRequired()])  # "on" or "off"
    next = HiddenField()


class MarkForm(ConsoleForm):
    outcome = HiddenField(validators=[DataRequired()])


class DispositionRowForm(Form):
    """One editable disposition; a sub-form, so the page's one CSRF token covers every row."""

    code = HiddenField(validators=[DataRequired()])
    next_action = SelectField("Next action", choices=[SelectChoice(action, NextAction.LABELS[action])
                                                        for action in NextAction.EDITABLE])
    retry_minutes = BoundedIntegerField("Retry after (minutes)",
                                        validators=[Optional(), NumberRange(1, MAX_RETRY_MINUTES)])

    def validate_retry_minutes(self, field):
        if self.next_action.data == NextAction.RETRY_IN and field.data is None and not field.errors:
            raise ValidationError("Say after how many minutes to retry.")


class DispositionSettingsForm(ConsoleForm):
    rows = FieldList(FormField(DispositionRowForm))


class ContactFixForm(ConsoleForm):
    """The lead's contact data an agent may correct on the call (calls.services.AGENT_CONTACT_FIELDS); phones and
    the email are checked by the lead's one writer, here only their sizes. Built with PREFIX: its fields' names and
    ids never meet the disposition form's (a referral has a first name and a title too)."""

    PREFIX = "contact"

    first_name = StringField("Lead's first name", validators=[InputRequired("Give the lead's first name."),
                                                              Length(max=CONTACT_FIELDS["first_name"])])
    last_name = StringField("Lead's last name", validators=[InputRequired("Give the lead's last name."),
                                                            Length(max=CONTACT_FIELDS["last_name"])])
    title = StringField("Lead's title", validators=[Optional(), Length(max=CONTACT_FIELDS["title"])])
    email = StringField("Lead's email", validators=[Optional(), Length(max=CONTACT_FIELDS["email"])])
    alternate_phone = StringField("Lead's alternate phone", validators=[Optional(), Length(max=60)])
    # The lead's version the screen was drawn with: a correction over a change made since is refused.
    version = BoundedIntegerField(widget=HiddenInput(), validators=[Optional()])

    def show_errors(self, field_errors: dict[str, str]) -> None:
        """The writer's refusals beside their fields."""
        for name, message in field_errors.items():
            if name in self:
                self[name].errors = list(self[name].errors or []) + [message]
