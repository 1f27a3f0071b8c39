"""The registration page in Chromium: three languages (Arabic right to left), axe-core on the
page and on its error state, the whole way from the form to the coordinator's list, interest
suggestions, and framing only by the municipality's site."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import OutboxMessage
from tests.conftest import PASSWORD, axe_violations, format_violations
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("lang", "direction", "heading", "submit"),
    [
        ("sv", "ltr", "Anmäl dig till AvestaVärd", "Skicka anmälan"),
        ("en", "ltr", "Sign up for AvestaVärd", "Send registration"),
        ("ar", "rtl", "سجّل في AvestaVärd", "أرسل التسجيل"),
    ],
)
def test_page_and_error_state_are_accessible(live_server, page, lang, direction, heading, submit):
    page.goto(f"{live_server.url}/register?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == direction
    assert page.get_by_role("heading", level=1).inner_text() == heading
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)

    # the error state: the name is kept, the summary takes the focus, axe is still happy
    page.locator("#name").fill("Amira")
    page.get_by_role("button", name=submit).click()
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#name").input_value() == "Amira"
    assert page.locator("#area-error").is_visible()
    assert "area-error" in (page.locator("#area").get_attribute("aria-describedby") or "")
    assert page.locator("#area").get_attribute("aria-invalid") == "true"
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_registration_from_form_to_coordinator_list(live_server, page, app, make_user):
    page.goto(f"{live_server.url}/register")
    page.get_by_label("Namn", exact=True).fill("Olena Shevchenko")
    page.get_by_label("Födelseår").fill("1988")
    page.get_by_label("Familj med barn").check()
    page.get_by_label("E-postadress").fill("olena@example.org")
    page.get_by_label("Telefonnummer").fill("070-765 43 21")
    page.get_by_label("Datum då du flyttade hit").fill("2026-10-01")
    page.get_by_label("Område").select_option("Fors")
    page.get_by_label("Ukrainska").check()
    page.get_by_label("Engelska").check()
    page.get_by_label("Intressen").fill("stickning, vandring")
    page.get_by_label("Hur ser ditt liv ut nu?").fill("Jag bor i Fors med min son.")
    page.get_by_label("Jag har läst hur mina personuppgifter behandlas").check()
    page.get_by_role("button", name="Skicka anmälan").click()
    page.wait_for_url("**/register/thanks?via=email")
    assert "Vi har skickat ett e-postmeddelande" in page.locator("main").inner_text()

    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).one()
        link = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", mail.body_text).group(1)
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Bekräfta anmälan").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Anmälan är bekräftad"
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)

    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(coordinator.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live_server.url}/coordinator/")
    row = page.get_by_role("row").filter(has_text="Olena Shevchenko")
    assert "Väntar på värd" in row.inner_text()
    assert "Fors" in row.inner_text()
    row.get_by_role("link", name="Olena Shevchenko").click()
    assert "+46707654321" in page.locator("main").inner_text()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_interest_suggestions_complete_the_last_word(live_server, page):
    page.goto(f"{live_server.url}/register")
    field = page.get_by_label("Intressen")
    assert field.get_attribute("list") == "interest-suggestions"
    options = "Array.from(document.querySelectorAll('#interest-suggestions option'), o => o.value)"
    # the matcher's taxonomy, in Swedish
    assert {"Fiske", "Bowling", "Körsång"} <= set(page.evaluate(options))
    field.press_sequentially("Fiske, bowl")
    assert page.evaluate(options) == ["Fiske, Bowling"]
    field.fill("")
    field.press_sequentially("Fiske, ")
    after = page.evaluate(options)
    assert "Fiske, Bowling" in after and "Fiske, Fiske" not in after
    # in Arabic the suggestions are Arabic
    page.goto(f"{live_server.url}/register?lang=ar")
    assert "صيد السمك" in page.evaluate(options)


# The snippet the README gives the municipality's web editors, exactly as documented.
EMBED_SNIPPET = (
    (REPO_ROOT / "README.md")
    .read_text(encoding="utf-8")
    .split("<!-- embed-snippet -->\n```html\n")[1]
    .split("```\n<!-- /embed-snippet -->")[0]
)


@pytest.fixture
def embedder():
    """Another web site on this machine whose page frames the URL given as ``?src=``.

    A real server (not a routed response): Chromium treats routed pages as public and blocks
    them from framing a local server whatever the headers say, which would prove nothing.
    """
    from urllib.parse import parse_qs

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    def site(environ, start_response):
        query = parse_qs(Request(environ).query_string.decode())
        if "app" in query:  # the README's snippet, pointing at the app under test
            body = EMBED_SNIPPET.replace("https://avestavard.avesta.se", query["app"][0])
        else:
            body = f'<iframe src="{query.get("src", [""])[0]}"></iframe>'
        html = f'<!doctype html><html lang="sv"><title>Kommun</title><main>{body}</main>'
        return Response(html, mimetype="text/html")(environ, start_response)

    server = make_server("127.0.0.1", 0, site, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=5)


class TestFraming:
    # The municipality's site is "localhost:<port>"; the same server reached as 127.0.0.1 is
    # another origin, standing in for everyone else.
    @pytest.fixture
    def app_overrides(self, embedder):
        return {"FRAME_ANCESTORS": [f"http://localhost:{embedder}"]}

    def _embed(self, page, origin, target):
        page.goto(f"{origin}/?src={target}")
        page.wait_for_timeout(500)
        return page.frames[-1]

    def test_the_municipality_may_frame_the_form(self, live_server, page, embedder):
        frame = self._embed(page, f"http://localhost:{embedder}", f"{live_server.url}/register")
        frame.wait_for_selector("h1")
        assert frame.locator("h1").inner_text() == "Anmäl dig till AvestaVärd"

    def test_the_documented_snippet_frames_the_form_and_follows_its_height(
        self, live_server, page, embedder
    ):
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"http://localhost:{embedder}/?app={live_server.url}")
        iframe = page.locator("iframe[data-avestavard]")
        assert iframe.get_attribute("title") == "Anmälan till AvestaVärd"
        frame = page.frame_locator("iframe[data-avestavard]")
        assert frame.locator("h1").inner_text() == "Anmäl dig till AvestaVärd"

        def fits() -> bool:
            inner = frame.locator("body").evaluate("b => b.getBoundingClientRect().height")
            return abs(iframe.bounding_box()["height"] - inner) <= 2

        page.wait_for_function(
            "() => parseInt(document.querySelector('iframe').style.height) > 1400"
        )
        assert fits()  # the narrow form is taller than the snippet's starting height
        frame.get_by_role("button", name="Skicka anmälan").click()
        frame.locator("#error-summary").wait_for()
        page.wait_for_timeout(300)
        assert fits()  # and the frame grew with the error messages
        assert page.get_by_role("link", name="Öppna anmälan till AvestaVärd i ett eget fönster")

    def test_the_snippet_is_refused_elsewhere(self, live_server, page, embedder):
        page.goto(f"http://127.0.0.1:{embedder}/?app={live_server.url}")
        page.wait_for_timeout(500)
        assert page.frames[-1].url.startswith("chrome-error:")

    def test_other_sites_may_not(self, live_server, page, embedder):
        frame = self._embed(page, f"http://127.0.0.1:{embedder}", f"{live_server.url}/register")
        assert frame.url.startswith("chrome-error:")
        login = self._embed(page, f"http://localhost:{embedder}", f"{live_server.url}/login")
        assert login.url.startswith("chrome-error:")  # only the registration may be framed


def test_interview_form_and_host_profile_are_accessible(live_server, page, app, make_user):
    from avestavard.models import Host

    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(coordinator.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live_server.url}/coordinator/")
    page.get_by_role("link", name="Ny värd").click()
    page.get_by_label("Namn", exact=True).fill("Karin Berg")
    page.get_by_label("E-postadress").fill("karin@")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_selector("#error-summary")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.get_by_label("E-postadress").fill("karin@avesta.example")
    page.get_by_label("Svenska").check()
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url("**/coordinator/hosts/*")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Karin Berg")
    page.get_by_role("button", name="Logga ut").click()

    host_user = make_user("host", email="karin.login@avesta.example")
    with app.app_context():
        host = db.session.scalar(select(Host))
        host.user_id = host_user.id
        db.session.commit()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(host_user.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.goto(f"{live_server.url}/host/profile")
    assert page.get_by_role("heading", level=1).inner_text() == "Min profil"
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.get_by_role("link", name="Ändra min profil").click()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
