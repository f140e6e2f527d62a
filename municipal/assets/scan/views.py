"""The scan resolver: what a QR code opens, and the code's QR images."""
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, TimestampSigner
from markupsafe import Markup

from ... import i18n
from ...auth.scope import Scope
from ...errors import NotFound, ValidationError
from ...extensions import csrf
from ...i18n import N_
from ...permissions import public
from ...workorders import lists as workorders_lists
from .. import card as facts
from .. import history
from ..identity import qr, resolver
from ..types import TYPES
from . import services as scan_services

bp = Blueprint("scan", __name__)

POSITION_TOKEN_MAX_AGE = 3600

# The public card's fixed words, translated and escaped once per process and locale rather than on each scan.
PUBLIC_WORDS = {
    "district": N_("Jin'an District"),
    "brand": N_("Jin'an municipal facilities"),
    "sign_in": N_("Staff sign in"),
    "persons": N_("Responsible persons"),
    "report": N_("Report a problem"),
    "hotline": N_("See a problem? Call the hotline"),
    "quote": N_("Quote the code"),
}


# The public card's URL is the same for everyone; what it shows depends on these.
PUBLIC_PAGE_VARY = "Accept-Language, Cookie"


def _position_signer() -> TimestampSigner:
    # The scan's token is a plain random string: signed as it is, without a serializer's JSON and zlib.
    signer = current_app.extensions.get("scan_position_signer")
    if signer is None:
        signer = TimestampSigner(current_app.config["SECRET_KEY"], salt="scan-position")
        current_app.extensions["scan_position_signer"] = signer
    return signer


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
    if i18n.surely_anonymous():
        card = resolver.public_card(text)
        if card is not None:
            return _public_page(card, text, i18n.anonymous_locale())
    staff = current_user.is_authenticated
    found = resolver.resolve(text)
    if found.kind in ("mistyped", "malformed", "unknown"):
        # Logged too: a code that keeps being mistyped is a worn or misprinted label.
        scan_services.record_scan(None, None, text, current_user, request.headers.get("User-Agent", ""))
        return render_template("scan/not_found.html", found=found), 404
    # Staff see the facility's record only where they answer for it; elsewhere, what a citizen sees.
    if found.kind == "found" and not (staff and Scope.of(current_user).allows(found.asset)):
        card = resolver.public_card(text)
        if card is not None:  # else it was revoked a moment ago: the next look will say so
            return _public_page(card, text, str(get_locale() or i18n.DEFAULT_LOCALE))
        return redirect(request.full_path)
    asset = found.asset
    token = scan_services.record_scan(found.code.id, asset.id if asset else None, text, current_user,
                                 request.headers.get("User-Agent", ""))
    position_token = _position_signer().sign(token).decode()
    if found.kind == "revoked":
        return render_template("scan/revoked.html", found=found, position_token=position_token)
    if found.kind == "unbound":
        return render_template("scan/unbound.html", found=found, position_token=position_token)
    return render_template(
        "assets/detail.html", asset=asset, code=found.code, position_token=position_token,
        events=history.recent(asset), scanned=True, due_here=workorders_lists.due_here(current_user, asset.id),
    )


def _public_page(card: resolver.PublicCard, text: str, locale: str) -> Response:
    html = public_page(card, text, locale, request.headers.get("User-Agent", ""), request.script_root, request.path)
    return Response(html, mimetype="text/html", headers={"Vary": PUBLIC_PAGE_VARY})


def public_page(card: resolver.PublicCard, text: str, locale: str, user_agent: str, script_root: str,
                path: str) -> str:
    """The citizen's card, with the scan logged. Needs an app context but no request: the fast path in
    public_scan.py serves it without Flask's request machinery, and the view above with it. Rendered
    without Flask's template context: it reads nothing from the session or the user."""
    token = scan_services.record_scan(card.code.id, card.id, text, None, user_agent)
    gettext = i18n.catalogue(locale).ugettext
    return i18n.translated_env(locale).get_template("scan/public.html").render(
        card=card, kind=gettext(TYPES[card.type].label), rows=facts.facts(card, card.code.code, locale, gettext),
        persons=facts.persons(card, gettext, phones=False), position_token=_position_signer().sign(token).decode(),
        words=_public_words(locale, gettext), hotline=current_app.config["HOTLINE"], locale=locale,
        html_lang=i18n.html_lang(locale), urls=_public_urls(script_root), request_path=path,
    )


def _public_words(locale: str, gettext) -> dict:
    cache = current_app.extensions.setdefault("public_card_words", {})
    words = cache.get(locale)
    if words is None:
        words = cache[locale] = {name: Markup.escape(gettext(msgid)) for name, msgid in PUBLIC_WORDS.items()}
    return words


def _public_urls(script_root: str) -> dict:
    """The card's links, built once per process and mount point (built without a request: see public_page)."""
    cache = current_app.extensions.setdefault("public_page_urls", {})
    urls = cache.get(script_root)
    if urls is None:
        build = current_app.url_map.bind("", script_name=script_root or "/").build
        urls = cache[script_root] = {
            "css": build("static", {"filename": "css/app.css"}),
            "scan_js": build("static", {"filename": "js/scan.js"}),
            "login": build("auth.login"),
            "position": build("scan.scan_position"),
            # The report form of a code is this prefix + code + "/report": one build, not one per scan.
            "report_prefix": build("scan.lookup") + "/",
        }
    return urls


@bp.route("/scan/position", methods=["POST"])
@public
@csrf.exempt  # the signed scan token is the proof; anonymous scanners have no session to carry CSRF
def scan_position():
    data = request.get_json(silent=True) or {}
    try:
        scan_token = _position_signer().unsign(str(data.get("token", "")), max_age=POSITION_TOKEN_MAX_AGE).decode()
    except BadSignature:
        raise ValidationError(_("The scan token is not valid or has expired."), {"token": _("invalid")}) from None
    scan_services.record_scan_position(scan_token, data.get("lon"), data.get("lat"), data.get("accuracy"))
    return {"recorded": True}


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
