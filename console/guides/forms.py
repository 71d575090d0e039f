"""Forms of the guide editor: the whole guide as one form, lists as numbered sub-forms.

WTForms only reads the submitted fields into nested lists here; what makes a
guide valid lives in rules.canonical, shared with the guide files.
"""
from wtforms import FieldList, Form, FormField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from console.forms import BoundedIntegerField, ConsoleForm, bounded_int
from console.guides import rules


# Sub-form fields must not be called id or label: FormField has attributes of those names.
class AnswerForm(Form):
    text = StringField("Answer")
    value = StringField("Records")
    next = StringField("Goes to")


class StepForm(Form):
    ref = StringField("Step id")
    title = StringField("Title")
    field = StringField("Qualification field")
    question = TextAreaField("Question")
    hint = TextAreaField("Hint for the agent")
    answers = FieldList(FormField(AnswerForm), min_entries=0, max_entries=rules.MAX_ITEMS["answers"])


class ObjectionForm(Form):
    ref = HiddenField()
    objection = StringField("The prospect says")
    response = TextAreaField("Response")
    tags = StringField("Search tags")
    competitor = StringField("Competitor")


class BattlecardForm(Form):
    competitor = StringField("Competitor")
    positioning = TextAreaField("Positioning")
    landmines = TextAreaField("Landmines (one question per line)")
    proof_points = TextAreaField("Proof points (one per line)")


class GuideForm(ConsoleForm):
    name = StringField("Guide name")
    persona = SelectField("Persona (buying role)", choices=[SelectChoice("", "Any buying role")] +
                          [SelectChoice(role, role.capitalize()) for role in rules.BUYING_ROLES], validate_choice=False)
    campaign = SelectField("Only for campaign", choices=[SelectChoice("", "Any campaign that uses it")],
                           validate_choice=False)
    opening = TextAreaField("Opening")
    steps = FieldList(FormField(StepForm), min_entries=0, max_entries=rules.MAX_ITEMS["steps"])
    objections = FieldList(FormField(ObjectionForm), min_entries=0, max_entries=rules.MAX_ITEMS["objections"])
    battlecards = FieldList(FormField(BattlecardForm), min_entries=0, max_entries=rules.MAX_ITEMS["battlecards"])
    handoff_script = TextAreaField("Hand-off script")
    voicemail_script = TextAreaField("Voicemail script")
    change_note = StringField("Change note", validators=[Length(max=500)])
    base_number = BoundedIntegerField(widget=HiddenInput(), validators=[Optional()])
    change = HiddenField()  # add/remove/move requests from the editor's buttons
    section = HiddenField()  # the editor's open section (guides.views.EDITOR_SECTIONS), kept when the form is shown again

    @classmethod
    def for_content(cls, content: dict, campaigns: list[str], **extra) -> "GuideForm":
        """A form showing this content (not the request's fields)."""
        data = dict(content)
        data["steps"] = [dict(step, ref=step.get("id", ""),
                              answers=[dict(answer, text=answer.get("label", "")) for answer in step.get("answers") or []])
                         for step in content.get("steps") or []]
        data["objections"] = [dict(item, ref=item.get("id", ""), tags=", ".join(item.get("tags") or []))
                              for item in content.get("objections") or []]
        data["battlecards"] = [dict(card, landmines="\n".join(card.get("landmines") or []),
                                    proof_points="\n".join(card.get("proof_points") or []))
                               for card in content.get("battlecards") or []]
        form = cls(formdata=None, data={**data, **extra})
        form.set_campaigns(campaigns)
        return form

    def set_campaigns(self, campaigns: list[str]) -> None:
        names = list(campaigns)
        if self.campaign.data and self.campaign.data not in names:
            names.append(self.campaign.data)  # named in a file before the campaign existed
        self.campaign.choices = [SelectChoice("", "Any campaign that uses it")] + [SelectChoice(name, name) for name in names]

    def raw_content(self) -> dict:
        """What the author submitted, shaped like a guide file, for rules.canonical to check."""
        return {
            "name": self.name.data,
            "persona": self.persona.data,
            "campaign": self.campaign.data,
            "opening": self.opening.data,
            "steps": [{
                "id": step.ref.data, "title": step.title.data, "field": step.field.data,
                "question": step.question.data, "hint": step.hint.data,
                "answers": [{"label": answer.text.data, "value": answer.value.data, "next": answer.next.data}
                            for answer in step.answers],
            } for step in self.steps],
            "objections": [{
                "id": objection.ref.data, "objection": objection.objection.data, "response": objection.response.data,
                "tags": objection.tags.data or "", "competitor": objection.competitor.data,
            } for objection in self.objections],
            "battlecards": [{
                "competitor": card.competitor.data, "positioning": card.positioning.data,
                "landmines": (card.landmines.data or "").splitlines(),
                "proof_points": (card.proof_points.data or "").splitlines(),
            } for card in self.battlecards],
            "handoff_script": self.handoff_script.data,
            "voicemail_script": self.voicemail_script.data,
        }

    def editable_content(self) -> dict:
        """The submitted guide in canonical shape without dropping anything unfinished (for add/move/remove)."""
        raw = self.raw_content()
        for step in raw["steps"]:
            step["answers"] = [dict(answer) for answer in step["answers"]]
        for objection in raw["objections"]:
            objection["tags"] = [tag.strip() for tag in objection["tags"].split(",") if tag.strip()]
        return raw


class RevertForm(ConsoleForm):
    change_note = StringField("Why", validators=[Length(max=500)])


class PublishForm(ConsoleForm):
    number = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])


class NewGuideForm(ConsoleForm):
    name = StringField("Name", validators=[DataRequired("Give the guide a name."), Length(max=120)])
    slug = StringField("File name (slug)", validators=[DataRequired("Give the guide a file name."), Length(max=80)])
    copy_from = SelectField("Start from a copy of", coerce=bounded_int, validate_choice=False)
