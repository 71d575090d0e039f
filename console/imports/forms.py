"""The forms of the imports: uploading a list, and mapping its columns to the lead's fields."""
from wtforms import FieldList, FileField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from console.forms import ConsoleForm, bounded_int
from console.imports.rules import DUPLICATE_POLICIES


class UploadForm(ConsoleForm):
    campaign_id = SelectField("Campaign", coerce=bounded_int, validators=[DataRequired("Choose the campaign the leads are for.")])
    file = FileField("CSV file", description="Comma, semicolon or tab separated; UTF-8, UTF-16 or Windows-1252; "
                                             "the first line names the columns.")
    source_name = StringField("Source", validators=[Optional(), Length(max=60)],
                              description="Where the list comes from (\"Trade show 2026 badge scans\"): the column "
                                          "mapping is remembered under this name and offered next time.")
    duplicates = RadioField("Leads already in the campaign (same external id, phone or email)",
                            choices=[SelectChoice(code, label) for code, label in DUPLICATE_POLICIES.items()],
                            default="skip")

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError("Choose a CSV file to upload.")


class MappingForm(ConsoleForm):
    """One select per column of the file (columns-0, columns-1…): the field it fills, or nothing."""

    columns = FieldList(SelectField("Maps to", validate_choice=True), min_entries=0)


def mapping_form(columns: list[str], fields, mapping: dict[str, str], formdata=None) -> MappingForm:
    """The mapping form for a file's columns, each select offering every field, preset from `mapping`."""
    by_column = {column: key for key, column in mapping.items()}
    form = MappingForm(formdata=formdata) if formdata is not None else MappingForm(
        data={"columns": [by_column.get(column, "") for column in columns]})
    while len(form.columns.entries) < len(columns):
        form.columns.append_entry("")
    del form.columns.entries[len(columns):]
    choices = [SelectChoice("", "— not imported —")] + [SelectChoice(field.key, field.label) for field in fields]
    for entry, column in zip(form.columns.entries, columns):
        entry.choices = choices
        entry.label.text = column
    return form


def chosen_mapping(form: MappingForm, columns: list[str], fields) -> tuple[dict[str, str], dict[int, str]]:
    """Field key → column from the submitted selects, and what is wrong with a select by its position (a field
    chosen for a second column: the first keeps it)."""
    labels = {field.key: field.label for field in fields}
    mapping: dict[str, str] = {}
    errors: dict[int, str] = {}
    for position, (entry, column) in enumerate(zip(form.columns.entries, columns)):
        if not entry.data:
            continue
        if entry.data in mapping:
            errors[position] = f"{labels.get(entry.data, entry.data)} is already filled from {mapping[entry.data]!r}."
        else:
            mapping[entry.data] = column
    return mapping, errors
