""" "Min anmälan" in Chromium, the way Fatima uses it: register, confirm and open her page from
the mails that reach a real SMTP server, add an interest (the coordinator sees it and the next
proposal uses it), pause, resume and withdraw (gone from every table and from the search), and
ask for her link again (the same answer as for an unknown address)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from avestavard.extensions import db
from avestavard.models import Base
from tests.conftest import PASSWORD, axe_violations, format_violations
from tests.integration.matches_support import add_host, body_text, deliver

pytestmark = pytest.mark.browser

CONFIRM = re.compile(r"https?://\S+(/register/confirm/\S+)")
MY_LINK = re.compile(r"https?://\S+(/min-anmalan/[A-Za-z0-9._\-]+\?lang=\w+)")


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def newest_mail(app, smtp, count: int) -> str:
    deliver(app, smtp)
    messages = smtp.wait_for(count)
    assert len(messages) == count
    return body_text(messages[-1])


def test_newcomer_follows_changes_pauses_and_withdraws(
    live_server, page, browser, app, smtp_server, make_user
):
    add_host(app, "Karin Berg", interests=("fiske",), area="Krylbo")
    add_host(app, "Britt Ek", email="britt@avesta.example", interests=("stickning",), area="Krylbo")
    url = live_server.url

    page.goto(f"{url}/register")
    page.get_by_label("Namn", exact=True).fill("Fatima Rahimi")
    page.get_by_label("Ensam").check()
    page.get_by_label("E-postadress").fill("fatima@example.org")
    page.get_by_label("Område").select_option("Krylbo")
    page.get_by_label("Svenska").check()
    page.get_by_label("Intressen").fill("fiske")
    page.get_by_label("Jag har läst hur mina personuppgifter behandlas").check()
    page.get_by_role("button", name="Skicka anmälan").click()
    page.wait_for_url("**/register/thanks?via=email")

    mail = newest_mail(app, smtp_server, 1)
    page.goto(url + CONFIRM.search(mail).group(1))
    page.get_by_role("button", name="Bekräfta anmälan").click()
    page.goto(url + MY_LINK.search(mail).group(1))  # the confirmation mail's link to her page
    assert page.get_by_role("heading", level=1).inner_text() == "Min anmälan"
    assert page.locator("#standing").get_attribute("data-step") == "looking"
    assert page.locator('[aria-current="step"]').inner_text() == "Vi letar efter en värd"
    assert_accessible(page)
    my_page = page.url

    page.get_by_role("link", name="Ändra mina svar").click()
    assert page.get_by_label("Intressen").input_value() == "fiske"
    assert_accessible(page)
    page.get_by_label("Intressen").fill("stickning")  # she knits rather than fishes now
    page.get_by_role("button", name="Spara ändringarna").click()
    assert "Dina ändringar är sparade" in page.locator(".flashes").inner_text()
    assert page.locator("#own-interests").inner_text() == "stickning"

    # the coordinator sees the change, and the next proposal uses it
    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    office = browser.new_context(locale="sv-SE").new_page()
    office.goto(f"{url}/login")
    office.get_by_label("E-postadress").fill(coordinator.email)
    office.get_by_label("Lösenord").fill(PASSWORD)
    office.get_by_role("button", name="Logga in").click()
    office.goto(f"{url}/coordinator/?q=Fatima")
    office.get_by_role("link", name="Fatima Rahimi").click()
    assert "stickning" in office.locator("main").inner_text()
    assert office.locator("#self-updated").inner_text() != "–"
    office.goto(f"{url}/coordinator/to-match")
    office.get_by_role("button", name="Beräkna förslag igen").click()
    section = office.locator("section.to-match").filter(has_text="Fatima Rahimi")
    assert "Föreslagen värd: Britt Ek" in section.inner_text()

    # pause: no proposals, and the lists say so
    page.goto(my_page)
    page.get_by_role("button", name="Pausa – inte nu").click()
    assert page.locator("#standing").get_attribute("data-step") == "paused"
    office.goto(f"{url}/coordinator/to-match")
    office.get_by_role("button", name="Beräkna förslag igen").click()
    assert "Fatima Rahimi" not in office.locator("main").inner_text()
    office.goto(f"{url}/coordinator/?q=Fatima")
    assert "Pausad" in office.get_by_role("row").filter(has_text="Fatima").inner_text()

    page.get_by_role("button", name="Fortsätt – leta efter en värd").click()
    assert page.locator("#standing").get_attribute("data-step") == "looking"
    assert_accessible(page)

    # "send me my link": the same answer for her address and for an unknown one
    page.goto(f"{url}/min-anmalan")
    assert_accessible(page)
    page.get_by_label("E-postadress eller mobilnummer").fill("fatima@example.org")
    page.get_by_role("button", name="Skicka min länk").click()
    known = page.locator("main").inner_text()
    page.goto(f"{url}/min-anmalan")
    page.get_by_label("E-postadress eller mobilnummer").fill("someone.else@example.org")
    page.get_by_role("button", name="Skicka min länk").click()
    assert page.locator("main").inner_text() == known
    newest_mail(app, smtp_server, 3)
    to_her, to_unknown = smtp_server.messages[1:]
    assert to_her["To"] == "fatima@example.org" and MY_LINK.search(body_text(to_her))
    assert "ingen anmälan" in body_text(to_unknown)

    # withdraw with one confirmation: everything about her is gone
    page.goto(my_page)
    page.get_by_role("link", name="Avsluta min anmälan").click()
    assert_accessible(page)
    page.get_by_role("button", name="Ja, radera allt om mig").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Din anmälan är raderad"
    page.goto(my_page)
    assert page.get_by_role("heading", level=1).inner_text() == "Länken fungerar inte"
    office.goto(f"{url}/coordinator/?q=Fatima")
    assert "Fatima" in office.get_by_role("searchbox").input_value()
    assert "Fatima Rahimi" not in office.locator("main").inner_text()
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)).all():
                assert "Fatima" not in str(row) and "fatima@" not in str(row), table.name
    office.context.close()
