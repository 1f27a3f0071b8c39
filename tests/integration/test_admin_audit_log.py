"""The audit log page: coordinators and administrators see who viewed or changed a person,
filtered by person (found by name, email or phone), actor, action and date, page by page; the
people by name while they exist, "raderad person" after, and never another field value."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import AuditEvent, Host, Newcomer, NewcomerStatus
from avestavard.models.matches import Match
from tests.conftest import login

ROW = re.compile(r"<tr>\s*<td><time datetime=\"([^\"]+)\">")


def text_of(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def plain(html: str) -> str:
    """The text of a page, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def rows(html: str) -> list[str]:
    """The events' timestamps, in the order the table shows them."""
    return ROW.findall(html)


def make_people(app: Any) -> dict[str, int]:
    with app.app_context():
        host = Host(name="Karin Berg", phone="+46706123100", past="Uppvuxen i Krylbo")
        other = Host(name="Per Persson", phone="+46706999999")
        newcomer = Newcomer(
            name="Yusuf Ali", email="yusuf@example.org", status=NewcomerStatus.WAITING
        )
        db.session.add_all([host, other, newcomer])
        db.session.flush()
        match = Match(host_id=host.id, newcomer_id=newcomer.id)
        db.session.add(match)
        db.session.commit()
        return {"host": host.id, "other": other.id, "newcomer": newcomer.id, "match": match.id}


def add_event(
    app: Any,
    at: datetime,
    action: str,
    subject: str = "",
    subject_id: int | None = None,
    actor_id: int | None = None,
    label: str = "system",
) -> None:
    with app.app_context():
        db.session.add(
            AuditEvent(
                at=at,
                action=action,
                subject_type=subject,
                subject_id=subject_id,
                actor_id=actor_id,
                actor_label=label,
            )
        )
        db.session.commit()


def test_a_coordinator_answers_who_has_looked_at_a_person(app, coordinator_client, make_user):
    ids = make_people(app)
    # A second coordinator opens Karin's profile; the first one opens someone else.
    colleague = make_user("coordinator", email="kollega@avesta.example")
    other_browser = app.test_client()
    login(other_browser, colleague.email)
    assert other_browser.get(f"/coordinator/hosts/{ids['host']}").status_code == 200
    assert coordinator_client.get(f"/coordinator/hosts/{ids['other']}").status_code == 200
    add_event(app, datetime.now(UTC), "view", "match", ids["match"], colleague.id, colleague.email)

    answer = coordinator_client.get(f"/admin/audit?host={ids['host']}")
    page = text_of(answer)
    assert answer.status_code == 200
    assert "Logg: Karin Berg (värd)" in plain(page)
    table = page[page.index("<table") : page.index("</table>")]
    assert len(rows(table)) == 2  # her profile viewed, and her match viewed
    assert table.count("kollega@avesta.example") == 2
    assert "Visade" in table
    assert "Karin Berg – Yusuf Ali (matchning)" in plain(table)
    assert "samordnare@avesta.example" not in table  # the other coordinator never looked
    # The log holds no field values: only names are read, from the records, to show them.
    for value in ("+46706123100", "Krylbo", "yusuf@example.org"):
        assert value not in page
    assert f'href="/coordinator/hosts/{ids["host"]}"' in page  # the way back to her page

    # Reading the log about her is itself logged on her.
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None
        assert (last.actor_label, last.action, last.subject_type, last.subject_id) == (
            "samordnare@avesta.example",
            "view-audit-log",
            "host",
            ids["host"],
        )


def test_a_newcomers_log_includes_their_matches(app, coordinator_client):
    ids = make_people(app)
    now = datetime.now(UTC)
    add_event(app, now, "approve", "match", ids["match"])
    add_event(app, now, "update", "newcomer", ids["newcomer"])
    add_event(app, now, "update", "newcomer", ids["newcomer"] + 1000)
    page = text_of(coordinator_client.get(f"/admin/audit?newcomer={ids['newcomer']}"))
    assert len(rows(page)) == 2


def test_filters_by_actor_action_and_local_dates(app, coordinator_client, make_user):
    kim = make_user("coordinator", email="kim@avesta.example")
    # 23:30 UTC on 10 March is 00:30 on 11 March in Avesta.
    late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    add_event(app, late, "view", "host", 1, kim.id, kim.email)
    add_event(app, late - timedelta(days=2), "update", "host", 1, kim.id, kim.email)
    add_event(app, late - timedelta(days=2), "register", "newcomer", 5)

    def shown(query: str) -> list[str]:
        answer = coordinator_client.get(f"/admin/audit?{query}")
        assert answer.status_code == 200
        return rows(text_of(answer))

    assert shown(f"actor={kim.id}") == [late.isoformat(), (late - timedelta(days=2)).isoformat()]
    assert shown("actor=system") == [(late - timedelta(days=2)).isoformat()]
    assert shown(f"actor={kim.id}&action=update") == [(late - timedelta(days=2)).isoformat()]
    assert shown("date_from=2026-03-11&date_to=2026-03-11") == [late.isoformat()]
    assert shown("date_to=2026-03-10&host=1") == [(late - timedelta(days=2)).isoformat()]
    # The filters stay filled in.
    page = text_of(coordinator_client.get(f"/admin/audit?actor={kim.id}&date_from=2026-03-11"))
    assert f'<option selected value="{kim.id}">kim@avesta.example</option>' in page
    assert 'value="2026-03-11"' in page


def test_long_logs_come_in_pages_that_keep_the_filter(app, coordinator_client):
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            AuditEvent(
                at=start + timedelta(minutes=i),
                action="view",
                subject_type="host",
                subject_id=7,
                actor_label="system",
            )
            for i in range(120)
        )
        db.session.add(
            AuditEvent(
                at=start, action="view", subject_type="host", subject_id=8, actor_label="system"
            )
        )
        db.session.commit()
    first = text_of(coordinator_client.get("/admin/audit?host=7"))
    assert 'Händelser <span class="count">(120)</span>' in first
    assert len(rows(first)) == 50
    assert rows(first)[0] == (start + timedelta(minutes=119)).isoformat()  # newest first
    assert "Sida 1 av 3" in first
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older is not None
    assert "host=7" in older.group(1)
    second = text_of(coordinator_client.get(unescape(older.group(1))))
    assert "Sida 2 av 3" in second
    # The two readings above are in host 7's log too (reading it is logged): 122 now.
    last = text_of(coordinator_client.get("/admin/audit?host=7&page=3"))
    assert len(rows(last)) == 22
    assert rows(last)[-1] == start.isoformat()
    assert 'rel="next"' not in last


def test_a_filter_that_cannot_be_read_is_explained_and_shows_nothing(app, coordinator_client):
    add_event(app, datetime.now(UTC), "view", "host", 1)
    answer = coordinator_client.get(
        "/admin/audit?person=Karin&date_from=2026-05-02&date_to=2026-05-01"
    )
    page = text_of(answer)
    assert answer.status_code == 400
    assert 'id="date_to-error">Slutdatumet ligger före startdatumet.' in page
    assert 'value="Karin"' in page
    assert rows(page) == []
    nobody = coordinator_client.get("/admin/audit?person=Zyxwvut")
    assert nobody.status_code == 400
    assert 'id="person-error">Ingen värd eller nyinflyttad hittades.' in text_of(nobody)
    assert rows(text_of(nobody)) == []


def test_coordinators_and_administrators_read_the_log_hosts_do_not(app, make_user):
    for role, status in (("admin", 200), ("coordinator", 200), ("host", 403)):
        user = make_user(role)
        client = app.test_client()
        login(client, user.email)
        assert client.get("/admin/audit?host=1").status_code == status
    anonymous = app.test_client().get("/admin/audit")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_person_is_found_by_name_email_or_phone_and_named_until_erased(app, coordinator_client):
    ids = make_people(app)
    assert coordinator_client.get(f"/coordinator/hosts/{ids['host']}").status_code == 200
    assert coordinator_client.get(f"/coordinator/hosts/{ids['other']}").status_code == 200
    for readings, typed in enumerate(("karin berg", "KARIN", "070-612 31 00")):
        page = text_of(coordinator_client.get("/admin/audit", query_string={"person": typed}))
        assert "Logg: Karin Berg (värd)" in plain(page), typed
        # Her profile viewed (not Per's), and the earlier readings of her log.
        assert len(rows(page)) == 1 + readings, typed
    # Two people fit: the reader chooses, and the choice keeps the other filters.
    with app.app_context():
        db.session.add(Host(name="Karin Ek"))
        db.session.commit()
    both = text_of(coordinator_client.get("/admin/audit?person=Karin&action=view"))
    choices = re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a>', both.split('id="person-choices"')[1].split("</ul>")[0]
    )
    assert sorted(name for _href, name in choices) == ["Karin Berg", "Karin Ek"]
    chosen = dict((name, href) for href, name in choices)["Karin Berg"]
    assert f"host={ids['host']}" in chosen and "action=view" in chosen
    assert rows(both) == []
    # After the erasure the log keeps the events and calls her "raderad person".
    token = re.search(
        r'name="csrf_token" value="([^"]+)"',
        coordinator_client.get(f"/coordinator/hosts/{ids['host']}").get_data(as_text=True),
    ).group(1)
    coordinator_client.post(
        f"/coordinator/hosts/{ids['host']}/erase", data={"csrf_token": token, "confirm": "y"}
    )
    page = text_of(coordinator_client.get(f"/admin/audit?host={ids['host']}"))
    assert "Logg: raderad person" in plain(page)
    assert "Karin Berg" not in page
    table = page[page.index("<table") : page.index("</table>")]
    assert "raderad person" in table and "Raderade" in table


def test_actions_by_label_in_english_and_the_person_filter(app, coordinator_client):
    ids = make_people(app)
    add_event(app, datetime.now(UTC), "notify-host", "match", ids["match"])
    page = text_of(coordinator_client.get(f"/admin/audit?newcomer={ids['newcomer']}&lang=en"))
    assert "Log: Yusuf Ali (newcomer)" in plain(page)
    assert "Asked the host" in page and "notify-host" not in page.split("<table", 1)[1]
    assert 'value="Yusuf' not in page  # the typed-name field is empty, the filter kept hidden
    assert f'<input type="hidden" name="newcomer" value="{ids["newcomer"]}">' in page
