"""End to end in headless Chromium: a visitor browses, filters and reads a case study; an
invited officer sets a password, enrols two-factor authentication and stores recovery codes,
in French.

Uses Debian's chromium (/usr/bin/chromium, installed by .ci/run) through Playwright; skips,
saying why, where there is no browser. Any console error fails a test: under the strict CSP an
inline script or style would show up as one.
"""

import os
from pathlib import Path

import pyotp
import pytest
from flask_security.recoverable import generate_reset_password_token
from sqlalchemy import select

from casebank.extensions import db
from casebank.models import Partner
from casebank.services import accounts
from tests.live_server import serving

CHROMIUM = Path("/usr/bin/chromium")
OFFICER, PASSWORD = "browser.officer@casebank.example.org", "Juniper-Signal-Estuary-52"
EDITOR = "browser.editor@casebank.example.org"
INVITED = "agent.invite@douane.example.org"
PARTNER = "browser.partner@casebank.example.org"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}"),
]


# The reset link of INVITED's invitation (an account without a password yet).
LINKS = {}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on its own SQLite database with the demo data, served on a free loopback port."""

    def add_accounts():
        accounts.create_user(OFFICER, ["officer"], password=PASSWORD)
        accounts.create_user(EDITOR, ["editor"], password=PASSWORD)
        partner = accounts.create_user(PARTNER, ["partner"], password=PASSWORD)
        partner.partner = db.session.scalar(select(Partner).filter_by(acronym="TRAFFIC"))
        invited = accounts.create_user(INVITED, ["officer"], name="Agent invité")
        db.session.flush()
        LINKS["invitation"] = f"/account/reset/{generate_reset_password_token(invited)}"

    with serving(tmp_path_factory.mktemp("live"), add_accounts) as (_app, url):
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    context.close()


def test_visitor_filters_cases_and_reads_one(live_server, page, tmp_path):
    page.goto(live_server + "/")
    assert "casebank" in page.title()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Case studies").click()
    page.get_by_label("Convention", exact=True).select_option(label="Montreal Protocol")
    page.get_by_role("button", name="Apply filters").click()
    assert "convention=MONTREAL" in page.url
    heading = page.locator(".results-count").inner_text()
    assert "match your filters" in heading
    first = page.locator(".case-card-title a").first
    title = first.inner_text()
    first.click()
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.get_by_role("heading", name="Public sources").is_visible()
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)
    assert page.console_errors == []


def test_visitor_searches_narrows_by_kind_and_opens_a_french_document(live_server, page, tmp_path):
    page.goto(live_server + "/")
    page.get_by_role("search").first.get_by_role("searchbox").fill("appauvrir ozone")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=appauvrir+ozone")
    page.get_by_role("link", name="Guidance").click()  # the kind facet
    page.wait_for_url("**kind=guidance**")
    hit = page.locator(".search-hit").first
    assert hit.locator("mark").first.inner_text() in ("appauvrissent", "ozone")
    title = hit.locator("h3 a").inner_text()
    hit.locator("h3 a").click()
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.get_by_role("link", name="Download").is_visible()
    page.screenshot(path=str(tmp_path / "document.png"), full_page=True)
    assert page.console_errors == []


def test_keyboard_user_can_skip_to_content(live_server, page):
    page.goto(live_server + "/cases")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")


def test_hs_lookup_and_missing_page(live_server, page):
    page.goto(live_server + "/hs-codes")
    page.get_by_label("Code prefix or words").fill("2903.7")
    page.get_by_role("button", name="Look up").click()
    assert page.locator("tbody tr").count() >= 3
    response = page.goto(live_server + "/cases/NO-SUCH-CASE")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert page.console_errors == [] or all("404" in e for e in page.console_errors)


def test_page_is_usable_on_a_phone(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server + "/cases")
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 390


def enrol_authenticator(page, words=None):
    """On the two-factor set-up page: show the QR code, read the key as a person who cannot
    scan would, answer with the app's code; returns the recovery codes shown next."""
    words = words or {"show": "Show the QR code", "code": "Six-digit code",
                      "finish": "Confirm and finish"}  # fmt: skip
    page.get_by_role("button", name=words["show"]).click()
    key = page.locator("#authenticator-key").inner_text()
    page.get_by_label(words["code"]).fill(pyotp.TOTP(key.replace("-", "")).now())
    page.get_by_role("button", name=words["finish"]).click()
    page.wait_for_url("**/account/recovery-codes/new")
    return page.locator("#recovery-codes code").all_inner_texts()


def test_officer_enrols_two_factor_and_reads_a_restricted_case(live_server, page):
    page.goto(live_server + "/restricted/")
    assert "/account/login" in page.url  # sent to log in, with a local next=
    page.get_by_label("E-mail address").fill(OFFICER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert len(enrol_authenticator(page)) == 5
    page.get_by_role("link", name="I have stored them: continue").click()
    page.wait_for_url("**/restricted/")  # where the officer was going
    page.get_by_role("link", name="Restricted area").click()
    page.get_by_role("link", name="Case studies").last.click()
    page.locator(".tag-restricted").first.locator("xpath=ancestor::article//a").first.click()
    assert page.get_by_text(
        "Restricted case study: for vetted enforcement officers only"
    ).is_visible()
    page.get_by_role("button", name="Log out").click()
    # Waits for the page after logout (is_visible() would look at whatever is loaded now).
    page.get_by_role("link", name="Log in").wait_for(state="visible", timeout=10_000)
    assert page.console_errors == []


def log_in(page, live_server, email, two_factor=False):
    page.goto(live_server + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if two_factor:  # first login: enrol an authenticator, store the recovery codes
        enrol_authenticator(page)
        page.get_by_role("link", name="I have stored them: continue").click()


def test_partner_submits_editor_asks_for_changes_partner_answers_editor_publishes(
    live_server, browser
):
    errors = []

    def new_page():
        page = browser.new_context().new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        return page

    partner, editor = new_page(), new_page()
    log_in(partner, live_server, PARTNER, two_factor=True)  # partners enrol too
    partner.get_by_role("link", name="Your case studies").click()
    partner.get_by_role("link", name="Write a case study").click()
    partner.get_by_label("Title", exact=True).fill("Shahtoosh shawls in air cargo")
    partner.get_by_role("button", name="Save draft").click()
    sync_api.expect(partner.get_by_text("saved. Come back to it at any time")).to_be_visible()
    partner.get_by_label("Summary").fill("Shawls of Tibetan antelope wool found in air cargo.")
    partner.get_by_label("What happened").fill("An x-ray showed folded shawls: chirugorsewool.")
    partner.get_by_label("Seizure date").fill("2023-05-06")
    partner.get_by_label("Seizing country").fill("IN")
    partner.get_by_label("CITES", exact=True).check()
    partner.get_by_label("Commodity").select_option(label="Animal parts and products")
    partner.get_by_label("How it was detected").select_option(label="X-ray or scanning")
    partner.get_by_role("button", name="Save draft").click()
    sync_api.expect(partner.get_by_text("Saved.", exact=True)).to_be_visible()
    partner.get_by_role("link", name="Status, history, conversation and submission").click()
    partner.get_by_role("button", name="Submit for review").click()
    sync_api.expect(partner.get_by_text("is now: Submitted")).to_be_visible()
    reference = partner.url.rsplit("/", 1)[1]

    log_in(editor, live_server, EDITOR, two_factor=True)
    editor.get_by_role("link", name="Editorial").click()
    editor.get_by_role("link", name=reference).click()
    form = editor.locator(
        "form.transition", has=editor.get_by_role("button", name="Ask for changes")
    )
    form.get_by_label("Reason").fill("Please add the place of the seizure.")
    form.get_by_role("button", name="Ask for changes").click()
    sync_api.expect(editor.get_by_text("is now: Changes requested")).to_be_visible()

    partner.reload()
    sync_api.expect(partner.get_by_text("Please add the place of the seizure.")).to_be_visible()
    partner.get_by_role("link", name="Edit").click()
    partner.get_by_label("Place").fill("Indira Gandhi International Airport")
    partner.get_by_role("button", name="Save draft").click()
    sync_api.expect(partner.get_by_text("Saved.", exact=True)).to_be_visible()
    partner.get_by_role("link", name="Status, history, conversation and submission").click()
    partner.get_by_role("button", name="Submit for review").click()
    sync_api.expect(partner.get_by_text("is now: Submitted")).to_be_visible()

    editor.reload()
    form = editor.locator("form.transition", has=editor.get_by_role("button", name="Publish"))
    form.get_by_label("Public, restricted notes for officers only").check()
    form.get_by_role("button", name="Publish").click()
    sync_api.expect(editor.get_by_text("is now: Published")).to_be_visible()

    visitor = new_page()
    visitor.goto(live_server + "/")
    visitor.get_by_role("search").first.get_by_role("searchbox").fill("chirugorsewool")
    visitor.keyboard.press("Enter")
    visitor.get_by_role("link", name="Shahtoosh shawls in air cargo").click()
    sync_api.expect(visitor.get_by_text("Indira Gandhi International Airport")).to_be_visible()
    for page in (partner, editor, visitor):
        page.context.close()
    assert errors == []  # under the strict CSP, an inline script or style would show here


def test_invited_officer_sets_a_password_enrols_and_stores_recovery_codes_in_french(
    live_server, browser, tmp_path
):
    shots = Path(os.environ.get("CASEBANK_SCREENSHOT_DIR") or tmp_path)
    context = browser.new_context(locale="fr-FR")  # Accept-Language: fr
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    def in_french(name, heading):
        assert page.locator("html").get_attribute("lang") == "fr", page.url
        sync_api.expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    page.goto(live_server + LINKS["invitation"])
    in_french("1-set-password", "Définir votre mot de passe")
    page.get_by_label("Nouveau mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Définir votre mot de passe").click()

    in_french("2-login", "Connexion à casebank")
    page.get_by_label("Adresse électronique").fill(INVITED)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    in_french("3-two-factor-setup", "Configurer l’authentification à deux facteurs")
    page.get_by_role("button", name="Afficher le code QR").click()
    in_french("4-two-factor-qr-code", "Configurer l’authentification à deux facteurs")
    assert page.locator("img.qr-code").evaluate("img => img.naturalWidth > 0")  # CSP allowed it
    key = page.locator("#authenticator-key").inner_text()
    page.get_by_label("Code à six chiffres").fill(pyotp.TOTP(key.replace("-", "")).now())
    page.get_by_role("button", name="Confirmer et terminer").click()

    page.wait_for_url("**/account/recovery-codes/new")
    in_french("5-recovery-codes", "Vos codes de récupération")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 5 and all(code.strip() for code in codes)
    assert page.get_by_role("button", name="Imprimer").is_visible()  # the static script ran
    page.get_by_role("link", name="Je les ai conservés : continuer").click()

    page.wait_for_url("**/restricted/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.screenshot(path=str(shots / "6-restricted-area.png"), full_page=True)
    page.go_back()  # the codes page again: they are not shown a second time
    page.reload()
    assert page.locator("#recovery-codes").count() == 0
    context.close()
    assert errors == []
