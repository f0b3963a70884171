"""End to end in headless Chromium: a partner nominates a case study, two judges score it, an
editor closes the round and announces the winner, a visitor reads it on the awards page."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casebank.extensions import db
from casebank.models import Partner
from casebank.services import accounts
from casebank.services.awards import rounds
from tests.live_server import serving
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, log_in

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}"),
]
EDITOR = "award.editor@casebank.example.org"
PARTNER = "award.partner@casebank.example.org"
JUDGES = ("first.judge@casebank.example.org", "second.judge@casebank.example.org")
ROUND_TITLE = "Browser award round"
CASE = "CB-2022-012"
CITATION = "Fourteen tonnes of red sanders stopped at export by a profiled container."


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    def add_accounts():
        editor = accounts.create_user(EDITOR, ["editor"], password=PASSWORD)
        partner = accounts.create_user(PARTNER, ["partner"], password=PASSWORD)
        partner.partner = db.session.scalar(select(Partner).filter_by(acronym="TRAFFIC"))
        for address in JUDGES:
            accounts.create_user(address, ["judge"], password=PASSWORD)
        today = date.today()
        data = {
            "year": today.year, "title": ROUND_TITLE, "description": "", "rules": "",
            "nominations_open_date": today, "nominations_close_date": today,
            "judging_open_date": today, "judging_close_date": today + timedelta(days=7),
            "eligible_from_date": today - timedelta(days=30), "eligible_to_date": today,
            "max_nominations_per_partner": 2,
            "criteria": "3 | Impact | What it stopped\n1 | Cooperation | Between agencies",
            "judges": "\n".join(JUDGES),
        }  # fmt: skip
        db.session.flush()
        award_round = rounds.save_round(None, data, editor)
        rounds.apply(award_round, "open_nominations", editor)

    with serving(tmp_path_factory.mktemp("live-awards"), add_accounts) as (_app, url):
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_nominate_score_close_announce_read(live_server, browser):
    errors = []

    def person(email):
        page = browser.new_context().new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        log_in(page, live_server, email, two_factor=True)
        return page

    partner = person(PARTNER)
    partner.goto(live_server + "/partner/awards")
    card = partner.locator("article", has_text=ROUND_TITLE)
    card.get_by_role("link", name="Nominate a case study").click()
    partner.get_by_label("Case study reference").fill(CASE)
    partner.get_by_label("Citation").fill(CITATION)
    partner.get_by_label("Administration honoured").fill("Directorate of Revenue Intelligence")
    partner.get_by_role("button", name="Nominate").click()
    assert partner.get_by_text("Nomination received.").is_visible()

    editor = person(EDITOR)
    editor.goto(live_server + "/editorial/awards")
    editor.get_by_role("link", name=ROUND_TITLE).click()
    round_url = editor.url
    editor.get_by_role("button", name="Close nominations and start judging").click()
    assert editor.get_by_text("The round is now: Judging.").is_visible()

    for address, marks in zip(JUDGES, (("5", "4"), ("4", "4")), strict=True):
        judge = person(address)
        judge.get_by_role("navigation", name="Main").get_by_role("link", name="Judging").click()
        judge.get_by_role("link", name=ROUND_TITLE).click()
        judge.get_by_role("link", name=CASE).click()
        for select_box, mark in zip(judge.get_by_label("Mark (1 to 5)").all(), marks, strict=True):
            select_box.select_option(mark)
        judge.get_by_role("button", name="Save my scores").click()
        assert judge.get_by_text("Scored").is_visible()
        judge.context.close()

    editor.goto(round_url)
    assert "2 of 1" not in editor.content() and editor.get_by_text("1 of 1").count() == 2
    editor.get_by_role("button", name="Close judging").click()
    # (3 x 4.5 + 1 x 4) / 4 = 4.375: the weighted mean of the criteria's means.
    assert editor.get_by_role("cell", name="4.38").is_visible()
    editor.get_by_label("Category").select_option("winner")
    editor.get_by_label("Announcement").fill("The red sanders seizure wins this year's award.")
    editor.get_by_role("button", name="Save the results").click()
    editor.get_by_role("button", name="Announce the results").click()
    assert editor.get_by_text("The round is now: Announced.").is_visible()

    visitor = browser.new_context().new_page()
    visitor.on("console", lambda m: m.type == "error" and errors.append(m.text))
    visitor.goto(live_server + "/")
    visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Award").click()
    visitor.wait_for_url("**/awards")  # is_visible does not wait: under load it read the old page
    section = visitor.locator("section", has_text=ROUND_TITLE)
    assert section.get_by_text(CITATION).is_visible()
    assert section.get_by_text("Directorate of Revenue Intelligence").first.is_visible()
    section.get_by_role("link", name="Certificate").click()
    assert visitor.get_by_text("Directorate of Revenue Intelligence").is_visible()
    assert errors == []
