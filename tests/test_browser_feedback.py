"""End to end in headless Chromium: a visitor reads a document (two versions, a preview),
leaves feedback; an editor approves it and replies; the visitor sees both. Any console error
fails the test (an inline script or style would show up as one under the strict CSP)."""

import pytest

from casebank.services import accounts
from tests.live_server import serving
from tests.test_browser import (
    CHROMIUM,
    PASSWORD,
    browser,  # noqa: F401, F811 (a fixture)
    enrol_authenticator,
    sync_api,
)

EDITOR = "feedback.editor@casebank.example.org"
CITES_GUIDE = "CITES at the border: appendices, permits and the part customs plays"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    def add_accounts():
        accounts.create_user(EDITOR, ["editor"], password=PASSWORD)

    with serving(tmp_path_factory.mktemp("live-feedback"), add_accounts) as (app, url):
        app.config["FEEDBACK_MIN_FILL_SECONDS"] = 1  # a person takes longer; the test waits 1 s
        yield url


def test_visitor_leaves_feedback_editor_approves_and_replies_visitor_sees_both(
    live_server,
    browser,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    errors = []

    def new_page(**options):
        page = browser.new_context(**options).new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        return page

    visitor = new_page(viewport={"width": 390, "height": 844})  # on a phone
    visitor.goto(live_server + "/documents")
    visitor.get_by_role("link", name=CITES_GUIDE).click()
    sync_api.expect(visitor.get_by_role("heading", name="Versions")).to_be_visible()
    sync_api.expect(visitor.get_by_text("Adds a checklist for the control point")).to_be_visible()
    sync_api.expect(visitor.get_by_role("heading", name="Preview")).to_be_visible()
    visitor.get_by_label("4", exact=True).check()
    visitor.get_by_label("Your comment").fill("The checklist <b>helps</b>; see http://example.org")
    visitor.get_by_label("Your name (optional)").fill("Browser Visitor")
    visitor.get_by_label("E-mail for a reply (optional)").fill("visitor@example.org")
    visitor.get_by_label("I agree that my rating").check()
    visitor.wait_for_timeout(1200)  # the minimum fill time (1 s on this server)
    visitor.get_by_role("button", name="Send feedback").click()
    sync_api.expect(visitor.get_by_text("Your feedback will appear once")).to_be_visible()
    sync_api.expect(visitor.get_by_text("The checklist <b>helps</b>")).to_have_count(0)

    editor = new_page()
    editor.goto(live_server + "/account/login")
    editor.get_by_label("E-mail address").fill(EDITOR)
    editor.get_by_label("Password").fill(PASSWORD)
    editor.get_by_role("button", name="Log in").click()
    enrol_authenticator(editor)
    editor.get_by_role("link", name="I have stored them: continue").click()
    editor.goto(live_server + "/editorial/feedback")
    item = editor.locator(".feedback-item", has=editor.get_by_text("The checklist <b>helps</b>"))
    sync_api.expect(item).to_have_count(1)
    sync_api.expect(item.get_by_text("visitor@example.org")).to_have_count(0)  # admins only
    item.get_by_label("Public reply").fill("Thank you, Browser Visitor.")
    item.get_by_role("button", name="Save the reply").click()
    sync_api.expect(editor.get_by_text("Reply saved.")).to_be_visible()
    item = editor.locator(".feedback-item", has=editor.get_by_text("The checklist <b>helps</b>"))
    item.get_by_role("checkbox").check()
    editor.get_by_role("button", name="Approve").click()
    sync_api.expect(editor.get_by_text("1 changed.")).to_be_visible()
    editor.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

    visitor.reload()
    sync_api.expect(
        visitor.get_by_text("The checklist <b>helps</b>; see http://example.org")
    ).to_be_visible()
    sync_api.expect(visitor.get_by_text("Thank you, Browser Visitor.")).to_be_visible()
    sync_api.expect(visitor.get_by_role("link", name="http://example.org")).to_have_count(0)
    assert "visitor@example.org" not in visitor.content()
    visitor.screenshot(path=str(tmp_path / "document.png"), full_page=True)
    for page in (visitor, editor):
        page.context.close()
    assert errors == []
