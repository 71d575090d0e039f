"""The report's range form, read from the query string: a preset or two days, the trend's grouping, the
attribution model, and the breakdown shown."""
from __future__ import annotations

from datetime import date

from wtforms import DateField, SelectField, SelectChoice
from wtforms.validators import Optional

from console.forms import ConsoleForm, bounded_int
from console.reports import rules
from console.reports.services import Breakdown

class RangeForm(ConsoleForm):
    """A GET form (no CSRF: it changes nothing). Days typed (`from`, `to`) win over the preset (a link's
    `preset=last_7`); neither: the last 30 days."""

    class Meta:
        csrf = False

    preset = SelectField("Range", choices=[SelectChoice(key, label) for key, label in rules.Preset.LABELS.items()],
                         default=rules.Preset.DEFAULT, validators=[Optional()])
    # The query says `from` and `to` (Python keywords: hence the fields' own names).
    first = DateField("From", name="from", validators=[Optional()])
    last = DateField("To", name="to", validators=[Optional()])
    grouping = SelectField("Trend by", choices=[SelectChoice(key, label) for key, label
                                                in rules.Grouping.LABELS.items()],
                           default=rules.Grouping.DAY, validators=[Optional()])
    attribution = SelectField("Won deals by", choices=[SelectChoice(key, label) for key, label
                                                        in rules.Attribution.LABELS.items()],
                              default=rules.Attribution.FIRST, validators=[Optional()])
    by = SelectField("Breakdown by", choices=[SelectChoice(key, label) for key, label in Breakdown.LABELS.items()],
                     default=Breakdown.AGENT, validators=[Optional()])
    campaign = SelectField("Campaign", coerce=bounded_int, choices=[], validators=[Optional()])

    def dates_typed(self) -> bool:
        return any(str(value).strip() for field in (self.first, self.last) for value in (field.raw_data or ()))

    def days(self, today: date) -> tuple[date, date]:
        """The range asked for (after validate()): the two days when either was typed, else the preset's."""
        if self.dates_typed():
            return self.first.data, self.last.data
        return rules.preset_dates(self.preset.data or rules.Preset.DEFAULT, today)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here, not as a field validator: Optional() stops the chain of an empty `to`.
        if valid and self.dates_typed():
            problem = rules.range_problem(self.first.data, self.last.data)
            if problem:
                self.last.errors = [*self.last.errors, problem]
                return False
        return valid
