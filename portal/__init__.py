"""MVI-kennisportaal: create_app() builds the Flask application."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import (
    PROJECT_ROOT,
    check_production,
    check_storage,
    connection_settings,
    settings_from_env,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overridden by config (tests pass a dict)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    settings = settings_from_env()
    settings.update(config or {})
    connection_settings(settings)
    check_production(settings)
    check_storage(settings)
    app.config.from_mapping(settings)
    app.instance_path = str(app.config["INSTANCE_DIR"])
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    from portal.ops import logs, reporting

    logs.configure(app)
    reporting.init_app(app)

    register_extensions(app)
    register_blueprints(app)
    from portal import cli, errors, security, templating
    from portal.content import counting
    from portal.ops import metrics
    from portal.outbox import delivery
    from portal.search import insights

    logs.init_app(app)
    metrics.init_app(app)
    delivery.init_app(app)
    counting.init_app(app)
    insights.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def register_extensions(app: Flask) -> None:
    from pathlib import Path

    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=_include_object,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    from portal.accounts import views as account_views

    login_manager.user_loader(account_views.load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    from portal.search.models import include_object

    return include_object(obj, name, type_, reflected, compare_to)


# The knowledge kinds, each a package that declares its KindSpec in kind.py.
KIND_PACKAGES = ("tenders", "criteria", "consultations", "lessons", "plans", "events", "questions")


def register_kinds() -> None:
    """Plug every kind into the shared item machinery (before the routes use their URLs)."""
    from importlib import import_module

    from portal.content.kinds import register_kind

    for package in KIND_PACKAGES:
        register_kind(import_module(f"portal.{package}.kind").SPEC)


def register_blueprints(app: Flask) -> None:
    from portal.content.views import KindConverter
    from portal.security import BoundedIntConverter

    register_kinds()
    app.url_map.converters["kind"] = KindConverter
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    from portal import mail  # noqa: F401 - registers the outbox's mail handler
    from portal.accounts.views import bp as accounts
    from portal.admin.views import bp as admin
    from portal.api import openapi_paths  # noqa: F401 - describes the API's own operations
    from portal.api.views import bp as api
    from portal.content.views import bp as content
    from portal.criteria.views import bp as criteria
    from portal.events.views import bp as events
    from portal.groups import bp as groups
    from portal.main.views import bp as main
    from portal.moderation.views import bp as moderation
    from portal.monitor import bp as monitor
    from portal.notifications import fanout  # noqa: F401 - subscribes to the items' signals
    from portal.notifications.views import bp as notifications
    from portal.ocds import bp as ocds
    from portal.ops.views import bp as ops
    from portal.organisations import bp as organisations
    from portal.planning import bp as planning
    from portal.plans.views import bp as plans
    from portal.questions.views import bp as questions
    from portal.regions.views import bp as regions
    from portal.search.services import init_index_on_commit
    from portal.search.spelling import init_withdrawals
    from portal.search.views import bp as search
    from portal.taxonomy.views import bp as taxonomy

    init_index_on_commit()
    init_withdrawals()
    for blueprint in (
        main,
        accounts,
        organisations,
        regions,
        groups,
        taxonomy,
        admin,
        events,
        plans,
        questions,
        criteria,
        notifications,
        moderation,
        monitor,
        planning,
        ocds,  # before content: /aanbestedingen/<slug>.ocds.json and /importeren-ocds
        content,
        search,
        api,
        ops,
    ):
        app.register_blueprint(blueprint)
