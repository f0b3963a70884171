"""The account screens in casebank's own pages and three languages: login, two-factor set-up
and codes, recovery codes (shown once after enrolment), passwords, re-authentication; where a
member lands after logging in; the account mails in the recipient's language."""

import email
import email.policy
import re

import pyotp
import pytest
from flask_security.recoverable import generate_reset_password_token

from casebank.auth import enrolment
from casebank.mail import outbox_messages
from casebank.models import AccessRequest
from casebank.services import accounts
from tests.auth_actions import PASSWORD, ROLE_USERS, AuthActions, authenticator_key, csrf_token

LANGUAGES = ["en", "fr", "es"]


def html_of(response):
    return response.get_data(as_text=True)


def speaking(client, language):
    client.set_cookie("casebank_language", language)
    return client


def assert_page_in(html, language, words):
    assert f'<html lang="{language}">' in html
    assert words in html, f"{words!r} not in the {language} page"


# What each page says in each language (its heading).
LOGIN = {"en": "Log in to casebank", "fr": "Connexion à casebank",
         "es": "Iniciar sesión en casebank"}  # fmt: skip
FORGOT = {"en": "Forgotten password", "fr": "Mot de passe oublié", "es": "Contraseña olvidada"}
SET_PASSWORD = {"en": "Set your password", "fr": "Définir votre mot de passe",
                "es": "Establecer su contraseña"}  # fmt: skip
RESET_PASSWORD = {"en": "Reset your password", "fr": "Réinitialiser votre mot de passe",
                  "es": "Restablecer su contraseña"}  # fmt: skip
SETUP = {"en": "Set up two-factor authentication",
         "fr": "Configurer l’authentification à deux facteurs",
         "es": "Configurar la autenticación de dos factores"}  # fmt: skip
CODE = {"en": "Enter your code", "fr": "Saisissez votre code", "es": "Introduzca su código"}
RECOVERY = {"en": "Use a recovery code", "fr": "Utiliser un code de récupération",
            "es": "Usar un código de recuperación"}  # fmt: skip
CHANGE = {"en": "Change your password", "fr": "Changer votre mot de passe",
          "es": "Cambiar su contraseña"}  # fmt: skip
VERIFY = {"en": "Confirm your password", "fr": "Confirmez votre mot de passe",
          "es": "Confirme su contraseña"}  # fmt: skip
CODES = {"en": "Make new recovery codes", "fr": "Créer de nouveaux codes de récupération",
         "es": "Generar nuevos códigos de recuperación"}  # fmt: skip
PROFILE = {"en": "Your active sessions", "fr": "Vos sessions actives", "es": "Sus sesiones activas"}
REQUEST = {"en": "Why do you need access?", "fr": "Pourquoi avez-vous besoin d’un accès ?",
           "es": "¿Por qué necesita acceso?"}  # fmt: skip
SENT = {"en": "Thank you: your request was sent", "fr": "Merci : votre demande a été envoyée",
        "es": "Gracias: su solicitud ha sido enviada"}  # fmt: skip


def password_step(auth, email):
    return auth.post_form("/account/login", {"email": email, "password": PASSWORD})


def new_member(db, email, roles=("officer",), password=PASSWORD):
    user = accounts.create_user(email, list(roles), password=password, name="New Member")
    db.session.commit()
    return user


# Pages anyone reaches.
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "path, words",
    [("/account/login", LOGIN), ("/account/reset", FORGOT), ("/account/request-access", REQUEST),
     ("/account/request-access/sent", SENT)],
)  # fmt: skip
def test_public_account_pages_speak_the_readers_language(client, language, path, words):
    page = speaking(client, language).get(path)
    assert page.status_code == 200
    assert_page_in(html_of(page), language, words[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_of_a_logged_in_member_speak_their_language(auth, client, language):
    auth.login("officer")
    speaking(client, language)
    for path, words in [
        ("/account/change", CHANGE), ("/account/verify", VERIFY), ("/account/tf-setup", SETUP),
        ("/account/mf-recovery-codes", CODES), ("/account/", PROFILE),
    ]:  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, path
        assert_page_in(html_of(page), language, words[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_factor_login_pages_speak_the_readers_language(auth, client, language):
    speaking(client, language)
    assert "/tf-validate" in password_step(auth, ROLE_USERS["officer"][0]).location
    page = client.get("/account/tf-validate")
    assert_page_in(html_of(page), language, CODE[language])
    page = client.get("/account/mf-recovery")
    assert page.status_code == 200
    assert_page_in(html_of(page), language, RECOVERY[language])


def test_the_code_page_offers_a_recovery_code_and_keeps_next(auth, client):
    password_step(auth, ROLE_USERS["officer"][0])
    html = html_of(client.get("/account/tf-validate?next=/restricted/cases"))
    assert 'href="/account/mf-recovery?next=/restricted/cases"' in html
    assert 'action="/account/tf-validate?next=/restricted/cases"' in html


def test_login_has_no_remember_box_nor_menu_and_links_to_request_access(client):
    html = html_of(client.get("/account/login?next=/restricted/"))
    assert 'name="remember"' not in html and "Remember" not in html
    assert "<menu" not in html and ">Menu<" not in html
    assert 'href="/account/request-access"' in html
    assert 'href="/account/reset"' in html
    assert 'action="/account/login?next=/restricted/"' in html
    assert "style=" not in html and "<script>" not in html


def test_a_wrong_password_is_refused_in_french(auth, client):
    speaking(client, "fr")
    page = auth.post_form("/account/login", {"email": ROLE_USERS["officer"][0], "password": "x"})
    html = html_of(page)
    assert page.status_code == 200
    assert_page_in(html, "fr", "Connexion à casebank")
    assert "Adresse électronique ou mot de passe incorrect." in html
    assert 'value="officer@casebank.example.org"' in html  # what was typed stays


def test_form_errors_of_the_password_pages_are_in_french(auth, client):
    auth.login("officer")
    speaking(client, "fr")
    page = auth.post_form("/account/change", {"password": PASSWORD, "new_password": "short",
                                              "new_password_confirm": "other"})  # fmt: skip
    assert "Les mots de passe ne correspondent pas" in html_of(page)
    page = auth.post_form("/account/change", {"password": PASSWORD, "new_password": "short",
                                              "new_password_confirm": "short"})  # fmt: skip
    assert "au moins 12 caractères" in html_of(page)


def test_casebank_password_policy_speaks_spanish(auth, client):
    auth.login("officer")
    speaking(client, "es")
    weak = "password1234"
    html = html_of(auth.post_form("/account/change", {"password": PASSWORD, "new_password": weak,
                                                      "new_password_confirm": weak}))  # fmt: skip
    assert "Esta contraseña es demasiado común o fácil de adivinar" in html


def test_an_invitation_opens_a_set_your_password_page(app, client, db):
    user = new_member(db, "invited@customs.example.org", password=None)
    token = generate_reset_password_token(user)
    for language in LANGUAGES:
        html = html_of(speaking(client, language).get(f"/account/reset/{token}"))
        assert_page_in(html, language, SET_PASSWORD[language])
        assert f"<title>{SET_PASSWORD[language]} · casebank</title>" in html
        assert f'value="{SET_PASSWORD[language]}"' in html  # the button
        assert RESET_PASSWORD[language] not in html


def test_a_reset_link_for_a_member_with_a_password_says_reset(client, db):
    user = new_member(db, "forgetful@customs.example.org")
    token = generate_reset_password_token(user)
    html = html_of(speaking(client, "fr").get(f"/account/reset/{token}"))
    assert_page_in(html, "fr", RESET_PASSWORD["fr"])
    assert SET_PASSWORD["fr"] not in html


def enrol_from_login(app, client, email, next_path=None):
    """Log in (with next), scan the key, answer the code: the response to the code."""
    auth = AuthActions(app, client)
    login = "/account/login" + (f"?next={next_path}" if next_path else "")
    response = auth.post_form(login, {"email": email, "password": PASSWORD})
    assert response.location.endswith("/account/tf-setup")
    page = auth.post_form("/account/tf-setup", {"setup": "authenticator"})
    html = html_of(page)
    code = pyotp.TOTP(authenticator_key(html).replace("-", "")).now()
    return client.post("/account/tf-validate", data={"csrf_token": csrf_token(html), "code": code})


def follow(client, response):
    while response.status_code == 302:
        response = client.get(response.location)
    return response


def test_enrolment_shows_recovery_codes_once_then_the_restricted_area(app, client, db):
    new_member(db, "enrolling@customs.example.org")
    done = enrol_from_login(app, client, "enrolling@customs.example.org")
    assert done.location == "/account/welcome"
    codes_page = client.get(done.location)
    assert codes_page.location == "/account/recovery-codes/new"
    html = html_of(client.get(codes_page.location))
    shown = re.findall(r"<li><code>([^<]+)</code></li>", html)
    assert len(shown) == app.config["SECURITY_MULTI_FACTOR_RECOVERY_CODES_N"]
    util = app.extensions["security"].mf_recovery_codes_util
    user = accounts.find_user("enrolling@customs.example.org")
    assert sorted(util.get_recovery_codes(user)) == sorted(shown)
    assert "style=" not in html and 'src="/static/js/recovery-codes.js"' in html

    again = html_of(client.get("/account/recovery-codes/new"))
    assert not re.findall(r"<li><code>", again)
    assert not any(code in again for code in shown)
    assert sorted(util.get_recovery_codes(user)) == sorted(shown)  # a reload made none

    landing = client.get("/account/welcome")
    assert landing.location == "/restricted/"
    assert client.get("/restricted/").status_code == 200


def test_enrolment_keeps_where_the_member_was_going(app, client, db):
    new_member(db, "going@customs.example.org")
    done = enrol_from_login(app, client, "going@customs.example.org", next_path="/restricted/cases")
    follow(client, client.get(done.location))  # the codes page
    assert client.get("/account/welcome").location == "/restricted/cases"


def test_a_login_with_a_next_to_another_site_is_refused(auth, client):
    page = auth.post_form("/account/login?next=https://evil.example.org/",
                          {"email": ROLE_USERS["officer"][0], "password": PASSWORD})  # fmt: skip
    assert page.status_code == 200 and "/account/tf-" not in (page.location or "")


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.org/", "//evil.example.org/", "/\\evil.example.org", "///evil.org",
     "javascript:alert(1)", "restricted/", "", None],
)  # fmt: skip
def test_a_remembered_destination_is_checked_when_used(app, url):
    with app.test_request_context("/"):
        assert enrolment.checked_destination(url) is None
        assert enrolment.checked_destination("/restricted/cases?q=x") == "/restricted/cases?q=x"


@pytest.mark.parametrize(
    "roles, landing",
    [(("partner",), "/partner/cases"), (("editor",), "/editorial/cases"),
     (("admin",), "/admin/access-requests"), (("officer", "partner"), "/restricted/")],
)  # fmt: skip
def test_members_land_in_their_workspace(app, client, db, roles, landing):
    email = f"{'-'.join(roles)}.lands@customs.example.org"
    new_member(db, email, roles)
    done = enrol_from_login(app, client, email)
    client.get(done.location)
    client.get("/account/recovery-codes/new")
    assert client.get("/account/welcome").location == landing


def test_an_enrolled_member_logs_in_to_their_workspace_or_next(auth, client):
    response = auth.login("partner")
    assert response.location == "/account/welcome"
    assert client.get(response.location).location == "/partner/cases"
    auth.logout()
    password_step(auth, ROLE_USERS["editor"][0])
    response = auth.post_form("/account/tf-validate?next=/editorial/documents",
                              {"code": auth.fresh_code(ROLE_USERS["editor"][0])})  # fmt: skip
    assert response.location == "/editorial/documents"


def test_an_expired_officer_lands_on_the_account_page(auth, client):
    response = auth.login("expired_officer")
    assert client.get(response.location).location == "/account/"


def test_recovery_codes_are_not_shown_to_someone_who_did_not_just_enrol(auth, client):
    auth.login("officer")
    html = html_of(client.get("/account/recovery-codes/new"))
    assert "<code>" not in html
    assert client.get("/account/welcome").location == "/restricted/"


def test_the_qr_code_is_an_image_the_csp_allows(auth, client):
    auth.login("officer")
    auth.post_form("/account/verify", {"password": PASSWORD})
    page = auth.post_form("/account/tf-setup", {"setup": "authenticator"})
    html = html_of(page)
    assert re.search(r'<img class="qr-code" src="data:image/[a-z+]+;base64,', html)
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]
    assert "style=" not in html
    assert "google" not in html.lower() and "authy" not in html.lower()


def outbox_since(before):
    """The mails written since, as text: subject line first (decoded), then the body."""
    mails = []
    for path in outbox_messages()[before:]:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        mails.append(f"Subject: {message['Subject']}\nTo: {message['To']}\n{message.get_content()}")
    return mails


def test_the_invitation_is_written_in_the_requests_language(app, db):
    admin = accounts.find_user(ROLE_USERS["admin"][0])
    access_request = AccessRequest(
        name="Amélie Durand", organisation="Douane française", email="a.durand@douane.example.org",
        country="FR", role_wanted="officer", justification="x" * 40, supervisor_contact="chef",
        language="fr",
    )  # fmt: skip
    db.session.add(access_request)
    db.session.flush()
    before = len(outbox_messages())
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        accounts.approve_request(access_request, admin)
    [mail] = outbox_since(before)
    assert "Subject: Votre invitation à casebank" in mail
    assert "Définissez votre mot de passe dans les 48 heures" in mail


def test_a_refusal_is_written_in_the_requests_language(app, db):
    admin = accounts.find_user(ROLE_USERS["admin"][0])
    access_request = AccessRequest(
        name="Lucía Gómez", organisation="Aduana", email="l.gomez@aduana.example.org",
        country="ES", role_wanted="officer", justification="x" * 40, supervisor_contact="jefa",
        language="es",
    )  # fmt: skip
    db.session.add(access_request)
    db.session.flush()
    before = len(outbox_messages())
    with app.test_request_context("/"):
        accounts.refuse_request(access_request, admin, "Dirección no oficial")
    [mail] = outbox_since(before)
    assert "no ha sido aprobada" in mail and "Motivo: Dirección no oficial" in mail


def test_the_expiry_reminder_is_written_in_the_officers_language(app, db):
    from datetime import date, timedelta

    officer = new_member(db, "rappel@douane.example.org")
    officer.language = "fr"
    officer.restricted_access_until = date.today() + timedelta(days=3)
    db.session.flush()
    before = len(outbox_messages())
    with app.app_context():
        reminded = accounts.send_expiry_reminders()
    assert officer in reminded
    mails = [m for m in outbox_since(before) if "rappel@douane.example.org" in m]
    assert len(mails) == 1
    assert "Votre accès à l’espace réservé de casebank prend fin le" in mails[0]


def test_the_lockout_mail_is_written_in_the_owners_language(app, db):
    from casebank.auth import lockout

    owner = new_member(db, "bloque@aduana.example.org")
    owner.language = "es"
    db.session.flush()
    before = len(outbox_messages())
    with app.test_request_context("/"):
        lockout.send_owner_mail(owner)
    [mail] = outbox_since(before)
    assert "el inicio de sesión queda suspendido" in mail


def test_flask_securitys_own_messages_speak_formally_in_spanish(auth, client):
    auth.login("officer")
    speaking(client, "es")
    new = "Heron-Lattice-Quarry-83"
    fields = {"password": PASSWORD, "new_password": new, "new_password_confirm": new}
    changed = auth.post_form("/account/change", fields, follow=True)
    assert "Ha cambiado su contraseña." in html_of(changed)


@pytest.mark.parametrize("address", ["nobody@customs.example.org", ROLE_USERS["officer"][0], ""])
def test_a_reset_request_answers_alike_for_any_address(auth, client, address):
    speaking(client, "fr")
    html = html_of(auth.post_form("/account/reset", {"email": address}))
    [flash] = re.findall(r'<div class="flashes".*?</div>', html, re.S)
    assert "Si cette adresse correspond à un compte, un lien pour choisir" in flash


def test_the_reset_mail_is_in_casebanks_words_and_the_readers_language(auth, client):
    speaking(client, "fr")
    before = len(outbox_messages())
    auth.post_form("/account/reset", {"email": ROLE_USERS["partner"][0]})
    [mail] = outbox_since(before)
    assert "Subject: casebank : choisir un nouveau mot de passe" in mail
    assert "Une réinitialisation du mot de passe de votre compte casebank" in mail
    assert re.search(r"http://localhost/account/reset/\S+", mail)


def test_a_wrong_code_while_enrolling_stays_on_the_set_up(app, client, db):
    new_member(db, "typo@customs.example.org")
    auth = AuthActions(app, client)
    speaking(client, "fr")
    auth.post_form("/account/login", {"email": "typo@customs.example.org", "password": PASSWORD})
    page = auth.post_form("/account/tf-setup", {"setup": "authenticator"})
    token = csrf_token(html_of(page))
    wrong = client.post("/account/tf-validate", data={"csrf_token": token, "code": "000000"})
    html = html_of(wrong)
    assert "Ce code n’est pas le bon" in html
    assert "Retour à la configuration" in html and "mf-recovery" not in html


@pytest.mark.parametrize("language", ["fr", "es"])
def test_casebanks_wording_of_flask_security_messages_is_translated(app, language):
    from casebank.auth.security import EMAIL_SUBJECTS, MESSAGES

    with app.test_request_context("/", headers={"Accept-Language": language}):
        domain = app.extensions["security"].i18n_domain
        for english in [text for text, _category in MESSAGES.values()] + [*EMAIL_SUBJECTS.values()]:
            assert domain.gettext(english) != english, f"no {language} for {english!r}"
