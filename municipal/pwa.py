"""The crew's installable, offline-first app: the web app manifest, the service worker at the site's root,
the in-app scanner, and what the phone asks the server for before it goes where there is no signal.

The service worker is static/js/sw.js, served from /sw.js so that its scope is the whole site, with the list
of files to keep on the phone (and their content hashes, so a changed file replaces the kept one) written
in front of it. Workbox is vendored from npm into static/vendor/workbox/ by scripts/prepare.sh.
"""
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .db import utcnow
from .i18n import js_messages
from .permissions import public, roles, signed_in
from .security_headers import CONTENT_SECURITY_POLICY

bp = Blueprint("pwa", __name__)
bp.add_app_template_global(js_messages, "js_messages")

# Kept on the phone when the service worker installs: what every page of the app needs to open offline.
SHELL_FILES = ("css/app.css", "js/app.js", "js/scanner.js", "js/store.js", "js/outbox.js", "js/field.js", "js/record.js",
               "js/outbox-page.js", "js/mywork.js", "icons/icon-192.png", "icons/icon-512.png")
OFFLINE_PAGE = "/field/offline"
# How many days of a member's open work the offline pack holds (the "configurable").
DEFAULT_PACK_DAYS = 7


def _static_root() -> Path:
    return Path(current_app.static_folder)


def _revision(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "missing"


def precache_manifest() -> list[dict]:
    """Workbox's precache list: each shell file with a hash of its content as its revision."""
    root = _static_root()
    entries = [{"url": url_for("static", filename=name), "revision": _revision(root / name)} for name in SHELL_FILES]
    # The offline page changes with the templates and the catalogue: its revision is the shell's.
    shell = hashlib.sha256("".join(e["revision"] for e in entries).encode()).hexdigest()[:16]
    entries.append({"url": OFFLINE_PAGE, "revision": shell})
    return entries


@bp.route("/manifest.webmanifest")
@public
def manifest():
    """Fetched by the browser without credentials: it names the app and says how it opens from the home screen."""
    body = {
        "name": _("Jin'an municipal facilities"),
        "short_name": _("Facilities"),
        "description": _("Work orders, checklists and the facility scanner for the district's crews."),
        "lang": "zh-CN",
        "start_url": url_for("workorders.mine"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
        "icons": [
            {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": "any maskable"}
            for size in (192, 512)
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


@bp.route("/sw.js")
@public
def service_worker():
    source = (_static_root() / "js" / "sw.js").read_text(encoding="utf-8")
    prelude = (f"self.SCRIPTS = {json.dumps([url_for('static', filename=n) for n in ('js/store.js', 'js/outbox.js')])};\n"
               f"self.PRECACHE = {json.dumps(precache_manifest())};\n"
               f"self.OFFLINE_PAGE = {json.dumps(OFFLINE_PAGE)};\n"
               f"self.WORKBOX_PREFIX = {json.dumps(url_for('static', filename='vendor/workbox/'))};\n")
    return Response(prelude + source, mimetype="application/javascript", headers={
        # Never kept by the browser's HTTP cache: a new version must reach the phone at its next visit.
        "Cache-Control": "no-cache, no-store",
        "Service-Worker-Allowed": "/",
    })


@bp.route("/field/offline")
@public
def offline():
    """What the app shows for a page that is not on the phone while there is no connection."""
    return render_template("pwa/offline.html")


@bp.route("/field/outbox")
@signed_in
def outbox():
    """What is waiting on this phone to be sent, or was refused: listed by the page's script from the phone's
    storage (the server knows nothing of it)."""
    return render_template("pwa/outbox.html")


@bp.route("/field/session")
@signed_in
def session_state():
    """Asked by the phone before it sends its outbox: still signed in (else 401), as whom, and a fresh CSRF
    token for the session's writes."""
    return jsonify({"user": current_user.username, "csrf_token": generate_csrf()})


@bp.route("/field/pack")
@roles("admin", "supervisor", "crew")
def pack():
    """What the phone keeps for the coming days: the pages of the member's open work, their record forms
    and their facilities, and where each facility's code leads offline."""
    from .workorders import lists

    days = int(current_app.config.get("FIELD_PACK_DAYS", DEFAULT_PACK_DAYS))
    now = utcnow()
    work = lists.my_work(current_user, now, ZoneInfo(current_app.config["TIMEZONE"]), days_ahead=days)
    orders = [order for part in ("overdue", "today", "upcoming") for order in work[part]]
    urls = [url_for("workorders.mine"), url_for("pwa.scan"), url_for("geo.field_map")]
    codes, facilities = {}, {}
    for order in orders:
        urls += [url_for("workorders.detail", order_id=order.id), url_for("inspections.record", order_id=order.id)]
        facility = url_for("assets.detail", asset_id=order.asset_id)
        if facility not in urls:
            urls.append(facility)
        if order.asset.code is not None:
            codes[order.asset.code.code] = facility
        if order.asset.geometry:  # for the crew map (geo/views.py), drawn from the phone's storage
            facilities[facility] = {"name": order.asset.name, "type": order.asset.type, "url": facility,
                                    "geometry": order.asset.geometry}
    return jsonify({
        "generated_at": now.isoformat(), "until": (now + timedelta(days=days)).isoformat(), "days": days,
        "urls": urls, "codes": codes, "orders": [order.id for order in orders],
        "facilities": list(facilities.values()),
        "static": [url_for("static", filename=name) for name in SCANNER_FILES + MAP_FILES],
    })


# The scanner's decoder for phones without a native BarcodeDetector, kept on the phone with the offline pack.
SCANNER_FILES = ("vendor/barcode-detector/polyfill.js", "vendor/zxing-wasm/zxing_reader.wasm")
# The crew map's, kept likewise.
MAP_FILES = ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "css/map.css", "js/fieldmap.js")


@bp.route("/scan")
@roles("admin", "supervisor", "crew", "viewer")
def scan():
    """The in-app scanner: the camera and a detector, a torch where the phone has one, and typing a code."""
    from .assets.identity.codes import ALPHABET, BODY_LENGTH
    from .assets.types import PREFIXES

    config = {"prefixes": sorted(PREFIXES), "alphabet": ALPHABET, "body_length": BODY_LENGTH,
              "polyfill": url_for("static", filename=SCANNER_FILES[0]),
              "wasm": url_for("static", filename=SCANNER_FILES[1])}
    response = Response(render_template("pwa/scan.html", config=config))
    # The polyfill's decoder is WebAssembly, which the site-wide policy does not let compile.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
    return response
