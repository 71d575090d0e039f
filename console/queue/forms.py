"""Forms of the queue area: setting where a lead is, so that its calling window is known."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional

from console.compliance.rules import state_time_zones


def _state_choices():
    return [("", "— unknown —")] + [(code, code) for code in sorted(state_time_zones())]


class LeadLocationForm(FlaskForm):
    state = SelectField("State or province", choices=_state_choices, validators=[Optional()])
    time_zones = StringField("Time zones (IANA names, comma-separated; empty: from the number and state)",
                             validators=[Optional(), Length(max=200)])

    def validate_time_zones(self, field):
        for zone in self.zone_list():
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValidationError(f"{zone!r} is not a time zone name (try America/Chicago).") from error

    def zone_list(self) -> list[str]:
        return [zone.strip() for zone in (self.time_zones.data or "").split(",") if zone.strip()]
