"""End to end in headless Chromium: a visitor browses, filters and reads a case study.

Uses Debian's chromium (/usr/bin/chromium, installed by .ci/run) through Playwright; skips,
saying why, where there is no browser. Any console error fails a test: under the strict CSP an
inline script or style would show up as one.
"""

import re
import threading
from pathlib import Path

import pyotp
import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from casebank import create_app
from casebank.extensions import db
from casebank.search import rebuild, search_indexes
from casebank.services import accounts
from casebank.services.demo import load_demo

CHROMIUM = Path("/usr/bin/chromium")
OFFICER, PASSWORD = "browser.officer@casebank.example.org", "Juniper-Signal-Estuary-52"
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


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on its own SQLite database with the demo data, served on a free loopback port."""
    path = tmp_path_factory.mktemp("live")
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path / 'live.db'}", "INDEX_DIR": path / "index"},
    )
    with app.app_context(), app.test_request_context():
        upgrade()
        load_demo()
        accounts.create_user(OFFICER, ["officer"], password=PASSWORD)
        db.session.commit()
        rebuild()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    search_indexes(app).close()
    with app.app_context():
        db.engine.dispose()


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


def test_officer_enrols_two_factor_and_reads_a_restricted_case(live_server, page):
    page.goto(live_server + "/restricted/")
    assert "/account/login" in page.url  # sent to log in, with a local next=
    page.get_by_label("Email Address").fill(OFFICER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_label(re.compile("authenticator")).check()
    page.get_by_role("button", name="Submit", exact=True).click()
    key = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)", page.content()).group(1)
    page.get_by_label("Authentication Code").fill(pyotp.TOTP(key.replace("-", "")).now())
    page.get_by_role("button", name="Submit Code").click()
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
