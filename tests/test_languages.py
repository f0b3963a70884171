"""The interface in English, French and Spanish: the catalogues are complete, the reader's
language comes from the switcher, else Accept-Language, else English, and dates and numbers
are written for it."""

from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from casebank import i18n
from casebank.models import User

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "casebank" / "translations"
# The same keywords and method map as `make messages` (Makefile BABEL_KEYWORDS, babel.cfg).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "N_": None}  # fmt: skip
METHODS = [
    ("casebank/**.py", "python"),
    ("casebank/templates/**.html", "jinja2"),
    ("casebank/templates/**.txt", "jinja2"),
]


def extracted_messages():
    """Every message the source marks for translation, as the catalogue keys them."""
    messages = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        messages.add((message if isinstance(message, str) else message[0], context))
    return messages


def catalogue(language):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


@pytest.mark.no_db
@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_interface_message_has_a_translation(language):
    translations = catalogue(language)
    untranslated = []
    for msgid, context in sorted(extracted_messages(), key=str):
        entry = translations.get(msgid, context=context)
        strings = entry.string if entry else ""
        if (
            entry is None
            or entry.fuzzy
            or not all(strings if isinstance(strings, tuple) else [strings])
        ):
            untranslated.append(msgid)
    assert not untranslated, (
        f"{len(untranslated)} messages lack a {language} translation (run `make messages`, "
        f"then translate them in casebank/translations/{language}): {untranslated[:20]}"
    )


@pytest.mark.no_db
@pytest.mark.parametrize("language", ["fr", "es"])
def test_translations_keep_the_placeholders_of_their_message(language):
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in catalogue(language).check()
    ]
    assert not problems


def test_english_is_the_default(client):
    page = client.get("/")
    assert '<html lang="en">' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "header, language, word",
    [("fr-CH, fr;q=0.9, en;q=0.8", "fr", "Études de cas"),
     ("es-ES,es;q=0.9", "es", "Estudios de caso"),
     ("de-DE,de;q=0.9", "en", "Case studies")],
)  # fmt: skip
def test_the_browser_language_is_used_when_nothing_was_chosen(client, header, language, word):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert word in html


def test_the_switcher_remembers_a_choice_over_the_browser_language(client):
    answer = client.get("/language/es", headers={"Referer": "http://localhost/cases?page=1"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/cases?page=1"
    html = client.get("/cases", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Estudios de caso" in html


@pytest.mark.parametrize("came_from", ["https://evil.example/cases", "http://localhost.evil/",
                                       "javascript:alert(1)", "", "http://localhost",
                                       # this site's 404 page at //evil.example/x: its path
                                       # alone is a link to another host
                                       "http://localhost//evil.example/x",
                                       "http://localhost/\t/evil.example/x",
                                       "http://localhost/\\evil.example/x"])  # fmt: skip
def test_the_switcher_goes_back_only_to_a_page_of_this_site(client, came_from):
    answer = client.get("/language/fr", headers={"Referer": came_from})
    assert answer.headers["Location"] == "/"


def test_the_switcher_on_a_missing_page_at_a_double_slash_stays_on_this_site(client):
    page = client.get("//evil.example/x")
    assert page.status_code == 404
    switch = client.get("/language/es", headers={"Referer": "http://localhost//evil.example/x"})
    assert switch.headers["Location"] == "/"


def test_an_unknown_language_is_not_found(client):
    assert client.get("/language/de").status_code == 404
    assert client.get_cookie("casebank_language") is None


def test_a_member_who_switches_gets_mail_in_that_language(client, auth, db):
    auth.login("partner")
    client.get("/language/fr")
    user = db.session.scalars(db.select(User).filter_by(email="partner@casebank.example.org")).one()
    assert user.language == "fr"


def test_logging_in_records_the_language_read_in(client, auth, db):
    client.set_cookie("casebank_language", "es")
    auth.login("editor")
    user = db.session.scalars(db.select(User).filter_by(email="editor@casebank.example.org")).one()
    assert user.language == "es"


@pytest.mark.parametrize(
    "language, day, moment, money",
    [("en", "27 March 2024", "27 March 2024 14:05 UTC", "1,234,567.50 EUR"),
     ("fr", "27 mars 2024", "27 mars 2024 14:05 UTC", "1\u202f234\u202f567,50 EUR"),
     ("es", "27 de marzo de 2024", "27 de marzo de 2024 14:05 UTC", "1.234.567,50 EUR")],
)  # fmt: skip
def test_dates_and_numbers_are_written_for_the_language(app, language, day, moment, money):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.long_date(date(2024, 3, 27)) == day
        assert i18n.long_datetime(datetime(2024, 3, 27, 14, 5)) == moment
        assert i18n.amount(1234567.5, "EUR") == money
        assert i18n.amount(3000) == {"en": "3,000", "fr": "3\u202f000", "es": "3.000"}[language]


def test_country_names_are_in_the_readers_language(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert i18n.country_name("DE") == "Alemania"
        choices = i18n.sorted_country_choices("—")
        assert choices[0] == ("", "—")
        names = [name for _code, name in choices[1:]]
        assert names.index("Alemania") < names.index("Zimbabue")
