"""The lead record's forms: the search (its text and filters, from the query string) and a lead's contact data."""
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from console.compliance.rules import state_time_zones
from console.forms import BoundedIntegerField, ConsoleForm, bounded_int
from console.guides.rules import BUYING_ROLES
from console.lead_record import services
from console.lead_record.services import LeadFilters
from console.scoring.rules import BANDS
from console.leads.rules import CONTACT_FIELDS, CUSTOM_VALUE_LIMIT, Stage


def _stage_choices():
    return [SelectChoice("", "Any stage")] + [SelectChoice(value, label) for value, label in Stage.LABELS.items()]


def _band_choices():
    return [SelectChoice("", "Any band")] + [SelectChoice(band, band.capitalize()) for band in BANDS]


class LeadSearchForm(ConsoleForm):
    """The search box and its filters, read from the query string (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Find", validators=[Optional(), Length(max=200, message="At most 200 characters.")])
    campaign = SelectField("Campaign", coerce=str, validators=[Optional()])
    stage = SelectField("Stage", choices=_stage_choices, validators=[Optional()])
    band = SelectField("Band", choices=_band_choices, validators=[Optional()])
    list = SelectField("List", coerce=str, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign.choices = [SelectChoice("", "Any campaign")] + [
            SelectChoice(str(choice.value), choice.label) for choice in services.campaign_choices()]
        self.list.choices = [SelectChoice("", "Any list")] + [
            SelectChoice(str(choice.value), choice.label) for choice in services.lead_list_choices()]

    def filters(self) -> LeadFilters:
        return LeadFilters(campaign_id=_chosen_id(self.campaign.data), stage=_chosen(self.stage.data),
                           band=_chosen(self.band.data), lead_list_id=_chosen_id(self.list.data))

    @property
    def filtered(self) -> bool:
        return any(_chosen(field.data) for field in (self.campaign, self.stage, self.band, self.list))


def _chosen(value) -> str | None:
    """A filter's choice, None for "any": blank counts as not chosen (Optional lets a blank through unchecked)."""
    return (value or "").strip() or None


def _chosen_id(value) -> int | None:
    chosen = _chosen(value)
    return bounded_int(chosen) if chosen is not None else None


def _state_choices():
    return [SelectChoice("", "— not known —")] + [SelectChoice(code, code) for code in sorted(state_time_zones())]


def _length(name: str) -> Length:
    return Length(max=CONTACT_FIELDS[name], message=f"At most {CONTACT_FIELDS[name]} characters.")


class ContactForm(ConsoleForm):
    """A lead's contact data. Phones, email, state and country are checked by the one writer of leads
    (console.leads.services.update_contact, with leads.rules.check_contact); here only their sizes."""

    first_name = StringField("First name", validators=[InputRequired("Give the lead's first name."),
                                                       _length("first_name")])
    last_name = StringField("Last name", validators=[InputRequired("Give the lead's last name."),
                                                     _length("last_name")])
    title = StringField("Title", validators=[Optional(), _length("title")])
    buying_role = SelectField("Buying-centre role", validators=[Optional()], validate_choice=False)
    email = StringField("Email", validators=[Optional(), Length(max=300, message="At most 254 characters.")])
    phone = StringField("Phone", validators=[InputRequired("Give a phone number to call."),
                                             Length(max=60, message="Not a phone number: too long.")])
    alternate_phone = StringField("Alternate phone", validators=[Optional(),
                                                                 Length(max=60, message="Not a phone number: too long.")])
    state = SelectField("State or province", choices=_state_choices, validators=[Optional()])
    country = StringField("Country (ISO code: US, CA)", validators=[Optional(), Length(max=2, message="Two letters.")])
    # The lead's version the page was drawn from: a save from an older page is refused (409), not applied.
    version = BoundedIntegerField("version", widget=HiddenInput(), validators=[Optional()])

    def custom_fields(self):
        return [field for field in self if field.name.startswith(CUSTOM_PREFIX)]

    def contact_changes(self) -> dict:
        changes = {name: self[name].data or "" for name in CONTACT_FIELDS}
        changes["custom_fields"] = {field.name[len(CUSTOM_PREFIX):]: field.data or "" for field in self.custom_fields()}
        return changes

    def show_errors(self, field_errors: dict[str, str]) -> None:
        """The writer's refusals beside their fields ("custom:<key>" for a campaign's own field)."""
        for name, message in field_errors.items():
            field_name = CUSTOM_PREFIX + name[len("custom:"):] if name.startswith("custom:") else name
            if field_name in self:
                self[field_name].errors = [*self[field_name].errors, message]


CUSTOM_PREFIX = "custom-"


def contact_form(lead, **kwargs) -> ContactForm:
    """The contact form of one lead: its campaign's own fields added, its buying role offered even when it is not
    one of the usual ones (an import may bring any)."""

    class LeadContactForm(ContactForm):
        pass

    for field in lead.campaign.custom_fields or []:
        if field.get("key"):
            setattr(LeadContactForm, CUSTOM_PREFIX + field["key"], StringField(
                field.get("label") or field["key"],
                validators=[Optional(), Length(max=CUSTOM_VALUE_LIMIT, message=f"At most {CUSTOM_VALUE_LIMIT} characters.")]))
    form = LeadContactForm(**kwargs)
    roles = list(BUYING_ROLES)
    if lead.buying_role and lead.buying_role not in roles:
        roles.append(lead.buying_role)
    form.buying_role.choices = [SelectChoice("", "— not known —")] + [SelectChoice(role, role.capitalize())
                                                                       for role in roles]
    return form


def contact_data(lead) -> dict:
    """The form's values as the lead holds them now."""
    data = {name: getattr(lead, name) or "" for name in CONTACT_FIELDS}
    data["version"] = lead.version
    for key, value in (lead.custom_fields or {}).items():
        data[CUSTOM_PREFIX + key] = value
    return data
