"""Locale selection: an explicit choice, else the browser's languages, else Chinese."""
from flask import has_request_context, request, session
from flask_login import current_user

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"


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


def remember_locale() -> None:
    """A ?lang= switch sticks for the rest of the session."""
    if request.args.get("lang") in LOCALES:
        session["lang"] = request.args["lang"]


def html_lang(locale: str) -> str:
    return "zh-CN" if locale == "zh" else "en"
