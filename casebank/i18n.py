"""The interface's languages: which one a request reads, and dates, numbers and country names
written for it (Flask-Babel). Case studies and documents keep their own language."""

from datetime import date
from functools import cache

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale

from casebank import codes

LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT_LANGUAGE = "en"
# The Babel locale that writes each language's dates and numbers: casebank's English is
# British ("27 March 2024", "organisation"), as the conventions' secretariats write it.
LOCALES = {"en": "en_GB", "fr": "fr", "es": "es"}
# The reader's choice from the header's switcher, kept a year; only a language code, so it is
# not a secret and needs no session (anonymous visitors get no server-side session for it).
LANGUAGE_COOKIE = "casebank_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

babel = Babel()


def select_language():
    """The switcher's remembered choice, else the browser's Accept-Language, else English."""
    if not has_request_context():
        return LOCALES[DEFAULT_LANGUAGE]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
    return LOCALES[chosen]


def current_language():
    """The reader's language code: "en", "fr" or "es" (what lang= and the switcher use)."""
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def remember_language(response, language):
    """Set the switcher's cookie on a response (language is one of LANGUAGES)."""
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE, path="/", samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
    )  # fmt: skip
    return response


# One date style for the whole site: Babel's "long" date ("27 March 2024", "27 mars 2024",
# "27 de marzo de 2024"); timestamps add the time, always in UTC and saying so.
def long_date(value):
    """A date, or a date as the schemas dump it (ISO text: "2024-03-27")."""
    if isinstance(value, str) and value:
        value = date.fromisoformat(value)
    return format_date(value, "long") if value else ""


def long_datetime(value):
    if not value:
        return ""
    return f"{format_date(value, 'long')} {format_datetime(value, 'HH:mm')} UTC"


def number(value):
    return "" if value is None else format_decimal(value)


def amount(value, currency=None):
    """A money amount or quantity: whole numbers without decimals, others with two."""
    if value is None:
        return ""
    shown = format_decimal(value, "#,##0" if value == int(value) else "#,##0.00")
    return f"{shown} {currency}" if currency else shown


def country_names():
    """ISO code -> the country's name in the reader's language (English: ISO's own names).
    Callers read it, never change it: it is built once per language and shared."""
    return country_names_in(current_language())


@cache
def country_names_in(language):
    # Built once per language: the `country` filter asks for it on every case card.
    if language == DEFAULT_LANGUAGE:
        return codes.country_names()
    territories = Locale.parse(LOCALES[language]).territories
    return {code: territories.get(code, name) for code, name in codes.country_names().items()}


def country_name(code):
    return country_names().get(code, code) if code else ""


def sorted_country_choices(blank):
    """(code, name) pairs for a select, sorted by name in the reader's language."""
    names = sorted(country_names().items(), key=lambda pair: pair[1].casefold())
    return [("", blank), *names]


def register(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.filters.update(
        date=long_date, datetime=long_datetime, number=number, amount=amount,
        country=country_name,
    )  # fmt: skip
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)
    app.after_request(vary_by_language)


def vary_by_language(response):
    """A page's words depend on the switcher's cookie and the browser's language: a cache
    must not serve a French page to an English reader."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response
