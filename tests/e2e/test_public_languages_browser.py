"""The public pages' languages: Persian and Arabic right to left with phone numbers and dates
still left to right; the language chosen once is remembered. (Every public page in every
language is checked for reflow and with axe-core in ``test_every_page_browser``.) The pages do
not depend on the database, so this runs on SQLite only."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Newcomer, OutboxMessage, utcnow
from avestavard.services.audit import SystemActor
from avestavard.services.matches import MatchSettings, answer_token, approve_match
from avestavard.services.my_registration import MyRegistrationSettings, link_token
from tests.integration.matches_support import add_host, add_newcomer, open_proposal, recompute
from tests.integration.test_profiles_register import post_registration

CONFIRM = re.compile(r"https?://[^/\s]+(/register/confirm/\S+?)\?lang=")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("AVESTAVARD_TEST_DB", "sqlite") != "sqlite",
        reason="rendering only: the SQLite run covers it",
    ),
]

LANGUAGES = {
    "sv": "ltr",
    "en": "ltr",
    "ar": "rtl",
    "so": "ltr",
    "fa": "rtl",
    "ti": "ltr",
    "uk": "ltr",
}
WIDTHS = (390, 1280)
AXE_AT_1280 = {"sv"}

# The first and last character of each text, left and right on screen.
TEXT_GOES_LEFT_TO_RIGHT = """
(element) => {
  const text = element.firstChild;
  const range = document.createRange();
  range.setStart(text, 0); range.setEnd(text, 1);
  const first = range.getBoundingClientRect().left;
  range.setStart(text, text.length - 1); range.setEnd(text, text.length);
  return first < range.getBoundingClientRect().left;
}
"""


def public_paths(app) -> list[str]:
    newcomer_id = add_newcomer(app, email="amira@example.org", phone="+46709876543")
    host_id = add_host(app)
    recompute(app)
    match_settings = MatchSettings.from_config(app.config)
    with app.app_context():
        match = approve_match(
            db.session,
            SystemActor("test"),
            open_proposal(app, newcomer_id, host_id),
            now=utcnow(),
            settings=match_settings,
        )
        db.session.commit()
        answer = answer_token(match_settings, match, "decline")
        newcomer = db.session.get(Newcomer, newcomer_id)
        token = link_token(newcomer, MyRegistrationSettings.from_config(app.config))
    client = app.test_client()
    assert post_registration(client).status_code == 302
    with app.app_context():
        mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        confirm = CONFIRM.search(mails[-1].body_text).group(1)
    return [
        "/",
        "/register",
        "/register/thanks",
        confirm,
        f"/matchning/svar/{answer}",
        "/min-anmalan",
        "/min-anmalan/skickat",
        f"/min-anmalan/{token}",
        f"/min-anmalan/{token}/andra",
        f"/min-anmalan/{token}/avsluta",
        "/min-anmalan/not-a-token",
        "/tillganglighet",
        "/integritet",
    ]


@pytest.mark.parametrize("lang", ["fa", "ar"])
def test_right_to_left_keeps_numbers_in_order(live_server, page, app, lang):
    paths = public_paths(app)
    my_page = next(p for p in paths if re.fullmatch(r"/min-anmalan/e[^/]+", p))
    for path, text in [
        ("/integritet", app.config["CONTACT_PHONE"]),
        ("/tillganglighet", app.config["ACCESSIBILITY_REVIEWED"]),
        (my_page, "+46709876543"),
    ]:
        page.goto(f"{live_server.url}{path}?lang={lang}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        number = page.locator("bdi", has_text=text).first
        assert number.evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert number.evaluate(TEXT_GOES_LEFT_TO_RIGHT), f"{text} reversed on {path}"
        # and the page text itself runs right to left
        heading = page.get_by_role("heading", level=1)
        assert heading.evaluate("e => getComputedStyle(e).direction") == "rtl"


def test_language_chosen_once_is_remembered(live_server, browser):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{live_server.url}/?lang=so")
    page.get_by_role("link", name="Soomaali").first.wait_for()
    # a new visit weeks later: the session is gone, the choice is not
    context.clear_cookies(name="session")
    page.goto(f"{live_server.url}/register")
    assert page.locator("html").get_attribute("lang") == "so"
    assert page.get_by_label("Luqadda iimaylka iyo warqadaha").input_value() == "so"
    page.get_by_role("link", name="Українська").click()
    page.goto(f"{live_server.url}/integritet")
    assert page.locator("html").get_attribute("lang") == "uk"
    context.close()
