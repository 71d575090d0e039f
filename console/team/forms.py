"""The team's forms: the users' filters, a new user, a role, a password reset, hand-offs to reassign, a password
set from a link, and the audit log's filters."""
from wtforms import DateField, EmailField, PasswordField, RadioField, SelectChoice, SelectField, \
    SelectMultipleField, StringField
from wtforms.validators import (DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from console.auth.models import Role
from console.auth.services import MIN_PASSWORD_LENGTH
from console.forms import BoundedIntegerField, ConsoleForm, bounded_int
from console.team.services import ACTIVE, BY_LINK, BY_PASSWORD, DEACTIVATED, STATUS_WORDS
from console.team.rules import PASSWORD_LINK_LIFETIME

ROLE_CHOICES = [SelectChoice(role, Role.LABELS[role]) for role in Role.ALL]
LINK_HOURS = int(PASSWORD_LINK_LIFETIME.total_seconds() // 3600)
ACCESS_CHOICES = [
    SelectChoice(BY_LINK, f"A set-password link: they choose their password (the link works {LINK_HOURS} hours, once)"),
    SelectChoice(BY_PASSWORD, "A one-time password the console makes now: you give it to them"),
]


def optional_id(value):
    """A select's coerce for an optional id: None for its empty choice, else a whole number the database takes."""
    if value is None or value == "":
        return None
    return bounded_int(value)


class UserFilterForm(ConsoleForm):
    """The users page's filters, read from the query string (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    role = SelectField("Role", choices=[SelectChoice("", "Any role")] + ROLE_CHOICES, validators=[Optional()])
    status = SelectField("Status", choices=[SelectChoice("", "Active and deactivated"),
                                            SelectChoice(ACTIVE, STATUS_WORDS[ACTIVE]),
                                            SelectChoice(DEACTIVATED, STATUS_WORDS[DEACTIVATED])],
                         validators=[Optional()])


class NewUserForm(ConsoleForm):
    email = EmailField("Email", validators=[DataRequired("Give their work email address."),
                                            Email("This is not an email address.", check_deliverability=False),
                                            Length(max=254)])
    full_name = StringField("Full name", validators=[DataRequired("Give their name, as colleagues know it."),
                                                     Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.TELEPROSPECTOR,
                       validators=[InputRequired("Choose a role.")])
    access = RadioField("How they get in", choices=ACCESS_CHOICES, default=BY_LINK,
                        validators=[InputRequired("Choose how they get in.")])


class RoleForm(ConsoleForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])


class ResetPasswordForm(ConsoleForm):
    access = RadioField("New way in", choices=ACCESS_CHOICES, default=BY_LINK,
                        validators=[InputRequired("Choose a link or a one-time password.")])


class ConfirmForm(ConsoleForm):
    """A button that changes something (deactivate, reactivate): its CSRF token is all it sends."""


class ReassignForm(ConsoleForm):
    """Pending hand-offs of one user to give to another sales member; the view sets the choices."""

    handoffs = SelectMultipleField("Hand-offs", coerce=bounded_int, choices=[],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    assignee = SelectField("Give them to", coerce=optional_id, choices=[],
                           validators=[InputRequired("Choose the sales member to give them to.")])

    def validate_handoffs(self, field):
        if not field.data:
            raise ValidationError("Choose at least one hand-off.")

    def validate_assignee(self, field):
        if field.data is None:
            raise ValidationError("Choose the sales member to give them to.")


class SetPasswordForm(ConsoleForm):
    password = PasswordField("New password", validators=[
        DataRequired("Choose a password."),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=f"Use at least {MIN_PASSWORD_LENGTH} characters (at most 200).")])
    confirm = PasswordField("The same password again", validators=[
        DataRequired("Type the password again."), EqualTo("password", "The two passwords are not the same.")])


class AuditFilterForm(ConsoleForm):
    """The audit log's filters, read from the query string (GET: no CSRF token); the view sets the choices.
    The dates are UTC days, both included."""

    class Meta:
        csrf = False

    user = SelectField("Who", coerce=optional_id, choices=[], validators=[Optional()])
    lead = BoundedIntegerField("Lead id", validators=[Optional(),
                                                      NumberRange(min=1, message="A lead id is 1 or more.")])
    action = SelectField("Action", choices=[], validators=[Optional()])
    since = DateField("From (UTC)", name="from", validators=[Optional()])
    until = DateField("To (UTC)", name="to", validators=[Optional()])
