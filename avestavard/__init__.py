"""AvestaVärd: host matching and welcome letters for people who move to Avesta."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from flask_babel import get_locale
from werkzeug.routing import IntegerConverter

from avestavard.config import check_production, check_two_factor, load_config
from avestavard.forms import DATABASE_INT_MAX
from avestavard.resources import default_instance_path, resource_dir

__version__ = "0.1.0"

# Blueprints whose pages newcomers read: they are offered in the PUBLIC_LANGUAGES.
PUBLIC_BLUEPRINTS = {"public"}


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the web application. Never starts the scheduler: that is its own process."""
    settings = load_config(config_name)
    instance_path = settings.get("INSTANCE_PATH") or default_instance_path()
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=str(instance_path) if instance_path else None,
    )
    app.config.update(settings)
    if overrides:
        app.config.update(overrides)
    _configure_database_url(app)
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        # Behind the municipality's reverse proxy: the client address and scheme come from the
        # proxy's X-Forwarded-* headers, trusting exactly ``hops`` proxies (never the client).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("AVESTAVARD_SECRET_KEY must be set")
    check_two_factor(app.config)
    if app.config.get("CONFIG_NAME") == "production":
        check_production(app.config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(p) for p in sorted((Path(__file__).parent / "translations").glob("*")) if p.is_dir()
    ) or str(Path(__file__).parent / "translations")
    app.config.setdefault("RATELIMIT_ENABLED", True)

    register_extensions(app)
    from avestavard.access_log import install_log_filters

    # Request lines and the paths of failed requests are logged without the secrets of links.
    install_log_filters(app.logger)
    from avestavard.services import figure_events

    # Every flush records the anonymous events the figures are computed from.
    figure_events.listen()
    register_blueprints(app)
    register_i18n(app)
    register_security_headers(app)
    register_template_helpers(app)
    from avestavard.views_errors import register_error_handlers

    register_error_handlers(app)
    from avestavard.cli import register_commands

    register_commands(app)
    return app


def _configure_database_url(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or ""
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'avestavard.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # SQLite does not use the pool options meant for a server.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}


def register_extensions(app: Flask) -> None:
    """Bind the extension objects and the login loader."""
    from avestavard.extensions import csrf, db, limiter, login_manager, migrate
    from avestavard.models import User

    db.init_app(app)
    from avestavard.services.search import install_search_key_maintenance

    install_search_key_maintenance()
    migrate.init_app(
        app, db, directory=str(resource_dir("migrations")), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        from flask import session

        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.is_active:
            return None
        # A session from before a log-out, a password change or a switch-off is refused.
        return user if session.get("session_version") == user.session_version else None

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        with app.app_context():
            engine = db.engine

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA busy_timeout=10000")
                # WAL lets readers work while the mail sender and jobs write; NORMAL sync is
                # durable against a killed process (an OS crash may lose the last commits).
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number up to 2**31 - 1, PostgreSQL's ``integer``.

    A larger number names no record, so it is a 404 like any other missing id, not a query
    the database refuses (out of range on PostgreSQL, too large for SQLite).
    """

    def __init__(
        self,
        url_map: Any,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(
            url_map, fixed_digits, min, DATABASE_INT_MAX if max is None else max, signed
        )


def register_blueprints(app: Flask) -> None:
    """Attach each area's blueprint."""
    import avestavard.auth.password
    import avestavard.auth.sign_in_link
    import avestavard.auth.two_factor  # noqa: F401  (the code step and enrolment)
    from avestavard.admin import bp as admin_bp
    from avestavard.auth.views import bp as auth_bp
    from avestavard.coordinator import bp as coordinator_bp
    from avestavard.host import bp as host_bp
    from avestavard.public import bp as public_bp

    # Before any rule is added: an id in a URL is at most the largest id the database holds.
    app.url_map.converters["int"] = RecordIdConverter
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(coordinator_bp, url_prefix="/coordinator")
    app.register_blueprint(host_bp, url_prefix="/host")
    app.register_blueprint(admin_bp, url_prefix="/admin")


LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def select_locale() -> str:
    """``?lang=xx`` (remembered in the session and a year-long cookie), else the language chosen
    before, else the browser's preference, else Swedish."""
    from flask import current_app, has_request_context

    if not has_request_context():  # jobs and commands render in the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    allowed = (
        current_app.config["PUBLIC_LANGUAGES"]
        if request.blueprint in PUBLIC_BLUEPRINTS
        else current_app.config["LANGUAGES"]
    )
    asked = request.args.get("lang")
    if asked in current_app.config["PUBLIC_LANGUAGES"]:
        session["lang"] = asked
        g.chosen_language = asked
    chosen = session.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in allowed:
        return str(chosen)
    return (
        request.accept_languages.best_match(allowed) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def register_i18n(app: Flask) -> None:
    """Flask-Babel with our locale selector, and the template globals for lang/dir."""
    from avestavard.extensions import babel

    babel.init_app(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(response: Any) -> Any:
        # The language is chosen once: the next visit, even weeks later, opens in it.
        chosen = g.get("chosen_language")
        if chosen and request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE,
                chosen,
                max_age=LANGUAGE_COOKIE_SECONDS,
                samesite="Lax",
                secure=bool(app.config.get("SESSION_COOKIE_SECURE", False)),
                httponly=True,
            )
        return response

    @app.context_processor
    def inject_locale() -> dict[str, Any]:
        from flask import has_request_context

        from avestavard.public.register_forms import own_language_name

        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        public = has_request_context() and request.blueprint in PUBLIC_BLUEPRINTS
        languages = app.config["PUBLIC_LANGUAGES"] if public else app.config["LANGUAGES"]
        return {
            "current_locale": locale,
            "text_direction": "rtl" if locale in app.config["RTL_LANGUAGES"] else "ltr",
            "available_languages": languages,
            "language_names": {code: own_language_name(code) for code in languages},
        }


def register_security_headers(app: Flask) -> None:
    """Headers on every response; framing only for pages marked frameable, by our own domain."""

    @app.before_request
    def refuse_nul_in_query() -> None:
        """A NUL byte in the query string is never meant (and PostgreSQL cannot store it)."""
        from flask import abort

        if any("\x00" in value for value in request.args.values()):
            abort(400)

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        ancestors = "'none'"
        if getattr(g, "frameable", False):
            ancestors = " ".join(["'self'", *app.config["FRAME_ANCESTORS"]])
        else:
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"frame-ancestors {ancestors}; form-action 'self'; base-uri 'none'",
        )
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        hsts_seconds = int(app.config.get("HSTS_SECONDS") or 0)
        if hsts_seconds > 0:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains"
            )
        return response


def register_template_helpers(app: Flask) -> None:
    """Globals the templates share: endpoint names and translated status words."""
    from flask_babel import lazy_gettext as _l

    status_labels = {
        "active": _l("Aktiv"),
        "paused": _l("Pausad"),
        "declined": _l("Avböjt"),
        "unconfirmed": _l("Ej bekräftad"),
        "waiting": _l("Väntar på värd"),
        "matched": _l("Matchad"),
        "closed": _l("Avslutad"),
    }

    # The coordinators' menu: shown for the endpoints that exist.
    coordinator_menu = [
        ("coordinator.to_match", _l("Att matcha")),
        ("coordinator.host_list", _l("Värdar")),
        ("coordinator.newcomer_list", _l("Nyinflyttade")),
        ("coordinator.matches", _l("Matchningar")),
        ("coordinator.new_host", _l("Ny värd")),
        ("coordinator.new_newcomer", _l("Ny nyinflyttad")),
        ("coordinator.imports", _l("Import")),
        ("coordinator.letter_batches", _l("Välkomstbrev")),
        ("coordinator.outbox", _l("E-post")),
        ("coordinator.figures", _l("Siffror")),
        ("coordinator.weights", _l("Matchningens vikter")),
        ("coordinator.words", _l("Matchningens ord")),
        ("admin.users", _l("Konton")),
        ("admin.audit_log", _l("Logg")),
    ]

    from markupsafe import Markup

    def ltr(value: Any) -> Markup:
        """Numbers, dates and addresses kept left to right inside right-to-left text."""
        return Markup('<bdi dir="ltr">{}</bdi>').format(value)

    from avestavard.localtime import format_local_date, format_local_datetime

    # Stored times are UTC; every page shows them in Stockholm time in Babel's formats.
    app.jinja_env.filters["local_datetime"] = format_local_datetime
    app.jinja_env.filters["local_date"] = format_local_date

    @app.context_processor
    def inject_helpers() -> dict[str, Any]:
        return {
            "ltr": ltr,
            "coordinator_menu": coordinator_menu,
            "url_map_endpoints": set(app.view_functions),
            "status_label": lambda value: status_labels.get(str(value), str(value)),
        }
