"""municipal: QR identities and integrated maintenance for a district's municipal facilities."""
import gc
from pathlib import Path

from flask import Flask
from jinja2 import FileSystemBytecodeCache

ROOT = Path(__file__).resolve().parent.parent
# A source checkout keeps the templates, static files and migrations beside the package; a wheel carries
# them inside it (see setup.py).
_PACKAGED = Path(__file__).resolve().parent / "share"
SHARE = _PACKAGED if _PACKAGED.is_dir() else ROOT


def create_app(config: dict | None = None) -> Flask:
    """config → extensions → blueprints → errors → CLI. Nothing runs at import."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(SHARE / "templates"),
        static_folder=str(SHARE / "static"),
    )
    from .config import load_config
    from .request import Request

    app.request_class = Request

    load_config(app, config)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    from . import clock

    clock.init_app(app)
    from .db import IdIntegerConverter

    app.url_map.converters["int"] = IdIntegerConverter
    _init_extensions(app)
    _register_blueprints(app)
    from .errors import register_error_handlers
    from .extensions import db

    register_error_handlers(app, db.session)
    from . import security_headers

    security_headers.init_app(app)
    from .cli import register_commands

    register_commands(app)
    # What is made by now (modules, mappers, templates, catalogues) lives as long as the process: kept out of
    # the garbage collector's full passes, which would otherwise walk it all again and again, a pause of
    # up to a hundred milliseconds in whichever request set one off (the map's bigger answers).
    gc.collect()
    gc.freeze()
    return app


def _init_extensions(app: Flask) -> None:
    from . import i18n
    from .db import configure_sqlite
    from .boundary import init_request_boundary
    from .extensions import babel, csrf, db, login_manager, migrate

    i18n.check_catalogues(sorted({i18n.DEFAULT_LOCALE, app.config["BABEL_DEFAULT_LOCALE"]}))
    db.init_app(app)
    init_request_boundary(app)
    # Every model must be mapped before migrations or queries look at the metadata.
    from .assets import models as _assets_models  # noqa: F401
    from .audit import models as _audit_models  # noqa: F401
    from .auth import models as _auth_models  # noqa: F401
    from .calendar import models as _calendar_models  # noqa: F401
    from .inspections import models as _inspection_models  # noqa: F401
    from .intake import models as _intake_models  # noqa: F401
    from .jobs import models as _jobs_models  # noqa: F401
    from .notify import models as _notify_models  # noqa: F401
    from .people import models as _people_models  # noqa: F401
    from .readings import models as _readings_models  # noqa: F401
    from .reports import models as _report_models  # noqa: F401
    from .workorders import models as _workorder_models  # noqa: F401
    from .geo import models as _geo_models  # noqa: F401

    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(SHARE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=lambda: app.config["TIMEZONE"],
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.before_request(i18n.remember_locale)
    # Compiled templates are kept on disk (a private directory under the system's temporary one), so that a
    # new worker answers its first page without compiling each template again: 90 ms for the report form.
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()
    app.jinja_env.add_extension("jinja2.ext.do")
    from .templating import register_template_helpers

    register_template_helpers(app)
    from . import assets, audit, calendar, geo, inspections, intake, media, people, readings, workorders
    from .assets.scan import card_page, scanlog

    scanlog.init_app(app)
    card_page.init_app(app)
    audit.init_app(app)
    # Each domain names its recorded values in the audit trail; the calendar also answers its own error (a
    # rule table or setting it cannot use), and the people, the work orders, the readings and the map add sections
    # to the facility page.
    for domain in (assets, people, workorders, calendar, readings, geo):
        domain.init_app(app)
    media.init_app(app)
    inspections.init_app(app)
    intake.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from . import api as api_plumbing
    from . import permissions
    from .assets import api as assets_api
    from .assets.labels.views import bp as labels_bp
    from .assets.scan.views import bp as scan_bp
    from .assets.views import bp as assets_bp
    from .auth import api as auth_api
    from .auth.admin_views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .calendar import api as calendar_api
    from .calendar import facility_api as calendar_facility_api
    from .calendar import office_api
    from .calendar import pages_api as calendar_pages_api
    from .calendar.facility_views import bp as calendar_facility_bp
    from .calendar.office_views import bp as office_bp
    from .calendar.views import bp as calendar_bp
    from .extensions import api, csrf
    from .geo import api as geo_api
    from .geo.views import bp as geo_bp
    from .health import bp as health_bp
    from .inspections import api as inspections_api
    from .inspections.views import bp as inspections_bp
    from .intake import api as intake_api
    from .intake.open311_api import bp as open311_bp
    from .intake.views import bp as intake_bp
    from .jobs import api as jobs_api
    from .jobs.views import bp as jobs_admin_bp
    from .notify import api as notify_api
    from .notify.views import bp as notify_bp
    from .people import api as people_api
    from .people.views import bp as people_bp
    from .pwa import bp as pwa_bp
    from .readings import api as readings_api
    from .reports import api as reports_api
    from .reports.views import bp as reports_bp
    from .workorders import api as workorders_api
    from .workorders.views import bp as workorders_bp

    permissions.init_app(app)
    permissions.declare_endpoint(app, "api-docs.openapi_json", permissions.PUBLIC)
    for blueprint in (health_bp, auth_bp, scan_bp, assets_bp, labels_bp, admin_bp, workorders_bp, intake_bp,
                      notify_bp, people_bp, inspections_bp, calendar_facility_bp, calendar_bp, jobs_admin_bp, reports_bp,
                      pwa_bp, office_bp, open311_bp, geo_bp):
        app.register_blueprint(blueprint)
    # Another system's api_key is the proof of its requests; no browser session is ever used here.
    csrf.exempt(open311_bp)
    api.init_app(app)
    app.register_blueprint(api_plumbing.docs_bp)
    for domain in (assets_api, people_api, workorders_api, inspections_api, intake_api, notify_api, auth_api,
                   calendar_api, calendar_facility_api, calendar_pages_api, office_api, readings_api, jobs_api,
                   reports_api, geo_api):
        for blueprint in domain.blueprints():
            # CSRF is checked by the API blueprints themselves, only for writes made with the browser session.
            csrf.exempt(blueprint)
            api.register_blueprint(blueprint, url_prefix="/api/v1")
