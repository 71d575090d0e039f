"""Input plumbing every area's views and forms use, so that no input reaches the database in a shape it refuses.

* Integers the database stores are 32-bit on PostgreSQL (`INTEGER`): `DATABASE_INT_MIN` .. `DATABASE_INT_MAX`,
  the same bound on SQLite so both databases answer alike.
  - URLs: the `<id:...>` converter (`IdConverter`, registered by `init_app`) matches only 0 .. DATABASE_INT_MAX,
    so a larger id is a 404 before any view runs.
  - Forms: `BoundedIntegerField` (an out-of-range number is a field error) and `bounded_int`, the coerce of a
    `SelectField` of ids.
  - Query strings and hidden values read outside a form: `int_arg(name)`.
* Text: PostgreSQL refuses a NUL character in text. Every form is a `ConsoleForm`, which removes NULs from what
  was submitted before any field reads it (the same on both databases), and reads the submitted form fields only
  (no JSON bodies), and file parts only for the file fields it declares (an upload form's). Text read outside a
  form goes through `without_nul`.
"""
from __future__ import annotations

import re

from flask import abort, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import FileField, IntegerField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

DATABASE_INT_MAX = 2**31 - 1
DATABASE_INT_MIN = -(2**31)
_DIGITS = len(str(DATABASE_INT_MAX))
_INTEGER = re.compile(r"[+-]?[0-9]{1,%d}" % _DIGITS)


class OutOfRange(ValueError):
    """A whole number the database cannot store."""


def bounded_int(value) -> int:
    """`value` as an integer the database can store (a SelectField's coerce): ValueError when it is not a whole
    number (ASCII digits, never thousands of them: int() would refuse), OutOfRange when it does not fit."""
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            raise OutOfRange("too many digits") if re.fullmatch(r"[+-]?[0-9]+", text) else ValueError(
                "not a whole number")
        number = int(text)
    if not DATABASE_INT_MIN <= number <= DATABASE_INT_MAX:
        raise OutOfRange("out of range")
    return number


def int_arg(name: str, source=None) -> int | None:
    """A whole number read from the query string (or `source`, a request's form): None when absent or empty,
    404 when it cannot name anything (not a whole number from 0 to DATABASE_INT_MAX)."""
    raw = (request.args if source is None else source).get(name)
    if raw is None or raw == "":
        return None
    try:
        number = bounded_int(raw)
    except ValueError:
        abort(404)
    if number < 0:
        abort(404)
    return number


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a whole number from 0 to DATABASE_INT_MAX; anything else does not match (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=0, max=DATABASE_INT_MAX)

    def to_python(self, value: str) -> int:
        if len(value) > _DIGITS:  # int() refuses thousands of digits with a ValueError, not a 404
            raise ValidationError()
        return super().to_python(value)


# The days of the week as forms name them, Monday first (ISO 1 is WEEKDAYS[0]).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice drawn as a list of checkboxes (days of the week, score bands)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BoundedIntegerField(IntegerField):
    """An IntegerField whose number fits the database's integer columns: outside them it is a field error."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = bounded_int(valuelist[0])
        except OutOfRange:
            self.data = None
            raise ValueError(f"Enter a number from {DATABASE_INT_MIN} to {DATABASE_INT_MAX}.") from None
        except ValueError:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value.")) from None

    def process_data(self, value):
        if value is None or value == "":
            self.data = None
            return
        super().process_data(value)

    def _value(self) -> str:
        # The number (which a view may have set after reading the form), else what was typed, to be corrected.
        if self.data is not None:
            return str(self.data)
        return self.raw_data[0] if self.raw_data else ""


def without_nul(values) -> MultiDict:
    """Submitted values with every NUL character removed (text only: files and other values are left out)."""
    cleaned = MultiDict()
    for key, value in values.items(multi=True):
        if isinstance(value, FileStorage):
            continue
        cleaned.add(key.replace("\x00", ""), (value if isinstance(value, str) else str(value)).replace("\x00", ""))
    return cleaned


class ConsoleForm(FlaskForm):
    """The base of every console form (a FlaskForm: CSRF protected): reads the submitted fields without NULs, and
    the uploaded files of the file fields it declares."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return None if formdata is None else without_nul(formdata)
            if request.method not in SUBMIT_METHODS:
                return None
            # The request's form fields, never a JSON body; files only for the form's own file fields.
            file_fields = [field.name for field in form if isinstance(field, FileField)]
            files = [(name, upload) for name in file_fields for upload in request.files.getlist(name)]
            if not request.form and not files:
                return None
            formdata = without_nul(request.form)
            for name, upload in files:
                formdata.add(name, upload)
            return formdata


def init_app(app) -> None:
    """Register the `<id:...>` URL converter (before any blueprint adds its routes)."""
    app.url_map.converters["id"] = IdConverter


MONEY_MAX_CENTS = 100_000_000_000  # one billion: more is a typing slip
_MONEY = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def money(amount_cents: int | None) -> str:
    """Cents as an amount is written ("12,500.00"): the one way the console shows money (a template filter too)."""
    return "" if amount_cents is None else f"{amount_cents / 100:,.2f}"


def cents(text: str, max_cents: int = MONEY_MAX_CENTS) -> int:
    """An amount typed as "12,500.00", "12500" or "$12,500.5" in cents; ValueError saying what is wrong. Commas
    only group thousands; at most two decimals; more than zero and at most `max_cents`."""
    cleaned = str(text).strip().removeprefix("$").strip()
    match = _MONEY.fullmatch(cleaned) if len(cleaned) <= 24 else None
    if match is None:
        raise ValueError("Write an amount like 12,500.00 or 12500.")
    whole, _dot, fraction = cleaned.replace(",", "").partition(".")
    amount = int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    if amount <= 0:
        raise ValueError("An amount is more than zero.")
    if amount > max_cents:
        raise ValueError(f"An amount is at most {max_cents // 100:,}.")
    return amount


class MoneyField(StringField):
    """An amount of money in cents (`cents`): what was typed stays in the field when it is wrong."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        self.data = cents(valuelist[0])  # its ValueError is the field's error

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return money(self.data)
