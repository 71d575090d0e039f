"""The admin's forms for the outbox: filtering its rows, starting a job, a CRM endpoint."""
from wtforms import BooleanField, SelectChoice, SelectField, StringField, URLField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from console.forms import ConsoleForm
from console.outbox import services
from console.outbox.rules import Family, Status

FAMILIES = {"": "Messages and jobs", Family.MESSAGE: "Messages", Family.JOB: "Jobs"}
# One set of words for both families: the words differ (sending / running), the statuses do not.
STATUS_WORDS = {"": "Any status", Status.PENDING: "pending", Status.LEASED: "sending / running",
                Status.DONE: "sent / done", Status.FAILED: "failed", Status.DEAD: "dead",
                Status.HELD: "held, not sent", Status.DISCARDED: "discarded"}


def _choices(words: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in words.items()]


def _kind_choices():
    return _choices({"": "Any kind", **services.kind_titles()})


class OutboxFilterForm(ConsoleForm):
    """The Outbox page's filters, read from the query string (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    family = SelectField("Family", choices=_choices(FAMILIES), validators=[Optional()])
    status = SelectField("Status", choices=_choices(STATUS_WORDS), validators=[Optional()])
    kind = SelectField("Kind", choices=_kind_choices, validators=[Optional()])

    def filters(self) -> dict[str, str | None]:
        return {name: self[name].data or None for name in ("family", "status", "kind")}


class StartJobForm(ConsoleForm):
    kind = StringField("Job", validators=[DataRequired("Choose a job to start.")])

    def validate_kind(self, field):
        if services.job_kind(field.data) is None:
            raise ValidationError(f"There is no job {field.data!r}: start one of the jobs listed.")


class EndpointForm(ConsoleForm):
    """A CRM endpoint: the URL is checked by the service (console.outbox.rules.webhook_url_problem)."""

    # Blank name and URL are refused by the service, with the URL's other problems, in one answer.
    name = StringField("Name", validators=[Length(max=120)])
    url = URLField("URL", validators=[Length(max=500)])
    active = BooleanField("Active: the console's events are sent to it (paused, what was queued is held until retried)",
                          default=True)
    allow_private_network = BooleanField("Allow plain http and private network addresses (a CRM inside the "
                                         "company network)")


class EditEndpointForm(EndpointForm):
    new_secret = BooleanField("Make a new secret (the CRM must be given it: messages are signed with it from now on)")
