"""The forms of SLA policies (the default and a campaign's own) and of a sales member's team."""
from __future__ import annotations

from datetime import time

from wtforms import BooleanField, SelectChoice, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from console.forms import WEEKDAYS, BoundedIntegerField, ConsoleForm, MultiCheckboxField, bounded_int
from console.handoffs.sla_services import MAX_MINUTES, PolicyValues


def _minutes(label: str) -> BoundedIntegerField:
    return BoundedIntegerField(label, validators=[
        InputRequired("Give a number of business minutes."),
        NumberRange(1, MAX_MINUTES, f"Give a number of business minutes from 1 to {MAX_MINUTES:,}.")])


class SlaPolicyForm(ConsoleForm):
    requires_review = BooleanField("Marketing reviews each qualified lead before sales gets it")
    handover_minutes = _minutes("Marketing hands over within")
    accept_minutes = _minutes("Sales accepts or rejects within")
    first_contact_minutes = _minutes("Sales makes first contact within")
    amber_percent = BoundedIntegerField("Amber at (% of the time spent)", validators=[
        InputRequired("Give a percent."), NumberRange(1, 99, "Give a percent from 1 to 99.")])
    time_zone = StringField("Time zone", validators=[InputRequired("Give the team's time zone."), Length(max=64)])
    day_start = TimeField("Working day from", validators=[InputRequired("Give the time the working day starts.")])
    day_end = TimeField("Working day to", validators=[InputRequired("Give the time the working day ends.")])
    work_days = MultiCheckboxField("Working days", coerce=bounded_int,
                                   choices=[SelectChoice(index, day) for index, day in enumerate(WEEKDAYS, start=1)])
    holiday_country = StringField("Public holidays of (country code)", validators=[Optional(), Length(max=2)])
    holiday_subdivision = StringField("State or region (optional)", validators=[Optional(), Length(max=10)])

    def values(self) -> PolicyValues:
        return PolicyValues(
            requires_review=bool(self.requires_review.data), handover_minutes=self.handover_minutes.data,
            accept_minutes=self.accept_minutes.data, first_contact_minutes=self.first_contact_minutes.data,
            amber_percent=self.amber_percent.data, time_zone=(self.time_zone.data or "").strip(),
            day_start=self.day_start.data, day_end=self.day_end.data, work_days=list(self.work_days.data or []),
            holiday_country=(self.holiday_country.data or "").strip(),
            holiday_subdivision=(self.holiday_subdivision.data or "").strip())

    @classmethod
    def of(cls, values: dict) -> SlaPolicyForm:
        """The form filled from a policy's values (sla_services.row_values or the built-in defaults)."""
        return cls(data={**values, "day_start": time.fromisoformat(values["day_start"]),
                         "day_end": time.fromisoformat(values["day_end"]),
                         "holiday_country": values["holiday_country"] or "",
                         "holiday_subdivision": values["holiday_subdivision"] or ""})


class SalesTeamForm(ConsoleForm):
    sales_team = StringField("Sales team", validators=[Optional(), Length(max=60)])
    sales_manager = BooleanField("Manages this team: sees its hand-offs and hears of its missed SLAs")
