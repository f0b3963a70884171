"""The reading pages (public catalogue, restricted area, error pages) in English, French and
Spanish: each page in each language, case studies and documents marked with their own
language, dates and notices written for the reader."""

import json
from html import unescape
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from casebank.models import CaseStudy, Document
from casebank.models.reference import CONVENTION_TEXTS
from casebank.models.vocab import AccessLevel, DocumentKind, WorkflowStatus

LANGUAGES = ["en", "fr", "es"]
CONVENTIONS_FILE = Path(__file__).resolve().parent.parent / "casebank/data/conventions.json"


def page_in(client, path, language):
    client.set_cookie("casebank_language", language)
    response = client.get(path)
    return response, response.get_data(as_text=True)


def first_id(db, *conditions):
    return db.session.scalar(select(Document.id).where(*conditions).order_by(Document.id))


def public_document(db):
    return first_id(db, Document.access_level == AccessLevel.PUBLIC,
                    Document.status == "published")  # fmt: skip


def risk_indicator(db):
    return first_id(db, Document.kind == DocumentKind.RISK_INDICATOR)


def restricted_case(db):
    return db.session.scalar(
        select(CaseStudy.reference)
        .where(CaseStudy.access_level == AccessLevel.RESTRICTED)
        .where(CaseStudy.status == WorkflowStatus.PUBLISHED)
    )


# (path, or a function of db giving it; {language: a string the page shows in it})
PUBLIC_PAGES = [
    ("/", {"en": "Latest published case studies", "fr": "Dernières études de cas publiées",
           "es": "Últimos estudios de caso publicados"}),
    ("/cases", {"en": "Apply filters", "fr": "Appliquer les filtres", "es": "Aplicar filtros"}),
    ("/cases/CB-2019-001", {"en": "The seizure", "fr": "La saisie", "es": "La incautación"}),
    ("/conventions", {"en": "Basel Convention on the Control", "fr": "Convention de Bâle sur le",
                      "es": "Convenio de Basilea sobre el control"}),
    ("/hs-codes", {"en": "Code prefix or words", "fr": "Début de code ou mots",
                   "es": "Inicio del código o palabras"}),
    ("/about", {"en": "About casebank", "fr": "À propos de casebank", "es": "Acerca de casebank"}),
    ("/documents", {"en": "Title contains", "fr": "Le titre contient",
                    "es": "El título contiene"}),
    (lambda db: f"/documents/{public_document(db)}",
     {"en": "Download", "fr": "Télécharger", "es": "Descargar"}),
    ("/search?q=pangolin", {"en": "Narrow the results", "fr": "Affiner les résultats",
                            "es": "Acotar los resultados"}),
    ("/search?q=pangolin", {"en": "Seized 8 April 2019", "fr": "Saisie le 8 avril 2019",
                            "es": "Incautado el 8 de abril de 2019"}),
]  # fmt: skip
RESTRICTED_PAGES = [
    ("/restricted/", {"en": "By convention and HS code",
                      "fr": "Par convention et code SH", "es": "Por convenio y código SA"}),
    ("/restricted/cases", {"en": "All case studies, including restricted ones",
                           "fr": "Toutes les études de cas, y compris les études réservées",
                           "es": "Todos los estudios de caso, incluidos los restringidos"}),
    (lambda db: f"/restricted/cases/{restricted_case(db)}",
     {"en": "Restricted case study: for vetted enforcement officers only.",
      "fr": "Étude de cas réservée : uniquement pour les agents de la lutte contre la fraude",
      "es": "Estudio de caso restringido: solo para agentes de control habilitados."}),
    ("/restricted/risk-indicators", {"en": "Overdue for review only",
                                     "fr": "Seulement les examens en retard",
                                     "es": "Solo revisiones vencidas"}),
    (lambda db: f"/restricted/risk-indicators/{risk_indicator(db)}",
     {"en": "Scope and validity", "fr": "Portée et validité", "es": "Alcance y vigencia"}),
    ("/restricted/documents", {"en": "Documents for officers", "fr": "Documents pour les agents",
                               "es": "Documentos para los agentes"}),
    (lambda db: f"/restricted/documents/{risk_indicator(db)}",
     {"en": "Restricted document: for vetted", "fr": "Document réservé : uniquement pour",
      "es": "Documento restringido: solo para"}),
]  # fmt: skip


def check_page(client, db, path, expected, language):
    path = path(db) if callable(path) else path
    response, html = page_in(client, path, language)
    assert response.status_code == 200, path
    assert f'<html lang="{language}">' in html
    assert expected[language] in unescape(html), path


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("path", "expected"), PUBLIC_PAGES)
def test_public_pages_in_each_language(client, db, path, expected, language):
    check_page(client, db, path, expected, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("path", "expected"), RESTRICTED_PAGES)
def test_restricted_pages_in_each_language(client, auth, db, path, expected, language):
    auth.login("officer")
    check_page(client, db, path, expected, language)


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [("en", "Page not found", "There is no page at this address"),
     ("fr", "Page introuvable", "Il n'y a pas de page à cette adresse"),
     ("es", "Página no encontrada", "No hay ninguna página en esta dirección")],
)  # fmt: skip
def test_the_missing_page_speaks_the_readers_language(client, language, title, text):
    response, html = page_in(client, "/cases/NO-SUCH-CASE", language)
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html
    assert f"<h1>{title}</h1>" in html and text in unescape(html)


def test_an_english_case_study_on_a_french_page_is_marked_english(client, db):
    case = db.session.scalar(select(CaseStudy).filter_by(reference="CB-2019-001"))
    _response, html = page_in(client, "/cases/CB-2019-001", "fr")
    assert '<html lang="fr">' in html
    assert f'<h1 lang="en">{escape(case.title)}</h1>' in html
    assert f'<p class="lead" lang="en">{escape(case.summary)}</p>' in html
    first_paragraph = case.narrative.split("\n\n")[0].strip()
    assert f'<div lang="en"><p>{escape(first_paragraph)}</p>' in html
    assert '<h2 id="what-happened">Les faits</h2>' in html  # the interface stays French


@pytest.mark.parametrize("path", ["/", "/cases"])
def test_case_cards_on_a_spanish_page_mark_their_text_english(client, db, path):
    _response, html = page_in(client, path, "es")
    case = db.session.scalar(select(CaseStudy).filter_by(reference="CB-2019-001"))
    listed = client.get("/cases?convention=CITES").get_data(as_text=True)
    assert f'lang="en">{escape(case.title)}</a>' in listed
    assert f'<p lang="en">{escape(case.summary)}</p>' in listed
    assert html.count('lang="en">') >= 2  # every card's title and summary


def test_search_snippets_keep_the_language_of_what_they_quote(client):
    _response, html = page_in(client, "/search?q=pangolin", "fr")
    assert '<p class="snippet" lang="en">' in html
    assert 'lang="en">Singapore: 12.7 tonnes' in html


def test_a_french_document_on_an_english_page_is_marked_french(client, db):
    document = db.session.scalar(
        select(Document).where(Document.language == "fr", Document.access_level == "public")
    )
    _response, html = page_in(client, f"/documents/{document.id}", "en")
    assert '<html lang="en">' in html
    assert f'<h1 lang="fr">{escape(document.title)}</h1>' in html


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "8 April 2019"), ("fr", "8 avril 2019"), ("es", "8 de abril de 2019")],
)
def test_the_case_page_writes_dates_for_the_reader(client, language, written):
    _response, html = page_in(client, "/cases/CB-2019-001", language)
    assert f'<time datetime="2019-04-08">{written}</time>' in html
    assert "2019-04-08<" not in html  # no ISO date shown as text


def test_counts_are_written_for_the_reader(client):
    _response, html = page_in(client, "/", "fr")
    assert "12 études de cas" in html  # CITES's public case studies, plural form
    _response, html = page_in(client, "/hs-codes?q=030192", "es")
    assert "1 código para «030192»" in unescape(html)  # singular form


def test_conventions_read_in_the_readers_language(client):
    _response, html = page_in(client, "/conventions", "es")
    html = unescape(html)
    assert "Convenio de Estocolmo" in html and "Protocolo de Montreal" in html
    assert "Convención sobre las Armas Químicas" in html
    assert "Adopción: 1973" in html  # CITES


@pytest.mark.no_db
def test_every_conventions_name_and_description_is_marked_for_translation():
    conventions = json.loads(CONVENTIONS_FILE.read_text())
    shown = {c[key] for c in conventions for key in ("short_name", "name", "description")}
    assert shown == set(CONVENTION_TEXTS)


def test_search_notices_in_french(client):
    _response, html = page_in(client, '/search?q="pangolin', "fr")
    assert "Un guillemet n'était pas fermé ; la recherche a été faite sans guillemets." in (
        unescape(html))  # fmt: skip
    _response, html = page_in(client, "/search?q=*a", "fr")
    assert "Mettez au moins deux lettres avant * ou ?" in unescape(html)
    _response, html = page_in(client, "/search?q=ivory", "fr")
    assert "Sont aussi affichés : affaires relevant de : CITES, après les résultats" in (
        unescape(html))  # fmt: skip
    _response, html = page_in(client, "/search?q=pangolinn", "fr")
    assert "Résultats pour <a href=" in html and "rechercher plutôt" in html
    _response, html = page_in(client, "/search?q=pangolni&exact=1", "fr")
    assert "Vouliez-vous dire <a href=" in html and "0 résultat<" in html


def test_search_facets_name_their_values_in_the_readers_language(client):
    _response, html = page_in(client, "/search?q=pangolin", "es")
    assert "<h3>País de la incautación</h3>" in html
    assert "Perfilado de riesgos" in html  # a detection method's label


@pytest.mark.parametrize(
    ("language", "notice"),
    [("fr", "Pays de la saisie : la valeur « XX » est inconnue ; ce filtre n'a pas été appliqué."),
     ("es", "País de la incautación: el valor «XX» no es reconocido; no se aplicó ese filtro.")],
)  # fmt: skip
def test_a_bad_filter_is_reported_in_the_readers_language(client, language, notice):
    _response, html = page_in(client, "/cases?country=XX", language)
    assert notice in unescape(html).replace("\u00a0", " ")
