"""The working pages (editorial, partner, admin) in English, French and Spanish: every page
answers in the reader's language; form errors, flashes, workflow buttons and personal-data
findings are translated; the workflow's and the conversation's mails are written in each
recipient's language, not in the sender's."""

from datetime import date, timedelta
from email import message_from_bytes, policy
from html import unescape

import pytest

from casebank.mail import outbox_messages
from casebank.models import CaseStudy
from casebank.services import accounts, documents
from casebank.services.cases import conversation
from tests.case_pages_helpers import form_fields, post_from
from tests.factories import join_partner, make_case, make_partner_user, move_case, role_user

LANGUAGES = ["en", "fr", "es"]


@pytest.fixture
def objects(db):
    """What the pages show: the partner's case with two revisions, a document, a request."""
    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC", title="Pangolin scales at Lagos")
    document = documents.create_document(
        {"title": "Seizure photo", "kind": "image", "access_level": "restricted"},
        b"A plain text note.\n", "note.txt", role_user("editor"),
    )  # fmt: skip
    request = accounts.request_access(
        {"name": "A. Applicant", "organisation": "Customs",
         "email": "applicant@customs.example.org", "country": "KE", "role_wanted": "officer",
         "justification": "x" * 40, "supervisor_contact": "The chief"}
    )  # fmt: skip
    db.session.commit()
    return {"case": case.reference, "document": document.id, "request": request.id,
            "user": role_user("officer").id}  # fmt: skip


# role, page, the words it shows in English, French and Spanish.
PAGES = [
    ("editor", "/editorial/cases",
     ("Case studies to review", "Études de cas à examiner", "Estudios de caso por revisar")),
    ("editor", "/editorial/cases/{case}",
     ("Workflow", "Circuit de validation", "Flujo de revisión")),
    ("editor", "/editorial/cases/new",
     ("Write a case study", "Rédiger une étude de cas", "Redactar un estudio de caso")),
    ("editor", "/editorial/cases/{case}/compare", ("Compare", "Comparer", "Comparar")),
    ("editor", "/editorial/documents",
     ("Every document and attachment", "Tous les documents et pièces jointes",
      "Todos los documentos y archivos adjuntos")),
    ("editor", "/editorial/documents/new",
     ("Upload a document", "Téléverser un document", "Cargar un documento")),
    ("editor", "/editorial/documents/{document}",
     ("Download the file", "Télécharger le fichier", "Descargar el archivo")),
    ("partner", "/partner/cases",
     ("Your organisation's case studies", "Les études de cas de votre organisation",
      "Estudios de caso de su organización")),
    ("partner", "/partner/cases/new",
     ("New case study", "Nouvelle étude de cas", "Nuevo estudio de caso")),
    ("partner", "/partner/cases/{case}", ("Conversation", "Échanges", "Conversación")),
    ("partner", "/partner/cases/{case}/edit",
     ("Save draft", "Enregistrer le brouillon", "Guardar borrador")),
    ("partner", "/partner/cases/{case}/compare",
     ("From revision", "De la version", "De la versión")),
    ("admin", "/admin/access-requests",
     ("Access requests waiting for a decision", "Demandes d'accès en attente de décision",
      "Solicitudes de acceso pendientes de decisión")),
    ("admin", "/admin/access-requests/{request}",
     ("Access request from", "Demande d'accès de", "Solicitud de acceso de")),
    ("admin", "/admin/users", ("Restricted access until", "Accès réservé jusqu'au",
                               "Acceso restringido hasta el")),
    ("admin", "/admin/users/{user}", ("Sessions and access", "Sessions et accès",
                                      "Sesiones y acceso")),
    ("admin", "/admin/audit", ("Export these events as CSV", "Exporter ces événements en CSV",
                               "Exportar estos eventos en CSV")),
]  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role, page, words", PAGES, ids=[p for _, p, _ in PAGES])
def test_each_working_page_is_in_the_readers_language(
    auth, client, objects, role, page, words, language
):
    auth.login(role)
    client.set_cookie("casebank_language", language)
    response = client.get(page.format(**objects))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert words[LANGUAGES.index(language)] in html


def test_a_case_studys_title_keeps_its_own_language_on_a_french_page(auth, client, objects):
    auth.login("editor")
    client.set_cookie("casebank_language", "fr")
    html = client.get(f"/editorial/cases/{objects['case']}").get_data(as_text=True)
    assert '<h1 lang="en">Pangolin scales at Lagos</h1>' in html
    queue = client.get("/editorial/cases?status=all").get_data(as_text=True)
    assert '<td lang="en">Pangolin scales at Lagos</td>' in queue


def test_a_link_inside_a_translated_sentence_stays_a_link(auth, client, objects):
    auth.login("editor")
    client.set_cookie("casebank_language", "fr")
    html = client.get(f"/editorial/cases/{objects['case']}").get_data(as_text=True)
    assert (
        '<a href="/editorial/documents/new">Joindre un fichier</a> '
        f"(indiquez {objects['case']} comme étude de cas)"
    ) in html


def test_a_partner_without_an_organisation_is_told_so_in_french(auth, client, db):
    auth.login("partner")
    client.set_cookie("casebank_language", "fr")
    html = client.get("/partner/cases/new").get_data(as_text=True)
    assert "Vous ne pouvez pas encore soumettre d'études de cas" in html


@pytest.fixture
def french_partner(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    client.set_cookie("casebank_language", "fr")
    return role_user("partner")


def test_a_french_partner_reads_the_schemas_messages_in_french(client, french_partner):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    data = {"title": "Écailles de pangolin", "seizure_date": tomorrow, "quantity": "beaucoup",
            "cas_number": "75-45-7", "value_currency": "XXX9"}  # fmt: skip
    response = post_from(client, "/partner/cases/new", "/partner/cases/new", data)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "La date de la saisie ne peut pas être dans le futur." in html  # casebank's own
    assert "Nombre non valide." in html  # marshmallow's, translated where the form shows it
    assert "n'est pas un numéro CAS valide" in html
    assert "Veuillez corriger 4 champs" in html
    assert 'value="Écailles de pangolin"' in html  # what was typed stays


def test_a_translated_message_escapes_what_was_typed(client, french_partner):
    data = {"title": "Essai", "cas_number": "<b>x</b>"}  # 8 characters: the CAS check runs
    response = post_from(client, "/partner/cases/new", "/partner/cases/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<b>x</b>" not in html
    assert "&#39;&lt;b&gt;x&lt;/b&gt;&#39; n&#39;est pas un numéro CAS valide" in html


def test_a_french_partner_reads_the_forms_own_messages_in_french(client, french_partner):
    case = make_case(status="draft", partner="TRAFFIC")
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/messages", {"body": ""})
    assert response.status_code == 400
    assert "Ce champ est requis." in response.get_data(as_text=True)  # WTForms' catalogue


def test_what_stops_a_submission_names_the_fields_in_french(client, db, french_partner):
    post_from(client, "/partner/cases/new", "/partner/cases/new", {"title": "Moitié d'un cas"})
    case = db.session.scalar(db.select(CaseStudy).order_by(CaseStudy.id.desc()).limit(1))
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "submit"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Action non effectuée" in html
    assert "Date de la saisie : Ce champ est obligatoire." in html  # marshmallow's message
    assert "Conventions : Choisissez au moins une convention." in html


def test_personal_data_findings_are_explained_in_french(client, french_partner):
    case = make_case(status="draft", partner="TRAFFIC", summary="Mr Li Wei was arrested.")
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "submit"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Données personnelles possibles dans des champs publics" in html
    assert "« Li Wei » ressemble au nom d'une personne." in html
    assert "Résumé</a>" in html and "Confirmer et soumettre" in html


def test_workflow_buttons_are_in_the_readers_language(auth, client, db):
    case = make_case(status="submitted")
    auth.login("editor")
    client.set_cookie("casebank_language", "es")
    html = client.get(f"/editorial/cases/{case.reference}").get_data(as_text=True)
    for words in (
        "Iniciar la revisión",
        "Solicitar cambios",
        "Publicar",
        "Rechazar",
        "Público, notas restringidas solo para los agentes",
        "Motivo (la otra parte",
    ):
        assert words in html  # fmt: skip


def test_a_refused_transition_says_why_in_french(auth, client, db):
    case = make_case(status="submitted", restricted_notes="Officers only.")
    auth.login("editor")
    client.set_cookie("casebank_language", "fr")
    page = f"/editorial/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "reject"})
    assert "Motif : Indiquez un motif : l'autre partie le lira." in unescape(
        response.get_data(as_text=True)
    )
    data = {"transition": "publish", "access_level": "public"}
    html = unescape(post_from(client, page, f"{page}/transition", data).get_data(as_text=True))
    assert (
        "Qui pourra la consulter une fois publiée : Cette étude de cas comporte des notes" in html
    )


def test_a_spanish_partner_gets_the_flash_in_spanish(client, auth, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    client.set_cookie("casebank_language", "es")
    response = post_from(client, "/partner/cases/new", "/partner/cases/new",
                         form_fields(), follow=True)  # fmt: skip
    html = unescape(response.get_data(as_text=True))
    assert "guardado. Puede volver a él en cualquier momento." in html
    assert '<html lang="es">' in html


def test_a_transition_flash_names_the_status_in_spanish(client, auth, db):
    case = make_case(status="submitted")
    auth.login("editor")
    client.set_cookie("casebank_language", "es")
    page = f"/editorial/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "start_review"},
                         follow=True)  # fmt: skip
    assert f"{case.reference} tiene ahora el estado «En revisión»." in response.get_data(
        as_text=True)  # fmt: skip


def mails_since(before):
    """(recipient, subject, body) of the mails written since `before` were in the outbox."""
    found = []
    for path in outbox_messages()[before:]:
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((mail["To"], mail["Subject"], mail.get_content()))
    return found


def test_a_french_partner_gets_a_french_mail_when_an_english_editor_asks_for_changes(
    client, auth, db
):
    partner = join_partner("TRAFFIC")
    partner.language = "fr"
    colleague = make_partner_user("colleague@partner.example.org", "TRAFFIC")
    colleague.language = "es"
    case = make_case(status="submitted", partner="TRAFFIC")
    db.session.commit()
    auth.login("editor")
    client.set_cookie("casebank_language", "en")
    before = len(outbox_messages())
    page = f"/editorial/cases/{case.reference}"
    data = {"transition": "request_changes", "reason": "Give the port's name."}
    assert post_from(client, page, f"{page}/transition", data).status_code == 302
    mails = {to: (subject, body) for to, subject, body in mails_since(before)}
    subject, body = mails[partner.email]
    assert subject == f"[casebank] {case.reference}: Modifications demandées"
    assert f"L'étude de cas {case.reference} a désormais le statut « Modifications demandées »" \
        in body  # fmt: skip
    assert "Motif :\nGive the port's name." in body  # the reason stays as written
    assert "Connectez-vous pour la consulter" in body
    subject, body = mails[colleague.email]  # one mail per recipient, each in their language
    assert "Cambios solicitados" in subject and "Inicie sesión para consultarlo" in body
    # The editor's page stays in English.
    assert "is now: Changes requested." in client.get(page).get_data(as_text=True)


def test_conversation_mails_are_in_each_recipients_language(db):
    partner = join_partner("TRAFFIC")
    editor = role_user("editor")
    editor.language = "es"
    case = make_case(status="submitted", partner="TRAFFIC")
    case.assigned_editor = editor
    db.session.flush()
    before = len(outbox_messages())
    conversation.post_message(case, partner, "Here is the port's name.")
    ((to, subject, body),) = mails_since(before)
    assert to == editor.email
    assert subject == f"[casebank] {case.reference}: mensaje nuevo"
    assert f"Hay un mensaje nuevo sobre el estudio de caso {case.reference}." in body
    assert "port's name" not in body  # the text itself never travels by mail


def test_a_mailbox_without_a_language_gets_english(db):
    case = make_case(status="in_review", partner="TRAFFIC")  # TRAFFIC: no partner users
    before = len(outbox_messages())
    move_case(case, "request_changes")
    ((to, subject, body),) = mails_since(before)
    assert to == case.partner.contact_email
    assert f"Case study {case.reference} is now: Changes requested." in body
