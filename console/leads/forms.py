"""The do-not-call pages' forms: finding entries, adding one number, uploading a file of them, removing an entry."""
from sqlalchemy import select
from wtforms import FileField, SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from console.campaigns.models import Campaign  # a page that looks up: the campaigns a number may be listed for
from console.compliance.models import DoNotCallSource
from console.compliance.services import EntrySearch
from console.extensions import db
from console.forms import ConsoleForm
from console.leads.number_files import MAX_FILE_BYTES
from console.leads.rules import InvalidPhoneNumber, normalise_phone, phone_search_terms

GLOBAL = "global"


def campaign_scopes() -> list[SelectChoice]:
    """Every campaign, by name: a number is listed for all of them (global) or for one."""
    return [SelectChoice(str(row.id), f"Campaign: {row.name}") for row in db.session.execute(
        select(Campaign.id, Campaign.name).order_by(Campaign.name))]


class DoNotCallFilterForm(ConsoleForm):
    """The list's search, read from the query string (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Number", validators=[Optional(), Length(max=40, message="At most 40 characters.")])
    scope = SelectField("Scope", validators=[Optional()])
    source = SelectField("Source", choices=[SelectChoice("", "Any source")] + [
        SelectChoice(value, label) for value, label in DoNotCallSource.LABELS.items()], validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = [SelectChoice("", "Every scope"), SelectChoice(GLOBAL, "Global (every campaign)")] + \
            campaign_scopes()

    def validate_q(self, field):
        if field.data and phone_search_terms(field.data) == (None, None):
            raise ValidationError("Type a number, or its first digits.")

    def search(self) -> EntrySearch:
        phone, prefix = phone_search_terms(self.q.data or "")
        return EntrySearch(phone=phone, prefix=prefix, scope=self.scope.data or "", source=self.source.data or None)

    @property
    def searching(self) -> bool:
        return any((self.q.data, self.scope.data, self.source.data))


class _ScopedForm(ConsoleForm):
    scope = SelectField("Scope", validators=[InputRequired("Choose global or a campaign.")])
    reason = TextAreaField("Reason", validators=[InputRequired("Say why this number may not be called."),
                                                 Length(max=500, message="At most 500 characters.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = [SelectChoice(GLOBAL, "Global (every campaign)")] + campaign_scopes()

    @property
    def campaign_id(self) -> int | None:
        return None if self.scope.data == GLOBAL else int(self.scope.data)


class AddNumberForm(_ScopedForm):
    phone = StringField("Number", validators=[InputRequired("Give the number."),
                                              Length(max=40, message="Not a phone number: too long.")])

    def validate_phone(self, field):
        try:
            self.e164 = normalise_phone(field.data)
        except InvalidPhoneNumber:
            raise ValidationError(f"{field.data.strip()} is not a valid phone number (write it as on a letter, "
                                  "or +1 212 555 0101).") from None


class UploadNumbersForm(_ScopedForm):
    numbers = FileField("File of numbers (CSV or text)")

    def validate_numbers(self, field):
        if not getattr(field.data, "filename", None):
            raise ValidationError("Choose a file.")


class RemoveEntryForm(ConsoleForm):
    reason = StringField("Why may this number be called again?",
                         validators=[InputRequired("Say why the number may be called again."),
                                     Length(max=500, message="At most 500 characters.")])


MAX_FILE_LABEL = f"{MAX_FILE_BYTES // (1024 * 1024)} MB"
