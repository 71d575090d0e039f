"""Forms of the queue area: setting where a lead is, so that its calling window is known."""
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional

from console.compliance.rules import is_zone_name, state_time_zones
from console.forms import ConsoleForm


def _state_choices():
    return [("", "— unknown —")] + [(code, code) for code in sorted(state_time_zones())]


class LeadLocationForm(ConsoleForm):
    state = SelectField("State or province", choices=_state_choices, validators=[Optional()])
    time_zones = StringField("Time zones (IANA names, comma-separated; empty: from the number and state)",
                             validators=[Optional(), Length(max=200)])

    def validate_time_zones(self, field):
        for zone in self.zone_list():
            if not is_zone_name(zone):
                raise ValidationError(f"{zone[:80]!r} is not a time zone name (try America/Chicago).")

    def zone_list(self) -> list[str]:
        return [zone.strip() for zone in (self.time_zones.data or "").split(",") if zone.strip()]
