"""The teleprospecting console: create_app() builds the Flask application."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from console import config, forms, navigation, security
from console.database import engine as database_engine
from console.extensions import csrf, db, htmx, login_manager, migrate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    database_engine.configure(app)
    # How to build this app again in a spawned process (a job's second process reads with an app of its own),
    # without that job's module importing this package, which imports it.
    app.extensions["console.create_app"] = create_app
    if app.config.get("TRUSTED_PROXIES"):
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    import console.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    security.init_app(app)
    navigation.init_app(app)
    forms.init_app(app)  # the <id:...> URL converter, before the blueprints' routes

    _register_blueprints(app)
    _register_commands(app)
    _register_jobs()
    _register_ports()
    _register_template_helpers(app)

    @app.get("/")
    @security.login_required_for_all
    def home():
        return redirect(url_for(_home_endpoint_for(current_user.role)))

    @app.get("/favicon.ico")
    @security.public
    def favicon():
        """Browsers ask for /favicon.ico whatever the page declares: send them the console's icon."""
        return app.send_static_file("favicon.svg")

    @app.get("/healthz")
    @security.public
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return jsonify(status="unavailable", database=db.engine.dialect.name), 503
        return jsonify(status="ok", database=db.engine.dialect.name)

    return app


def _home_endpoint_for(role: str) -> str:
    return {
        "teleprospector": "queue.show",
        "sales": "handoffs.inbox",
        "marketing": "reports.campaigns",
    }.get(role, "reports.campaigns")


def _register_blueprints(app: Flask) -> None:
    from console.api.pages import blueprint as api_pages
    from console.api.views import blueprint as api
    from console.auth.views import blueprint as auth
    from console.calls.views import blueprint as calls
    from console.campaigns.views import blueprint as campaigns
    from console.errors import blueprint as errors
    from console.guides.views import blueprint as guides
    from console.handoffs.review_views import blueprint as handoff_review
    from console.handoffs.routing_views import blueprint as routing
    from console.handoffs.sla_views import blueprint as sla
    from console.handoffs.views import blueprint as handoffs
    from console.imports.views import blueprint as imports
    from console.lead_record.views import blueprint as lead_record
    from console.leads.views import blueprint as leads
    from console.notifications.views import blueprint as notifications
    from console.outbox.views import blueprint as outbox
    from console.queue.views import blueprint as queue
    from console.reports.alignment_views import blueprint as alignment
    from console.reports.views import blueprint as reports
    from console.scoring.views import blueprint as scoring
    from console.team.views import blueprint as team
    from console.telephony.views import blueprint as telephony

    for blueprint in (auth, calls, campaigns, errors, guides, handoffs, handoff_review, imports, lead_record, leads,
                      notifications, outbox, queue, reports, alignment, routing, scoring, sla, team, telephony):
        app.register_blueprint(blueprint)
    csrf.exempt(api)  # a bearer token, never a cookie, authorises an API call
    app.register_blueprint(api)
    app.register_blueprint(api_pages)


def _register_commands(app: Flask) -> None:
    from console.api.cli import api_tokens
    from console.auth.cli import users
    from console.demo.cli import demo
    from console.guides.cli import guides
    from console.imports.cli import leads
    from console.outbox.cli import worker
    from console.queue.cli import queue
    from console.reports.cli import reports
    from console.team import cli as _team_commands  # noqa: F401  (adds `list` and `deactivate` to `flask users`)
    from console.telephony.cli import twilio

    for group in (api_tokens, users, demo, guides, leads, queue, reports, twilio, worker):
        app.cli.add_command(group)


def _register_jobs() -> None:
    """Every area's background job kinds, so that the worker can run them (console.outbox.services.register_job)."""
    import console.api.jobs  # noqa: F401
    import console.guides.jobs  # noqa: F401
    import console.handoffs.jobs  # noqa: F401
    import console.imports.jobs  # noqa: F401
    import console.leads.jobs  # noqa: F401
    import console.reports.jobs  # noqa: F401
    import console.scoring.jobs  # noqa: F401


def _register_ports() -> None:
    """Ports a lower area asks through and a higher one fills (docs/architecture.md, "Ports")."""
    from console.calls import line
    from console.calls.open_leads import OpenLeadsOfCalls
    from console.scoring import open_leads
    from console.handoffs import packet
    from console.telephony.packet_calls import CallsWithTheirLine
    from console.telephony.services import TelephonyLine

    line.register(TelephonyLine())
    open_leads.register(OpenLeadsOfCalls())
    packet.register(CallsWithTheirLine())


def _register_template_helpers(app: Flask) -> None:
    from console.clock import elapsed_clock, seconds_since
    from console.forms import money
    from console.leads.rules import format_phone

    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["money"] = money
    app.jinja_env.globals["elapsed_clock"] = elapsed_clock
    app.jinja_env.globals["seconds_since"] = seconds_since
    app.jinja_env.globals["home_endpoint_for"] = _home_endpoint_for


@login_manager.user_loader
def _load_user(user_id: str):
    from console.auth.services import signed_in_user

    return signed_in_user(int(user_id))
