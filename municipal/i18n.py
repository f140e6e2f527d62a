"""Locale selection: an explicit choice, else the browser's languages, else Chinese."""
from pathlib import Path

from babel.support import Translations
from flask import current_app, has_request_context, request, session
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
# The messages are written in English: only the other languages need a compiled catalogue.
SOURCE_LOCALE = "en"
TRANSLATIONS = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


class MissingCatalogue(RuntimeError):
    """A language the platform must speak has no compiled catalogue: every page would be English."""


def check_catalogues(locales, directory: Path = TRANSLATIONS) -> None:
    """Refuse to start without the compiled catalogue of each of `locales` (the source language needs none).

    The .mo files are built, not kept in git; without them Flask-Babel silently falls back to English."""
    for locale in locales:
        compiled = Path(directory) / locale / "LC_MESSAGES" / "messages.mo"
        if locale != SOURCE_LOCALE and not compiled.is_file():
            raise MissingCatalogue(
                f"No compiled translations for '{locale}': {compiled} is missing. Compile them with "
                f"'pybabel compile -d {directory}' (scripts/prepare.sh does it), or install municipal from "
                f"a wheel, which includes them."
            )


# The JS string catalogue: the words the crew app's scripts show, translated by the server and given to the
# page as data (#field-words in base.html), never as a script.
JS_MESSAGES = {
    "sending": N_("Sending…"),
    "saved_queued": N_("Saved on the phone. It is waiting to be sent and goes by itself when the connection returns."),
    "queued_here": N_("A record of this work is on the phone, waiting to be sent."),
    "draft_restored": N_("Your draft was restored from the phone."),
    "refused": N_("The server refused this record; it stays on the phone. Correct it and submit again, or discard "
                  "it:"),
    "sign_in_to_send": N_("Your session has ended: sign in again to send what is waiting on the phone."),
    "sign_in": N_("Sign in"),
    "not_image": N_("This file is not a photo the phone can read."),
    "remove_photo": N_("Remove this photo"),
    "waiting": N_("Waiting to send"),
    "refused_state": N_("Refused"),
    "discard": N_("Discard"),
    "discard_confirm": N_("Discard this record and its photos from the phone? This cannot be undone."),
    "open": N_("Open"),
    "send_now": N_("Send now"),
    "nothing_waiting": N_("Nothing is waiting to be sent."),
    "photos_count": N_("photos"),
    "pack_updated": N_("Kept on the phone for use without a connection; updated {time}."),
    "pack_none": N_("Not yet kept on the phone for use without a connection."),
    "pack_updating": N_("Keeping your work on the phone…"),
}


def js_messages() -> dict:
    """JS_MESSAGES in the reader's language."""
    from flask_babel import gettext

    return {name: gettext(message) for name, message in JS_MESSAGES.items()}


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # CLI commands and jobs speak the district's language
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LOCALES:
        return chosen
    user_locale = getattr(current_user, "locale", None)
    if user_locale in LOCALES:
        return user_locale
    # Catalogues are named "zh", not "zh_CN": iOS sends zh-Hans-CN, which only matches "zh".
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


# Phones send few distinct Accept-Language headers: each is parsed once per process, not once per scan.
_LOCALE_BY_HEADER: dict[str, str] = {}
_LOCALE_BY_HEADER_MAX = 1000


def anonymous_locale() -> str:
    """select_locale() for a request that carries no session and no user: the same answer, found
    without opening a session or loading a user (the public scan card is the busiest page there is)."""
    environ = request.environ
    if environ.get("QUERY_STRING"):
        chosen = request.args.get("lang")
        if chosen in LOCALES:
            return chosen
    return locale_for_header(environ.get("HTTP_ACCEPT_LANGUAGE", ""))


def locale_for_header(header: str) -> str:
    """The locale an Accept-Language header asks for, or Chinese."""
    locale = _LOCALE_BY_HEADER.get(header)
    if locale is None:
        locale = parse_accept_header(header, LanguageAccept).best_match(LOCALES) or DEFAULT_LOCALE
        if len(_LOCALE_BY_HEADER) < _LOCALE_BY_HEADER_MAX:
            _LOCALE_BY_HEADER[header] = locale
    return locale


def surely_anonymous() -> bool:
    """No session cookie and no credentials: nobody can be signed in on this request. Read from the raw
    headers, without parsing the cookies: a cookie header that merely mentions the session cookie's name
    counts as a session (the slower, ordinary path), never the other way round."""
    environ = request.environ
    return ("HTTP_AUTHORIZATION" not in environ
            and current_app.config["SESSION_COOKIE_NAME"] not in environ.get("HTTP_COOKIE", ""))


def catalogue(locale: str) -> Translations:
    """The locale's translations, loaded once per process."""
    catalogues = current_app.extensions.setdefault("i18n_catalogues", {})
    if locale not in catalogues:
        catalogues[locale] = Translations.load(str(TRANSLATIONS), [locale])
    return catalogues[locale]


def remember_locale() -> None:
    """A ?lang= switch sticks for the rest of the session."""
    if request.args.get("lang") in LOCALES:
        session["lang"] = request.args["lang"]


def html_lang(locale: str) -> str:
    return "zh-CN" if locale == "zh" else "en"
