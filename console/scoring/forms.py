"""The lead definition's forms: a proposal (criteria, answers, points, thresholds, caps, engagement, glossary), a
vote, the admin's approval counts, and which versions to compare."""
from wtforms import (BooleanField, FieldList, Form, FormField, RadioField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from console.forms import BoundedIntegerField, ConsoleForm, bounded_int
from console.scoring import rules

POINTS = NumberRange(-rules.LIMITS["points"], rules.LIMITS["points"],
                     f"Points from -{rules.LIMITS['points']} to {rules.LIMITS['points']}.")
THRESHOLD = NumberRange(-rules.LIMITS["threshold"], rules.LIMITS["threshold"])
# Blank rows the form offers for a new answer of every criterion, a new criterion, cap and touch kind.
NEW_OPTION_ROWS, NEW_CRITERION_ROWS, NEW_CAP_ROWS, NEW_TOUCH_ROWS = 1, 1, 1, 2


class OptionForm(Form):
    """One answer of a criterion (or a numeric criterion's band); a sub-form, so the page's one CSRF token
    covers every row. A row left blank is no answer."""

    value = StringField("Value", validators=[Optional(), Length(max=60)])
    label = StringField("Answer", validators=[Optional(), Length(max=rules.LIMITS["label"])])
    points = BoundedIntegerField("Points", validators=[Optional(), POINTS])
    at_least = BoundedIntegerField("From", validators=[Optional(), NumberRange(-rules.LIMITS["number"],
                                                                             rules.LIMITS["number"])])

    def is_blank(self) -> bool:
        return not (self.value.data or "").strip() and not (self.label.data or "").strip()


def _option_value(kind: str, option, index: int) -> str:
    """An answer's stored value as typed, else made from its label; a source criterion's answer is the source
    itself, written as leads' sources are compared (rules.source_value)."""
    typed = (option.value.data or "").strip()
    if kind == rules.SOURCE:
        return rules.source_value(typed or option.label.data)
    return typed or rules.key_from_label(option.label.data, f"answer_{index + 1}")


class CriterionForm(Form):
    key = StringField("Key", validators=[Optional(), Length(max=40)])
    label = StringField("Criterion", validators=[Optional(), Length(max=rules.LIMITS["label"])])
    question = StringField("Question", validators=[Optional(), Length(max=rules.LIMITS["question"])])
    kind = SelectField("Answered with", choices=[SelectChoice(rules.CHOICE, "one of its answers"),
                                                 SelectChoice(rules.NUMBER, "a number, in bands"),
                                                 SelectChoice(rules.SOURCE, "the lead's source (not asked)")],
                       default=rules.CHOICE, validate_choice=True)
    required = BooleanField("Required for qualified")
    group = StringField("Group", validators=[Optional(), Length(max=40)])
    unit = StringField("Unit", validators=[Optional(), Length(max=20)])
    remove = BooleanField("Remove")
    options = FieldList(FormField(OptionForm), max_entries=rules.LIMITS["options"] + NEW_OPTION_ROWS)

    def is_blank(self) -> bool:
        return not (self.key.data or "").strip() and not (self.label.data or "").strip()


class CapForm(Form):
    group = StringField("Group", validators=[Optional(), Length(max=40)])
    label = StringField("Name", validators=[Optional(), Length(max=rules.LIMITS["label"])])
    max_points = BoundedIntegerField("At most", validators=[Optional(), POINTS])


class TouchForm(Form):
    kind = StringField("Touch kind", validators=[Optional(), Length(max=30)])
    label = StringField("Shown as", validators=[Optional(), Length(max=rules.LIMITS["label"])])
    points = BoundedIntegerField("Points", validators=[Optional(), POINTS])


class GlossaryForm(Form):
    """One text a term of the shared glossary (scoring.rules.GLOSSARY_TERMS)."""


for _term in rules.GLOSSARY_TERMS:
    setattr(GlossaryForm, _term, TextAreaField(_term, validators=[Optional(), Length(max=rules.LIMITS["definition"])]))


class ProposalForm(ConsoleForm):
    campaign_id = SelectField("Applies to", coerce=bounded_int, validate_choice=True, default=0)
    note = TextAreaField("Why this change", validators=[DataRequired("Say why: both sides read it before they vote."),
                                                        Length(max=2000)])
    hot_from = BoundedIntegerField("Hot from", validators=[InputRequired("Give the lowest hot score."), THRESHOLD])
    warm_from = BoundedIntegerField("Warm from", validators=[InputRequired("Give the lowest warm score."), THRESHOLD])
    qualified_from = BoundedIntegerField("Qualified from", validators=[
        InputRequired("Give the lowest score that may be qualified."), THRESHOLD])
    criteria = FieldList(FormField(CriterionForm), max_entries=rules.LIMITS["criteria"] + NEW_CRITERION_ROWS)
    caps = FieldList(FormField(CapForm), max_entries=rules.LIMITS["caps"] + NEW_CAP_ROWS)
    half_life_days = BoundedIntegerField("Half-life (days)", validators=[
        Optional(), NumberRange(1, rules.LIMITS["half_life_days"], "From 1 day to 10 years; empty: no decay.")])
    engagement_cap = BoundedIntegerField("Engagement at most", validators=[Optional(), POINTS])
    touches = FieldList(FormField(TouchForm), max_entries=rules.LIMITS["kinds"] + NEW_TOUCH_ROWS)
    glossary = FormField(GlossaryForm)
    action = RadioField(choices=[SelectChoice("draft", "Save as a draft"), SelectChoice("propose", "Propose")], default="propose",
                        validate_choice=False)

    def definition(self) -> tuple[dict, dict]:
        """What was typed as a stored model dict and glossary (blank rows left out; the service checks the rest)."""
        criteria = []
        for entry in self.criteria.entries:
            row = entry.form
            if row.is_blank() or row.remove.data:
                continue
            options = [{"value": _option_value(row.kind.data, option.form, index),
                        "label": (option.form.label.data or "").strip(), "points": option.form.points.data or 0,
                        "at_least": option.form.at_least.data if row.kind.data == rules.NUMBER else None}
                       for index, option in enumerate(row.options.entries) if not option.form.is_blank()]
            criteria.append({"key": (row.key.data or "").strip() or rules.key_from_label(row.label.data, "criterion"),
                             "label": (row.label.data or "").strip(), "question": (row.question.data or "").strip(),
                             "kind": row.kind.data or rules.CHOICE, "required": bool(row.required.data),
                             "group": (row.group.data or "").strip(), "unit": (row.unit.data or "").strip(),
                             "options": options})
        caps = [{"group": (entry.form.group.data or "").strip(), "label": (entry.form.label.data or "").strip()
                 or (entry.form.group.data or "").strip(), "max_points": entry.form.max_points.data or 0}
                for entry in self.caps.entries if (entry.form.group.data or "").strip()]
        kinds = [{"kind": (entry.form.kind.data or "").strip(), "label": (entry.form.label.data or "").strip()
                  or (entry.form.kind.data or "").strip(), "points": entry.form.points.data or 0}
                 for entry in self.touches.entries if (entry.form.kind.data or "").strip()]
        model = {"criteria": criteria,
                 "thresholds": {"hot": self.hot_from.data, "warm": self.warm_from.data,
                                "qualified": self.qualified_from.data},
                 "caps": caps,
                 "engagement": {"half_life_days": self.half_life_days.data, "cap": self.engagement_cap.data,
                                "kinds": kinds}}
        glossary = {term: (getattr(self.glossary.form, term).data or "").strip() for term in rules.GLOSSARY_TERMS}
        return model, {term: text for term, text in glossary.items() if text}

    def fill(self, model: dict, glossary: dict) -> None:
        """Show a stored definition in the form, with blank rows for new answers, criteria, caps and touches."""
        thresholds = model["thresholds"]
        self.hot_from.data, self.warm_from.data = thresholds["hot"], thresholds["warm"]
        self.qualified_from.data = thresholds["qualified"]
        for criterion in model["criteria"]:
            self.criteria.append_entry({**criterion, "options": list(criterion["options"])
                                        + [{} for _ in range(NEW_OPTION_ROWS)]})
        for _ in range(NEW_CRITERION_ROWS):
            self.criteria.append_entry({"required": False, "options": [{} for _ in range(3)]})
        for cap in model.get("caps") or ():
            self.caps.append_entry(cap)
        for _ in range(NEW_CAP_ROWS):
            self.caps.append_entry()
        engagement = model.get("engagement") or {}
        self.half_life_days.data, self.engagement_cap.data = engagement.get("half_life_days"), engagement.get("cap")
        for kind in engagement.get("kinds") or ():
            self.touches.append_entry(kind)
        for _ in range(NEW_TOUCH_ROWS):
            self.touches.append_entry()
        for term in rules.GLOSSARY_TERMS:
            getattr(self.glossary.form, term).data = glossary.get(term, "")


class VoteForm(ConsoleForm):
    decision = RadioField("Your vote", choices=[SelectChoice(rules.APPROVE, "Approve"), SelectChoice(rules.REJECT, "Reject")],
                          validators=[InputRequired("Approve or reject.")])
    side = SelectField("Counted for", choices=[SelectChoice(side, rules.SIDE_LABELS[side]) for side in rules.SIDES],
                       validate_choice=True, default=rules.SALES)
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=2000)])


class ProposalActionForm(ConsoleForm):
    """Submit or rebase: nothing but the CSRF token."""


class ApprovalsForm(ConsoleForm):
    sales = BoundedIntegerField("Approvals from sales", validators=[
        InputRequired("Give a number."), NumberRange(1, rules.MAX_APPROVALS, "From 1 to 10.")])
    marketing = BoundedIntegerField("Approvals from marketing", validators=[
        InputRequired("Give a number."), NumberRange(1, rules.MAX_APPROVALS, "From 1 to 10.")])


class CompareForm(ConsoleForm):
    class Meta(ConsoleForm.Meta):
        csrf = False  # a GET filter: read from the query string

    from_version = SelectField("From", coerce=bounded_int, validate_choice=True)
    to_version = SelectField("To", coerce=bounded_int, validate_choice=True)


class ScopeForm(ConsoleForm):
    class Meta(ConsoleForm.Meta):
        csrf = False

    campaign = SelectField("Definition for", coerce=bounded_int, validate_choice=True, default=0)


def with_suggested_points(model: dict, suggestions: list[str]) -> tuple[dict, int]:
    """The stored model with the points a link suggests ("criterion:value:points", the evidence page's *Propose from
    evidence*), and how many options changed. What names no option, or is not a whole number within the editor's
    limits, is left out: the editor still checks everything, and the proposal still needs both sides' votes."""
    wanted: dict[tuple[str, str], int] = {}
    for suggestion in suggestions[:rules.LIMITS["criteria"] * rules.LIMITS["options"]]:
        key, _, rest = suggestion.partition(":")
        value, _, points = rest.rpartition(":")
        try:
            number = int(points) if len(points) <= 6 else None
        except ValueError:
            number = None
        if number is not None and abs(number) <= rules.LIMITS["points"]:
            wanted[(key, value)] = number
    changed = 0
    criteria = []
    for criterion in model["criteria"]:
        options = []
        for option in criterion["options"]:
            points = wanted.get((criterion["key"], str(option["value"])), option["points"])
            changed += points != option["points"]
            options.append({**option, "points": points})
        criteria.append({**criterion, "options": options})
    return {**model, "criteria": criteria}, changed
