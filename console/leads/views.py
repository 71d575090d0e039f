"""The do-not-call list's pages (marketing, admins): search it, add a number or a file of them, remove an entry.

Every change goes through console.leads.services, which takes the numbers out of every queue they cover (or
judges their leads again) in the same transaction, and audits it.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth.models import Role
from console.compliance import services as do_not_call_list
from console.compliance.models import DoNotCallEntry
from console.csv_files import ENCODING_LABELS, UnreadableFile
from console.extensions import db
from console.forms import int_arg
from console.leads import number_files, services
from console.leads.forms import (MAX_FILE_LABEL, AddNumberForm, DoNotCallFilterForm, RemoveEntryForm,
                                 UploadNumbersForm)
from console.leads.rules import format_phone
from console.security import allow

blueprint = Blueprint("leads", __name__)


def _actor():
    return current_user._get_current_object()


def _filters() -> dict:
    """The list's search as it is in the query string, to come back to after a change."""
    return {name: request.args[name] for name in ("q", "scope", "source") if request.args.get(name)}


def _render_list(*, add_form=None, upload_form=None, remove_form=None, removing: int | None = None,
                 status: int = 200):
    filters = DoNotCallFilterForm(request.args)
    cursor = int_arg("cursor")
    if filters.validate():
        page = do_not_call_list.find_entries(filters.search(), cursor=cursor)
    else:
        page, status = None, max(status, 422)
    return render_template(
        "leads/do_not_call.html", filters=filters, page=page, cursor=cursor, kept=_filters(),
        add_form=add_form or AddNumberForm(formdata=None), upload_form=upload_form or UploadNumbersForm(formdata=None),
        remove_form=remove_form, blank_remove_form=RemoveEntryForm(formdata=None), removing=removing,
        max_file=MAX_FILE_LABEL), status


@blueprint.get("/do-not-call")
@allow(Role.MARKETING)
def do_not_call():
    return _render_list()


@blueprint.post("/do-not-call")
@allow(Role.MARKETING)
def add_do_not_call():
    form = AddNumberForm()
    if not form.validate():
        return _render_list(add_form=form, status=422)
    entry = services.list_number(form.e164, _actor(), campaign_id=form.campaign_id, reason=form.reason.data.strip())
    number = format_phone(form.e164)
    if entry is None:
        flash(f"{number} was already on the list there: its leads stay out of the queue.", "info")
    else:
        flash(f"{number} is on the do-not-call list: it has left every queue it covers.", "success")
    return redirect(url_for("leads.do_not_call", q=form.e164), code=303)


def _read_upload(form: UploadNumbersForm) -> bytes | None:
    """The uploaded file's bytes, or None with the reason on the form (too large)."""
    data = form.numbers.data.stream.read(number_files.MAX_FILE_BYTES + 1)
    if len(data) > number_files.MAX_FILE_BYTES:
        form.numbers.errors = [*form.numbers.errors, f"The file is larger than {MAX_FILE_LABEL}: split it and "
                                                     "upload the parts one after the other."]
        return None
    return data


@blueprint.post("/do-not-call/upload")
@allow(Role.MARKETING)
def upload_do_not_call():
    form = UploadNumbersForm()
    if not form.validate() or (data := _read_upload(form)) is None:
        return _render_list(upload_form=form, status=422)
    try:
        numbers = number_files.read_numbers(data)
    except UnreadableFile as error:
        form.numbers.errors = [*form.numbers.errors, str(error)]
        return _render_list(upload_form=form, status=422)
    file_name = (form.numbers.data.filename or "upload")[:255]
    added = services.list_numbers(numbers.numbers, _actor(), campaign_id=form.campaign_id,
                                  reason=form.reason.data.strip(), file_name=file_name,
                                  counts={"repeated": numbers.repeated, "invalid": len(numbers.invalid),
                                          "lines": numbers.lines})
    return render_template("leads/upload_result.html", numbers=numbers, added=len(added), file_name=file_name,
                           already_listed=len(numbers.numbers) - len(added),
                           scope=_scope_label(form),
                           encoding=ENCODING_LABELS.get(numbers.encoding, numbers.encoding))


def _scope_label(form) -> str:
    return next((str(choice.label) for choice in form.scope.choices if choice.value == form.scope.data), "")


@blueprint.post("/do-not-call/<id:entry_id>/remove")
@allow(Role.MARKETING)
def remove_do_not_call(entry_id: int):
    entry = db.get_or_404(DoNotCallEntry, entry_id)
    form = RemoveEntryForm()
    if not form.validate():
        return _render_list(remove_form=form, removing=entry_id, status=422)
    number = format_phone(entry.phone)
    try:
        services.unlist_number(entry_id, _actor(), reason=form.reason.data)
    except services.DoNotCallRefused as error:
        flash(str(error), "error")
    else:
        flash(f"{number} is off the list there: its leads are judged again and may be called.", "success")
    return redirect(url_for("leads.do_not_call", **_filters()), code=303)
