"""The forms of hand-off routing: a rule (its conditions and its pool of sales members with their weights), moving
a rule, the Test form, and a sales member's availability."""
from __future__ import annotations

import re

from wtforms import BooleanField, SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from console.compliance.rules import is_zone_name
from console.forms import WEEKDAYS, BoundedIntegerField, ConsoleForm, MultiCheckboxField, bounded_int
from console.handoffs.routing import Conditions, Method
from console.scoring.rules import BANDS

MAX_WEIGHT = 100


class ListField(StringField):
    """Values typed as "CA, OR", kept as a list in the order typed, without repeats."""

    def __init__(self, *args, upper: bool = False, pattern: str | None = None, pattern_message: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.upper, self.pattern, self.pattern_message = upper, pattern, pattern_message

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        values = []
        for part in valuelist[0].replace(";", ",").split(","):
            part = " ".join(part.split())
            part = part.upper() if self.upper else part
            if part and part not in values:
                values.append(part[:80])
        self.data = values
        wrong = [value for value in values if self.pattern and not re.fullmatch(self.pattern, value)]
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: {self.pattern_message}")
        if len(values) > 50:
            raise ValueError("Fifty values at most.")


class RuleForm(ConsoleForm):
    members_error = ""  # what is wrong with the pool as a whole (routing.rule_problems "members")
    name = StringField("Name", validators=[DataRequired("Name the rule."), Length(max=80)])
    states = ListField("States or provinces", upper=True, pattern="[A-Z]{2}",
                       pattern_message="write two-letter codes, as CA, OR.")
    countries = ListField("Countries", upper=True, pattern="[A-Z]{2}",
                          pattern_message="write two-letter ISO codes, as US, CA.")
    industries = ListField("Industries")
    size_min = BoundedIntegerField("Company size from", validators=[Optional(), NumberRange(min=0)])
    size_max = BoundedIntegerField("Company size to", validators=[Optional(), NumberRange(min=0)])
    bands = MultiCheckboxField("Score bands", choices=[SelectChoice(band, band.capitalize()) for band in BANDS])
    personas = ListField("Personas (buying roles)")
    method = SelectField("Who gets the lead", choices=[SelectChoice(key, label) for key, label in Method.LABELS.items()])

    def conditions(self) -> Conditions:
        return Conditions(tuple(self.states.data or ()), tuple(self.countries.data or ()),
                          tuple(self.industries.data or ()), self.size_min.data, self.size_max.data,
                          tuple(self.bands.data or ()), tuple(self.personas.data or ()))

    def members(self) -> tuple[tuple[int, int], ...]:
        return tuple((int(field.name.removeprefix("weight_")), field.data) for field in self.weight_fields()
                     if field.data)

    def weight_fields(self):
        return [field for field in self if field.name.startswith("weight_")]


def rule_form(members, rule=None, formdata=None) -> RuleForm:
    """A rule's form with a weight for each active sales member (empty or 0: not in the pool)."""
    form_class = type("MemberRuleForm", (RuleForm,), {
        f"weight_{member.id}": BoundedIntegerField(member.full_name, validators=[
            Optional(), NumberRange(min=0, max=MAX_WEIGHT, message=f"A weight from 0 to {MAX_WEIGHT}.")])
        for member in members})
    if rule is None:
        return form_class(formdata=formdata) if formdata is not None else form_class()
    conditions = rule.conditions or {}
    data = {"name": rule.name, "method": rule.method, **{key: conditions.get(key) for key in (
        "states", "countries", "industries", "size_min", "size_max", "bands", "personas")}}
    data.update({f"weight_{member_id}": weight for member_id, weight in rule.members or ()})
    return form_class(formdata=formdata, data=data) if formdata is not None else form_class(data=data)


class MoveForm(ConsoleForm):
    direction = SelectField("Move", choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")],
                            validators=[DataRequired()])


class RoutingTestForm(ConsoleForm):
    campaign_id = SelectField("Campaign", coerce=bounded_int)
    lead_id = BoundedIntegerField("Or an existing lead, by id", validators=[Optional(), NumberRange(min=1)])
    state = StringField("State", validators=[Optional(), Length(max=2)])
    country = StringField("Country", validators=[Optional(), Length(max=2)])
    industry = StringField("Industry", validators=[Optional(), Length(max=80)])
    employees = BoundedIntegerField("Company size", validators=[Optional(), NumberRange(min=0)])
    band = SelectField("Score band", choices=[SelectChoice("", "Any")] + [
        SelectChoice(band, band.capitalize()) for band in BANDS], validators=[Optional()])
    persona = StringField("Persona (buying role)", validators=[Optional(), Length(max=40)])


class AvailabilityForm(ConsoleForm):
    away = BooleanField("Away: no new hand-offs until this is cleared")
    days = MultiCheckboxField("Working days", coerce=bounded_int,
                              choices=[SelectChoice(index, day) for index, day in enumerate(WEEKDAYS)])
    start = TimeField("From", validators=[Optional()])
    end = TimeField("To", validators=[Optional()])
    time_zone = StringField("Time zone", validators=[Optional(), Length(max=64)])

    def validate_time_zone(self, field):
        if not is_zone_name(field.data.strip()):
            raise ValidationError("Not a time zone name: write one like America/New_York.")

    def validate(self, extra_validators=None) -> bool:
        """The days, both times and the zone go together: checked here, after the fields, because an empty
        Optional() field runs none of its own checks (its `validate_<name>` included)."""
        valid = super().validate(extra_validators)
        given = [bool(self.days.data), bool(self.start.data), bool(self.end.data)]
        if any(given) and not all(given):
            self.end.errors = [*self.end.errors, "Give the days and both times, or leave them all empty for any time."]
            valid = False
        elif all(given) and self.end.data <= self.start.data:
            self.end.errors = [*self.end.errors,
                               "The end comes after the start (hours past midnight are not supported)."]
            valid = False
        if any(given) and not (self.time_zone.data or "").strip():
            self.time_zone.errors = [*self.time_zone.errors, "Working hours need the time zone they are kept in."]
            valid = False
        return valid

    def working_hours(self) -> dict | None:
        if not self.start.data:
            return None
        return {"days": sorted(self.days.data or []), "start": self.start.data.strftime("%H:%M"),
                "end": self.end.data.strftime("%H:%M")}
