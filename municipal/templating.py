"""Jinja globals and filters shared by all pages."""
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from . import i18n
from .assets import card
from .assets.card import plain_number, wan_m3
from .assets.geometry import representative_point
from .assets.types import LEVEL_LABELS, PREFIXES, ROLE_LABELS, STATUSES, TYPES, derived, format_chainage, value_label
from .calendar.engine import why
from .workorders.overdue import is_overdue

EVENT_LABELS = {
    "issued": _l("code issued"),
    "bound": _l("code bound"),
    "revoked": _l("code revoked"),
    "printed": _l("label printed"),
    "scan": _l("scanned"),
}


# Patterns of plain digits, as strftime writes them: the same text in every locale, without Babel's
# work on each call, which cost more than the rest of a list row together.
NUMERIC_PATTERNS = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "yyyy-MM-dd": "%Y-%m-%d"}


def local_time(value, fmt="yyyy-MM-dd HH:mm"):
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    pattern = NUMERIC_PATTERNS.get(fmt)
    return local.strftime(pattern) if pattern else format_datetime(local, fmt)


def lon_lat(geometry) -> str:
    point = representative_point(geometry)
    if point is None:
        return ""
    lon, lat = point
    return f"{lat:.5f}°N, {lon:.5f}°E"


def _translations():
    """The catalogue of the current locale (force_locale included), kept per process: Flask-Babel's
    own lookup costs more than the rest of a string's rendering. The locale Flask-Babel chose (or was
    forced to) for this request is read from where it keeps it; only the first string of a request asks
    get_locale() to choose it."""
    babel = g.get("_flask_babel") if has_app_context() else None
    locale = getattr(babel, "babel_locale", None) or get_locale()
    found = _CATALOGUES.get(locale)
    if found is None:
        found = _CATALOGUES[locale] = i18n.catalogue(str(locale or i18n.DEFAULT_LOCALE))
    return found


# Catalogue by Babel locale object (None: outside a request): the same files for every app.
_CATALOGUES: dict = {}


def _template_gettext(message: str) -> str:
    return _translations().ugettext(message)


def _template_ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ungettext(singular, plural, n)


def register_template_helpers(app) -> None:
    app.jinja_env.filters.update(local_time=local_time, wan_m3=wan_m3, chainage=format_chainage,
                                 number=plain_number, lon_lat=lon_lat)
    app.jinja_env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
    app.jinja_env.globals.update(
        asset_types=TYPES,
        is_overdue=is_overdue,
        type_label=lambda key: _(TYPES[key].label) if key in TYPES else key,
        status_label=lambda key: _(STATUSES.get(key, key)),
        role_label=lambda key: _(ROLE_LABELS.get(key, key)),
        level_label=lambda key: _(LEVEL_LABELS.get(key, key)) if key else "",
        value_label=lambda value: value_label(value, _),
        why_text=lambda text: why.localize(text, _, str(get_locale()) == i18n.SOURCE_LOCALE),
        statuses=STATUSES,
        derived=lambda asset: derived(asset.type, asset.attributes, asset.persons),
        prefix_type=PREFIXES.get,
        event_label=lambda kind: EVENT_LABELS.get(kind, kind),
        hotline=app.config["HOTLINE"],
        csrf_token=generate_csrf,
        fact_rows=lambda asset, code: card.facts(asset, code, str(get_locale()), _template_gettext),
        person_rows=lambda asset: card.persons(asset, _template_gettext),
    )

    @app.context_processor
    def _locale():
        locale = str(get_locale() or i18n.DEFAULT_LOCALE)
        return {"locale": locale, "html_lang": i18n.html_lang(locale)}
