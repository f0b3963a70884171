"""The reading pages in headless Chromium in English, French and Spanish: no serious or
critical accessibility violation (axe-core), a header that holds its line at 1280 px for every
role, and a phone search page that shows results before its facets.

Logs in over HTTP through the browser context's request API (it shares the page's cookies), so
these tests do not depend on the wording of the login screens."""

import pytest
from flask import current_app

from casebank.extensions import db
from casebank.models import CaseStudy
from casebank.services import accounts, catalogue
from tests.auth_actions import csrf_token, enrol_authenticator, totp_code
from tests.live_server import serving
from tests.test_browser import CHROMIUM, browser  # noqa: F401, F811 (a fixture)

PASSWORD = "Juniper-Signal-Estuary-52"
ROLES = {"officer": ["officer"], "editor": ["editor"], "admin": ["admin"]}
LANGUAGES = ["en", "fr", "es"]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}"),
]


def email(role):
    return f"languages.{role}@casebank.example.org"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """(app, base URL, a public case's reference): the demo data on a free loopback port, one
    account per role with two-factor authentication enrolled."""

    def add_accounts():
        for role, roles in ROLES.items():
            user = accounts.create_user(email(role), roles, password=PASSWORD)
            enrol_authenticator(current_app, user)

    with serving(tmp_path_factory.mktemp("live-languages"), add_accounts) as (app, url):
        with app.app_context():
            reference = db.session.scalar(
                catalogue.public_cases().with_only_columns(CaseStudy.reference).limit(1)
            )
        yield app, url, reference


def log_in(context, live, role):
    app, base, _reference = live
    page = context.request.get(base + "/account/login").text()
    context.request.post(base + "/account/login", form={
        "csrf_token": csrf_token(page), "email": email(role), "password": PASSWORD})  # fmt: skip
    page = context.request.get(base + "/account/tf-validate").text()
    with app.app_context():
        user = accounts.find_user(email(role))
        user.tf_totp_last_counter = None  # a code is taken once per 30 s; these log in often
        db.session.commit()
        code = totp_code(app, user)
    context.request.post(base + "/account/tf-validate",
                         form={"csrf_token": csrf_token(page), "code": code})  # fmt: skip
    assert 'action="/account/logout"' in context.request.get(base + "/").text()


@pytest.fixture
def open_page(browser, live):  # noqa: F811 (the fixture imported above)
    """open_page(language, role=None, width=1280): a page in a fresh browser context."""
    contexts = []

    def open_page(language, role=None, width=1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        context.add_cookies([{"name": "casebank_language", "value": language, "url": live[1]}])
        if role:
            log_in(context, live, role)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        return page

    yield open_page
    for context in contexts:
        context.close()


def serious_violations(page):
    results = axe_playwright.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_have_no_serious_accessibility_violation(live, open_page, language):
    _app, base, reference = live
    visitor = open_page(language)
    pages = ["/", "/cases", f"/cases/{reference}", "/search?q=pangolin", "/documents",
             "/conventions", "/hs-codes", "/about"]  # fmt: skip
    found = {}
    for path in pages:
        assert visitor.goto(base + path).status == 200, path
        assert visitor.locator("html").get_attribute("lang") == language
        found[path] = serious_violations(visitor)
    officer = open_page(language, "officer")
    assert officer.goto(base + "/restricted/").status == 200
    assert officer.url.endswith("/restricted/")
    found["/restricted/"] = serious_violations(officer)
    assert {path: v for path, v in found.items() if v} == {}
    assert visitor.console_errors == [] and officer.console_errors == []


# The header's two bands: each holds one line (the sections' items share one top) and the
# search box shows its whole placeholder.
HEADER_GEOMETRY = """() => {
  const box = e => e.getBoundingClientRect();
  const tops = [...document.querySelectorAll('.site-nav li')].map(e => box(e).top);
  const band = document.querySelector('.header-top').getBoundingClientRect();
  const parts = [...document.querySelectorAll('.header-top > *')].map(box);
  const input = document.querySelector('#header-q');
  const style = getComputedStyle(input);
  const canvas = document.createElement('canvas').getContext('2d');
  canvas.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {
    navLines: new Set(tops.map(Math.round)).size,
    oneBand: parts.every(p => p.top >= band.top && p.bottom <= band.bottom
                              && p.top < parts[0].bottom),
    placeholderFits: canvas.measureText(input.placeholder).width <= room,
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", [None, "officer", "editor", "admin"])
def test_the_header_holds_its_line_at_1280_px(live, open_page, language, role):
    page = open_page(language, role)
    page.goto(live[1] + "/")
    geometry = page.evaluate(HEADER_GEOMETRY)
    assert geometry == {"navLines": 1, "oneBand": True, "placeholderFits": True,
                        "scrollWidth": 1280}  # fmt: skip
    if role in ("editor", "admin"):
        assert page.locator(".site-nav .nav-member").count() >= 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_phone_the_search_shows_results_before_facets(live, open_page, language):
    page = open_page(language, width=390)
    page.goto(live[1] + "/search?q=pangolin")
    facet_links = page.locator(".facets .facet a")
    first_hit = page.locator(".search-hit").first
    assert first_hit.is_visible() and not facet_links.first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".facets-fold > summary").click()
    assert facet_links.first.is_visible()
    assert page.evaluate(HEADER_GEOMETRY)["placeholderFits"]


def test_on_a_wide_screen_the_facets_stand_beside_the_results(live, open_page):
    page = open_page("fr")
    page.goto(live[1] + "/search?q=pangolin")
    assert page.locator(".facets .facet a").first.is_visible()
    assert not page.locator(".facets-fold > summary").is_visible()
    facets = page.locator(".facets").bounding_box()
    results = page.locator(".search-hit").first.bounding_box()
    assert facets["x"] + facets["width"] <= results["x"]
