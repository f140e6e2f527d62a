"""The scan resolver: what a QR code opens, the scan's beacon, and the code's QR images."""
import re

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ... import i18n, sections
from ...auth.scope import Scope
from ...errors import NotFound, ValidationError, error_body
from ...extensions import csrf
from ...permissions import public
from .. import history
from ..identity import codes, qr, resolver
from ..types import PREFIXES
from . import card_page
from . import services as scan_services

bp = Blueprint("scan", __name__)

# The public card's URL is the same for everyone; what it shows depends on these.
PUBLIC_PAGE_VARY = "Accept-Language, Cookie"
# Phones keep the card but ask each time whether it is still current (a 304 costs one indexed lookup), so
# an edit shows on the very next scan. A max-age would spare that lookup but show a stale card, and a
# shared cache would serve it to others, for as long as the max-age after an edit.
PUBLIC_PAGE_CACHE_CONTROL = "no-cache"
# What a canonical code may look like (looked up as it is); anything else is normalised first.
CANONICAL_SHAPE = re.compile(r"[0-9A-Z-]{1,16}")


@bp.route("/A")
@public
def lookup():
    """A code typed by hand."""
    text = request.args.get("code", "").strip()
    if not text:
        return render_template("scan/not_found.html", found=resolver.Resolution("malformed", "")), 400
    return redirect(url_for("scan.resolve", text=text))


# Decorators register bottom-up and url_for builds the first registered rule: /A/ stays last.
@bp.route("/a/<text>")
@bp.route("/A/<text>")
@public
def resolve(text: str):
    # A visitor without a session cookie or credentials cannot be signed in: their language is found
    # without opening a session or loading a user.
    anonymous = i18n.surely_anonymous()
    if anonymous or not current_user.is_authenticated:
        answer = _public_card(text, i18n.anonymous_locale() if anonymous else _locale(), anonymous)
        if answer is not None:
            return answer
    found = resolver.resolve(text)
    if found.kind in ("mistyped", "malformed", "unknown"):
        # Logged when the page is sent (there is no code for a beacon to name): a code that keeps being
        # mistyped is a worn or misprinted label.
        scan_services.record_scan(None, None, text, current_user, request.headers.get("User-Agent", ""))
        return render_template("scan/not_found.html", found=found), 404
    # Staff see the facility's record only where they answer for it; elsewhere, what a citizen sees.
    if found.kind == "found" and not (current_user.is_authenticated and Scope.of(current_user).allows(found.asset)):
        answer = _public_card(text, _locale())
        # None: it was revoked a moment ago; the next look will say so.
        return answer if answer is not None else redirect(request.full_path)
    asset = found.asset
    # Logged by the page's beacon, with the user, like a citizen's scan: never when the page is sent.
    beacon = _beacon(found.code, asset.id if asset else None, ask=current_user.is_authenticated)
    if found.kind == "revoked":
        return render_template("scan/revoked.html", found=found, beacon=beacon)
    if found.kind == "unbound":
        return render_template("scan/unbound.html", found=found, beacon=beacon)
    return render_template(
        "assets/detail.html", asset=asset, code=found.code, beacon=beacon, events=history.recent(asset),
        scanned=True, sections=sections.collect("asset", current_user, asset, request.args),
    )


def _locale() -> str:
    return str(get_locale() or i18n.DEFAULT_LOCALE)


def _beacon(code, asset_id: int | None, ask: bool, day: int | None = None) -> dict:
    """What the page's beacon sends (see static/js/scan.js): the token naming `code` (an IdentityCode or a
    CardKey) and the facility, whether to ask for the position, and where to."""
    day = card_page.today() if day is None else day
    token = card_page.beacon_token(code.id if hasattr(code, "id") else code.code_id, code.code, asset_id, day)
    return {"token": token, "ask": ask, "url": url_for("scan.beacon")}


def _public_card(text: str, locale: str, anonymous: bool = False) -> Response | None:
    """The citizen's card of a bound code, or None for anything else (which resolve() explains).

    A repeat scan whose If-None-Match still holds is a 304 after one indexed lookup; a first scan gets the
    card rendered once per facility version and language and kept (card_page.py)."""
    # A label's QR holds the canonical code: looked up as it is, it needs no normalising (a code found is
    # valid); any other spelling is normalised first.
    key = resolver.card_key(text) if CANONICAL_SHAPE.fullmatch(text) else None
    if key is None:
        try:
            canonical = codes.normalize(text, PREFIXES)
        except codes.CodeError:
            return None
        key = resolver.card_key(canonical) if canonical != text else None
        if key is None:
            return None
    day, script_root = card_page.today(), request.script_root
    etag = f'"{card_page.etag(key, locale, day, script_root)}"'
    headers = [("ETag", etag), ("Cache-Control", PUBLIC_PAGE_CACHE_CONTROL), ("Vary", PUBLIC_PAGE_VARY)]
    asked = request.environ.get("HTTP_IF_NONE_MATCH")
    # A phone sends back the one ETag it was given; anything else is parsed (weak comparison, as for any
    # If-None-Match).
    if asked == etag or (asked and request.if_none_match.contains_weak(etag[1:-1])):
        return Response(status=304, headers=headers)
    cache_key = (key, locale, day, script_root)
    page = card_page.cache().get(cache_key)
    if page is None:
        asset = resolver.card_facility(key.asset_id)
        if asset is None or (asset.version, asset.area.version if asset.area else 0) != key[3:]:
            return None  # changed or deleted since the lookup: resolve() looks again
        if anonymous:
            # Nobody can be signed in: spare the template context Flask-Login's search for a user.
            g._login_user = current_app.login_manager.anonymous_user()
        with force_locale(locale):
            page = render_template(
                "scan/public.html", asset=asset, code=key, beacon=_beacon(key, key.asset_id, ask=False, day=day),
                login_next=url_for("scan.resolve", text=key.code),
            )
        card_page.cache().put(cache_key, page)
    return Response(page, mimetype="text/html", headers=headers)


# Decorators register bottom-up and url_for builds the first registered rule: /scan/beacon stays last.
@bp.route("/scan/position", methods=["POST"])  # the address of pages made before the beacon
@bp.route("/scan/beacon", methods=["POST"])
@public
@csrf.exempt  # the signed token is the proof; anonymous scanners have no session to carry a CSRF token
def beacon():
    """The scan page's beacon: logs the scan the page's token names, with the phone's position when it
    sent one. A form (navigator.sendBeacon) or JSON; answers 204, or 422 naming the bad field."""
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if isinstance(data, dict) or hasattr(data, "get") else {}
    try:
        code_id, code, asset_id = card_page.read_beacon_token(str(data.get("token", "")), card_page.today())
    except card_page.BadToken:
        return _refused(_("The scan token is not valid or has expired."), {"token": _("invalid")})
    try:
        position = scan_services.clean_position(data.get("lon"), data.get("lat"), data.get("accuracy"))
    except ValidationError as error:
        return _refused(error.message, error.fields)
    user = None if i18n.surely_anonymous() else current_user
    scan_services.record_scan(code_id, asset_id, _scanned_text(data.get("text"), code), user,
                              request.headers.get("User-Agent", ""), position)
    return Response(status=204)


def _refused(message: str, fields: dict):
    # Always JSON: a beacon has no page to show an error on.
    return error_body(ValidationError.code, message, fields), ValidationError.status


def _scanned_text(text, code: str) -> str:
    """What the phone scanned or typed (the page's own address), when it is a spelling of the token's code;
    else the code itself: the token is the proof, the text only a detail."""
    if isinstance(text, str) and text:
        try:
            if codes.normalize(text[:64], PREFIXES) == code:
                return text[:64]
        except codes.CodeError:
            pass
    return code


def _qr_payload(text: str) -> str:
    found = resolver.resolve(text)
    if found.code is None:
        raise NotFound(_("There is no code %(code)s.", code=text))
    return qr.qr_url(current_app.config["PUBLIC_URL"], found.code.code)


def _ec_level() -> str:
    level = request.args.get("ec", "Q").upper()
    if level not in ("L", "M", "Q", "H"):
        raise ValidationError(_("Error correction must be L, M, Q or H."), {"ec": _("invalid")})
    return level


@bp.route("/a/<text>/qr.svg")
@bp.route("/A/<text>/qr.svg")
@public
def qr_svg(text: str):
    svg = qr.qr_svg(_qr_payload(text), _ec_level())
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@bp.route("/a/<text>/qr.png")
@bp.route("/A/<text>/qr.png")
@public
def qr_png(text: str):
    try:
        scale = min(max(int(request.args.get("scale", 8)), 1), 40)
    except ValueError:
        raise ValidationError(_("The scale must be a whole number."), {"scale": _("invalid")}) from None
    png = qr.qr_png(_qr_payload(text), _ec_level(), scale=scale)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"})
