"""End to end in headless Chromium: a visitor filters the statistics page and downloads a
chart's CSV; an officer saves a search and receives an alert after a matching case study is
published, follows it, and stops the alerts from the mail's link without logging in.

Skips, saying why, where there is no browser (see tests/test_browser.py).
"""

import csv
import io
from email import message_from_bytes, policy

import pytest
from flask import url_for

from casebank.extensions import db
from casebank.mail import outbox_messages
from casebank.services import accounts
from casebank.services.cases import workflow
from tests.factories import make_case
from tests.live_server import serving

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, enrol_authenticator  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}"),
]
OFFICER, EDITOR = "alert.officer@casebank.example.org", "alert.editor@casebank.example.org"
PASSWORD = "Juniper-Signal-Estuary-52"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    def add_accounts():
        accounts.create_user(OFFICER, ["officer"], password=PASSWORD, name="Alert Officer")
        accounts.create_user(EDITOR, ["editor"], password=PASSWORD)

    with serving(tmp_path_factory.mktemp("live-insight"), add_accounts) as (app, url):
        yield app, url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    context.close()


def test_visitor_filters_the_statistics_and_downloads_a_charts_csv(live_server, page, tmp_path):
    _app, url = live_server
    page.goto(url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    page.get_by_label("Convention", exact=True).select_option(value="CITES")
    page.get_by_label("From year").fill("2015")
    page.get_by_role("button", name="Apply filters").click()
    assert "convention=CITES" in page.url and "year_from=2015" in page.url
    section = page.locator("#stat-year")
    chart = section.locator("img")
    chart.scroll_into_view_if_needed()
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=chart.element_handle())
    on_screen = {
        row.locator("th").inner_text(): int(row.locator("td").inner_text().replace(",", ""))
        for row in section.locator("tbody tr").all()
    }
    with page.expect_download() as download:
        section.get_by_role("link", name="Download this table (CSV)").click()
    path = tmp_path / "year.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == ["Code", "Year", "Case studies"]
    assert {row[1]: int(row[2]) for row in rows[1:]} == on_screen
    assert sum(on_screen.values()) == 12  # the demo's CITES case studies, all seized since 2015
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than it
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(tmp_path / "statistics-phone.png"), full_page=True)
    assert page.console_errors == []


def outbox(app):
    with app.app_context():
        return outbox_messages()


def alert_mails_to(app, address, before):
    found = []
    for path in outbox(app)[before:]:
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if mail["To"] == address:
            found.append(mail)
    return found


def publish_matching_case(app):
    """An editor publishes a restricted case study about what the officer's search names."""
    with app.app_context(), app.test_request_context():
        case = make_case(status="submitted", title="Saiga horn in a fuel tank (zubrovka)",
                         summary="Saiga horn zubrovka hidden in a lorry's fuel tank.")  # fmt: skip
        editor = accounts.find_user(EDITOR)
        workflow.apply(case, "publish", editor, access_level=workflow.RESTRICTED)
        db.session.commit()  # the search indexes follow the commit (the outbox)
        reference = case.reference
        link = url_for("restricted.case_detail", reference=reference)
    return reference, link


def test_officer_saves_a_search_and_an_alert_follows_a_publication(live_server, browser):
    app, url = live_server
    errors = []
    officer = browser.new_context().new_page()
    officer.on("console", lambda m: m.type == "error" and errors.append(m.text))
    officer.goto(url + "/account/login")
    officer.get_by_label("E-mail address").fill(OFFICER)
    officer.get_by_label("Password").fill(PASSWORD)
    officer.get_by_role("button", name="Log in").click()
    enrol_authenticator(officer)
    officer.get_by_role("link", name="I have stored them: continue").click()

    officer.get_by_role("search").first.get_by_role("searchbox").fill("zubrovka")
    officer.keyboard.press("Enter")
    officer.get_by_role("link", name="Save this search").click()
    officer.get_by_label("Name").fill("Saiga horn")
    officer.get_by_label("E-mail me new matches").select_option(value="daily")
    officer.get_by_role("button", name="Save the search").click()
    sync_api.expect(officer.get_by_text("Your search was saved.")).to_be_visible()
    sync_api.expect(officer.get_by_role("cell", name="Daily e-mail")).to_be_visible()

    before = len(outbox(app))
    _reference, link = publish_matching_case(app)
    result = app.test_cli_runner().invoke(args=["casebank", "send-alerts", "--site-url", url])
    assert result.exit_code == 0, result.output
    [mail] = alert_mails_to(app, OFFICER, before)
    body = mail.get_body(("plain",)).get_content()
    assert "Saiga horn" in mail["Subject"]  # the search's name, not the case's title
    assert "zubrovka" not in body.lower() and "fuel tank" not in body  # restricted text
    assert "A new restricted case study matches: log in to read it." in body
    assert url + link in body

    officer.goto(url + link)
    sync_api.expect(officer.get_by_role("heading", level=1)).to_have_text(
        "Saiga horn in a fuel tank (zubrovka)"
    )
    officer.context.close()

    stranger = browser.new_context().new_page()  # the mail's link works without logging in
    stranger.on("console", lambda m: m.type == "error" and errors.append(m.text))
    stranger.goto(mail["List-Unsubscribe"].strip("<>"))
    stranger.get_by_role("button", name="Stop these e-mails").click()
    sync_api.expect(stranger.get_by_text("you will get no more e-mails")).to_be_visible()
    stranger.context.close()
    assert errors == []
