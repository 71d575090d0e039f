"""The admin's view of the outbox (every message and job, retry and discard) and of the CRM endpoints."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth.models import Role
from console.clock import utcnow
from console.extensions import db
from console.outbox import services
from console.outbox.forms import STATUS_WORDS, EditEndpointForm, EndpointForm, OutboxFilterForm, StartJobForm
from console.outbox.models import OutboxEntry, WebhookEndpoint
from console.outbox.rules import Family, Status
from console.security import allow
from console.web import fragment_requested, never_raises

blueprint = Blueprint("outbox", __name__, url_prefix="/admin")

# The page lists the newest rows up to here; the filters find older ones.
ROWS_SHOWN = 200
# The count columns, in the order a row moves through them.
COUNTED_STATUSES = (Status.PENDING, Status.LEASED, Status.DONE, Status.FAILED, Status.DEAD, Status.HELD,
                    Status.DISCARDED)


def _actor():
    return current_user._get_current_object()


@blueprint.context_processor
@never_raises
def _outbox_words():
    return {"Status": Status, "kind_titles": services.kind_titles()}


# ---------------------------------------------------------------- the outbox

@blueprint.get("/outbox")
@allow(Role.ADMIN)
def index():
    filters = OutboxFilterForm(request.args)
    if not filters.validate():
        return _render_index(filters, StartJobForm()), 422
    return _render_index(filters, StartJobForm())


def _render_index(filters: OutboxFilterForm, start_form: StartJobForm) -> str:
    view = services.outbox_view(**({} if filters.errors else filters.filters()), limit=ROWS_SHOWN)
    return render_template("outbox/index.html", view=view, filters=filters, start_form=start_form,
                           job_kinds=services.job_kinds(), endpoint_names=services.endpoint_names(),
                           families=(Family.MESSAGE, Family.JOB), statuses=COUNTED_STATUSES,
                           status_words=STATUS_WORDS, rows_shown=ROWS_SHOWN,
                           smtp_configured=services.smtp_configured(), now=utcnow())


@blueprint.get("/outbox/jobs")
@allow(Role.ADMIN)
def jobs():
    """The Jobs section alone, polled by the Outbox page every 2 s while a job is open."""
    if not fragment_requested():
        return redirect(url_for("outbox.index", _anchor="jobs"))
    return render_template("outbox/_jobs.html", jobs=services.recent_jobs())


@blueprint.post("/outbox/jobs")
@allow(Role.ADMIN)
def start_job():
    form = StartJobForm()
    if not form.validate():
        return _render_index(OutboxFilterForm(formdata=None), form), 422
    job = services.job_kind(form.kind.data)
    job_id = services.start_job(job.kind, {}, _actor())
    flash(f"Job {job_id} queued: {job.title}. The worker runs it; its progress shows under Jobs.", "success")
    return redirect(url_for("outbox.index", _anchor="jobs"), code=303)


@blueprint.get("/outbox/<id:entry_id>")
@allow(Role.ADMIN)
def entry(entry_id: int):
    """One row. While it is open its facts poll themselves (?shown= the status on the page), so the admin sees
    what the worker made of it; when its status has changed the whole detail comes back, its buttons with it."""
    detail = services.entry_detail(entry_id)
    if detail is None:
        abort(404)
    if not fragment_requested():
        return render_template("outbox/entry.html", detail=detail, entry=detail.entry)
    if request.args.get("shown") == detail.entry.status:
        return render_template("outbox/_entry_facts.html", detail=detail, entry=detail.entry)
    return (render_template("outbox/_entry.html", detail=detail, entry=detail.entry),
            {"HX-Retarget": "#entry", "HX-Reswap": "outerHTML"})


def _act_on_entry(entry_id: int, action, done: str):
    entry = db.get_or_404(OutboxEntry, entry_id)
    noun = "Job" if entry.is_job else "Message"
    try:
        action(entry, _actor())
    except services.OutboxActionError as error:
        flash(str(error), "error")
    else:
        flash(f"{noun} {entry_id} {done}", "success")
    return redirect(url_for("outbox.entry", entry_id=entry_id), code=303)


@blueprint.post("/outbox/<id:entry_id>/retry")
@allow(Role.ADMIN)
def retry(entry_id: int):
    return _act_on_entry(entry_id, services.retry, "is due again now: the worker takes it next.")


@blueprint.post("/outbox/<id:entry_id>/discard")
@allow(Role.ADMIN)
def discard(entry_id: int):
    return _act_on_entry(entry_id, services.discard, "discarded: it will not be sent or run (Retry brings it back).")


# ---------------------------------------------------------------- CRM endpoints

def _render_webhooks(form: EndpointForm) -> str:
    return render_template("outbox/webhooks.html", endpoints=services.endpoints(), form=form)


def _save_endpoint(endpoint: WebhookEndpoint | None, form: EndpointForm) -> WebhookEndpoint | None:
    """The endpoint saved, or None with the refusal on the form's fields."""
    if not form.validate():
        return None
    try:
        return services.save_endpoint(
            endpoint, _actor(), name=form.name.data, url=form.url.data, active=form.active.data,
            allow_private_network=form.allow_private_network.data,
            new_secret_wanted=bool(getattr(form, "new_secret", None) and form.new_secret.data))
    except services.EndpointInvalid as error:
        for name, message in error.field_errors.items():
            form[name].errors = [message]
        return None


@blueprint.get("/webhooks")
@allow(Role.ADMIN)
def webhooks():
    return _render_webhooks(EndpointForm())


@blueprint.post("/webhooks")
@allow(Role.ADMIN)
def add_webhook():
    form = EndpointForm()
    endpoint = _save_endpoint(None, form)
    if endpoint is None:
        return _render_webhooks(form), 422
    flash(f"{endpoint.name}: endpoint added. Give the CRM its secret to check the signatures.", "success")
    return redirect(url_for("outbox.webhooks"), code=303)


@blueprint.get("/webhooks/<id:endpoint_id>")
@allow(Role.ADMIN)
def webhook(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return render_template("outbox/webhook.html", endpoint=endpoint, form=EditEndpointForm(obj=endpoint))


@blueprint.post("/webhooks/<id:endpoint_id>")
@allow(Role.ADMIN)
def save_webhook(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EditEndpointForm(obj=endpoint)
    saved = _save_endpoint(endpoint, form)
    if saved is None:
        return render_template("outbox/webhook.html", endpoint=endpoint, form=form), 422
    flash(f"{saved.name}: saved" + (", with a new secret: give it to the CRM." if form.new_secret.data else "."),
          "success")
    return redirect(url_for("outbox.webhooks"), code=303)


@blueprint.post("/webhooks/<id:endpoint_id>/test")
@allow(Role.ADMIN)
def test_webhook(endpoint_id: int):
    """Queue a test message and show it: its page follows it until the worker has sent it."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    message_id = services.send_test(endpoint, _actor())
    flash(f"Test message {message_id} queued for {endpoint.name}: this page shows what the CRM answers once the "
          "worker has sent it.", "success")
    return redirect(url_for("outbox.entry", entry_id=message_id), code=303)
