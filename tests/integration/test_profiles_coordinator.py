"""Coordinators' profile pages: host interviews, newcomer edits, host logins, the register
extract (GDPR) and erasure, each audit-logged."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from sqlalchemy import func, select

from avestavard.extensions import db
from avestavard.models import (
    AuditEvent,
    Host,
    HostStatus,
    Newcomer,
    NewcomerStatus,
    OutboxMessage,
    Role,
    User,
)
from avestavard.services.mail import queue_mail
from tests.conftest import csrf_token_from, login

INTERVIEW = {
    "interviewer": "Kerstin Lind",
    "interviewed_on": "2026-10-12",
    "name": "Karin Berg",
    "email": " Karin.Berg@Avesta.example ",
    "phone": "070-612 31 00",
    "birth_year": "1964",
    "area": "Krylbo",
    "household": "couple",
    "preferred_language": "sv",
    "languages": ["sv", "fi"],
    "interests": "Fiske, körsång, Padel",
    "past": "Uppvuxen i Krylbo, arbetat på bruket.",
    "present": "Pensionär, sjunger i kör.",
    "future": "Vill visa nya Avestabor Dalälven.",
    "thoughts": "En gång i månaden passar bra.",
    "capacity": "2",
    "status": "active",
    "paused_until": "",
}


def form_post(client: Any, url: str, data: dict[str, Any]) -> Any:
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def audit(app: Any, subject_type: str, subject_id: int | None = None) -> list[tuple[str, str]]:
    with app.app_context():
        stmt = select(AuditEvent.actor_label, AuditEvent.action).where(
            AuditEvent.subject_type == subject_type
        )
        if subject_id is not None:
            stmt = stmt.where(AuditEvent.subject_id == subject_id)
        return [tuple(row) for row in db.session.execute(stmt.order_by(AuditEvent.id))]


def make_newcomer(app: Any, **values: Any) -> int:
    with app.app_context():
        newcomer = Newcomer(
            name=values.pop("name", "Yusuf Ali"),
            email=values.pop("email", "yusuf@example.org"),
            status=values.pop("status", NewcomerStatus.UNCONFIRMED),
            **values,
        )
        db.session.add(newcomer)
        db.session.commit()
        return newcomer.id


def test_coordinator_records_a_host_interview(coordinator_client, app):
    page = coordinator_client.get("/coordinator/hosts/new")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert 'value="Sam' not in html  # the interviewer defaults to the coordinator's name/email
    assert "samordnare@avesta.example" in html

    response = form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    assert response.status_code == 302
    with app.app_context():
        host = db.session.scalars(select(Host)).one()
        assert host.email == "karin.berg@avesta.example"
        assert host.phone == "+46706123100"
        assert host.languages == ["fi", "sv"]
        assert host.capacity == 2
        assert host.interviewer == "Kerstin Lind"
        assert host.interviewed_on.isoformat() == "2026-10-12"
        # original words kept, canonical interests linked by the matcher's normaliser
        assert host.interests_raw == ["Fiske", "körsång", "Padel"]
        links = {link.interest.slug: link.raw for link in host.interests}
        assert links == {"fishing": "Fiske", "choir": "körsång", "padel": "Padel"}
        assert {link.interest.label_en for link in host.interests} >= {"Fishing"}
        host_id = host.id
    assert response.headers["Location"].endswith(f"/coordinator/hosts/{host_id}")

    detail = unescape(
        coordinator_client.get(f"/coordinator/hosts/{host_id}").get_data(as_text=True)
    )
    assert "Karin Berg" in detail and "+46706123100" in detail
    assert "Fiske, körsång, Padel" in detail
    assert "Finska, Svenska" in detail or "Svenska, Finska" in detail
    assert audit(app, "host", host_id) == [
        ("samordnare@avesta.example", "create"),
        ("samordnare@avesta.example", "view"),
    ]
    # the overview links to the profile
    overview = coordinator_client.get("/coordinator/").get_data(as_text=True)
    assert f'href="/coordinator/hosts/{host_id}"' in overview


def test_interview_errors_keep_values(coordinator_client, app):
    response = form_post(
        coordinator_client,
        "/coordinator/hosts/new",
        {**INTERVIEW, "email": "karin@", "capacity": "40", "paused_until": "2027-01-01"},
    )
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    errors = dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]+)</p>', html))
    assert errors["email"].startswith("Skriv en giltig e-postadress")
    assert errors["capacity"] == "Antalet ska vara mellan 0 och 20."
    assert errors["paused_until"] == "Ett datum gäller bara när status är Pausad."
    assert "Uppvuxen i Krylbo, arbetat på bruket." in html
    with app.app_context():
        assert db.session.scalars(select(Host)).all() == []


def test_duplicate_host_email_is_shown_at_the_field(coordinator_client, app):
    form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    again = form_post(coordinator_client, "/coordinator/hosts/new", {**INTERVIEW, "name": "K B"})
    assert again.status_code == 400
    assert "Det finns redan en värd med den e-postadressen." in unescape(
        again.get_data(as_text=True)
    )


def test_coordinator_edits_a_host_and_pauses_them(coordinator_client, app):
    form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    with app.app_context():
        host_id = db.session.scalars(select(Host.id)).one()
    edit_url = f"/coordinator/hosts/{host_id}/edit"
    page = unescape(coordinator_client.get(edit_url).get_data(as_text=True))
    assert re.search(r"<textarea[^>]*id=\"interests\"[^>]*>\s*Fiske, körsång, Padel<", page)
    changed = {**INTERVIEW, "status": "paused", "paused_until": "2027-02-01", "capacity": "1"}
    assert form_post(coordinator_client, edit_url, changed).status_code == 302
    with app.app_context():
        host = db.session.get(Host, host_id)
        assert host.status == HostStatus.PAUSED
        assert host.paused_until.isoformat() == "2027-02-01"
        assert host.capacity == 1
    actions = [action for _, action in audit(app, "host", host_id)]
    assert actions == ["create", "view", "view", "update"]


LINK = re.compile(r"https?://[^/\s\"<]+(/password/[A-Za-z0-9_.\-]+)")
HOST_PASSWORD = "en lång mening som lösenord"


def link_path(text: str) -> str:
    """The path of the set-password link in a page or an email."""
    match = LINK.search(text)
    assert match, "no set-password link"
    return match.group(1)


def give_login(client: Any, host_id: int, email: str) -> Any:
    """Press "Skapa inloggning" on the host's page, as a coordinator would."""
    page = client.get(f"/coordinator/hosts/{host_id}").get_data(as_text=True)
    return client.post(
        f"/coordinator/hosts/{host_id}/account",
        data={"email": email, "csrf_token": csrf_token_from(page)},
    )


def test_coordinator_gives_a_host_a_login_link_not_a_password(coordinator_client, app):
    form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    with app.app_context():
        host_id = db.session.scalars(select(Host.id)).one()
    detail_url = f"/coordinator/hosts/{host_id}"
    detail = unescape(coordinator_client.get(detail_url).get_data(as_text=True))
    assert 'type="password"' not in detail  # the coordinator never types the host's password
    assert 'value="karin.berg@avesta.example"' in detail  # the host's address is suggested

    wrong = give_login(coordinator_client, host_id, "karin@")
    assert wrong.status_code == 400
    assert 'id="email-error">Skriv en giltig e-postadress' in unescape(wrong.get_data(as_text=True))

    answer = give_login(coordinator_client, host_id, "karin.berg@avesta.example")
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert "Inloggningen är skapad" in page
    assert "Länken visas bara nu" in page
    assert "Den har skickats med e-post till karin.berg@avesta.example" in page
    path = link_path(page)
    with app.app_context():
        host = db.session.get(Host, host_id)
        assert host.user is not None
        assert (host.user.role, host.user.email) == (Role.HOST, "karin.berg@avesta.example")
        user_id = host.user.id
        [mail] = db.session.scalars(select(OutboxMessage)).all()
        assert mail.to_address == "karin.berg@avesta.example"
        assert mail.subject == "Ditt konto i AvestaVärd"
        assert link_path(mail.body_text) == path
    # Nobody knows the account's password until Karin chooses one.
    assert login(app.test_client(), "karin.berg@avesta.example").status_code == 401
    assert audit(app, "host", host_id)[-1] == ("samordnare@avesta.example", "create-account")
    assert audit(app, "user", user_id) == [("samordnare@avesta.example", "account-create")]

    # The link is not shown again: the host's page shows the login, not a new form.
    again = unescape(coordinator_client.get(detail_url).get_data(as_text=True))
    assert path not in again
    assert "Skapa inloggning" not in again
    assert "karin.berg@avesta.example" in again


def test_host_sets_a_password_through_the_link_and_sees_their_profile(
    coordinator_client, app, client
):
    # Karin prefers English: the email with the link is in English.
    form_post(
        coordinator_client, "/coordinator/hosts/new", {**INTERVIEW, "preferred_language": "en"}
    )
    with app.app_context():
        host_id = db.session.scalars(select(Host.id)).one()
    assert give_login(coordinator_client, host_id, "karin.berg@avesta.example").status_code == 200
    with app.app_context():
        [mail] = db.session.scalars(select(OutboxMessage)).all()
        assert mail.subject == "Your account in AvestaVärd"
        assert "Choose your password with the link below" in mail.body_text
        path = link_path(mail.body_text)

    karin = app.test_client()
    opened = karin.get(path)
    assert opened.status_code == 200
    assert "karin.berg@avesta.example" in unescape(opened.get_data(as_text=True))
    token = csrf_token_from(opened.get_data(as_text=True))
    done = karin.post(
        path,
        data={"password": HOST_PASSWORD, "password_again": HOST_PASSWORD, "csrf_token": token},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert login(karin, "karin.berg@avesta.example", HOST_PASSWORD).status_code == 302
    profile = karin.get("/host/profile")
    assert profile.status_code == 200
    html = unescape(profile.get_data(as_text=True))
    assert "Karin Berg" in html and "Uppvuxen i Krylbo, arbetat på bruket." in html
    # The link worked once.
    assert app.test_client().get(path).status_code == 410


def test_a_login_address_already_in_use_is_shown_at_the_field(coordinator_client, app, make_user):
    make_user("coordinator", email="upptagen@avesta.example")
    form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    with app.app_context():
        host_id = db.session.scalars(select(Host.id)).one()
    answer = give_login(coordinator_client, host_id, "Upptagen@avesta.example")
    assert answer.status_code == 400
    html = unescape(answer.get_data(as_text=True))
    assert 'id="email-error">Det finns redan ett konto med den e-postadressen.' in html
    assert 'value="Upptagen@avesta.example"' in html  # what was typed stays
    with app.app_context():
        assert db.session.get(Host, host_id).user_id is None
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_coordinator_edits_a_newcomer(coordinator_client, app):
    newcomer_id = make_newcomer(app, languages=["ti"])
    url = f"/coordinator/newcomers/{newcomer_id}/edit"
    page = unescape(coordinator_client.get(url).get_data(as_text=True))
    # a language outside the common list is still offered, and kept
    assert re.search(r'value="ti"[^>]*checked|checked[^>]*value="ti"', page)
    data = {
        "name": "Yusuf Ali",
        "email": "yusuf@example.org",
        "phone": "",
        "preferred_language": "ar",
        "moved_in": "2026-08-01",
        "area": "Fors",
        "street_address": "",
        "household": "single",
        "birth_year": "1999",
        "languages": ["ti", "en"],
        "interests": "fotboll, löpning",
        "past": "",
        "present": "",
        "future": "",
        "wishes": "",
        "status": "waiting",
    }
    assert form_post(coordinator_client, url, data).status_code == 302
    with app.app_context():
        newcomer = db.session.get(Newcomer, newcomer_id)
        assert newcomer.status == NewcomerStatus.WAITING
        assert newcomer.confirmed_at is not None
        assert newcomer.languages == ["en", "ti"]
        assert newcomer.interests_raw == ["fotboll", "löpning"]
    assert [a for _, a in audit(app, "newcomer", newcomer_id)] == ["view", "view", "update"]


def test_register_extract_is_a_json_download(coordinator_client, app):
    form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    with app.app_context():
        host_id = db.session.scalars(select(Host.id)).one()
    response = coordinator_client.get(f"/coordinator/hosts/{host_id}/extract.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    extract = json.loads(response.data)
    profile = extract["profile"]
    assert profile["name"] == "Karin Berg"
    assert profile["phone"] == "+46706123100"
    assert profile["languages"] == ["fi", "sv"]
    assert profile["interests_raw"] == ["Fiske", "körsång", "Padel"]
    assert extract["matches"] == []
    assert ("samordnare@avesta.example", "export") in audit(app, "host", host_id)

    newcomer_id = make_newcomer(app)
    data = json.loads(
        coordinator_client.get(f"/coordinator/newcomers/{newcomer_id}/extract.json").data
    )
    assert data["profile"]["email"] == "yusuf@example.org"
    assert [a for _, a in audit(app, "newcomer", newcomer_id)] == ["export"]


def test_erasing_a_newcomer_removes_profile_and_mail(coordinator_client, app):
    newcomer_id = make_newcomer(app)
    with app.app_context():
        queue_mail(db.session, key="x:1", to="yusuf@example.org", subject="Hej", text="Hej")
        queue_mail(db.session, key="x:2", to="other@example.org", subject="Hej", text="Hej")
        db.session.commit()
    url = f"/coordinator/newcomers/{newcomer_id}"
    # without ticking the box nothing happens
    token = csrf_token_from(coordinator_client.get(url).get_data(as_text=True))
    unticked = coordinator_client.post(f"{url}/erase", data={"csrf_token": token})
    assert unticked.status_code == 302
    with app.app_context():
        assert db.session.get(Newcomer, newcomer_id) is not None
    erased = coordinator_client.post(f"{url}/erase", data={"csrf_token": token, "confirm": "y"})
    assert erased.status_code == 302
    with app.app_context():
        assert db.session.get(Newcomer, newcomer_id) is None
        assert [m.to_address for m in db.session.scalars(select(OutboxMessage))] == [
            "other@example.org"
        ]
    assert audit(app, "newcomer", newcomer_id)[-1] == ("samordnare@avesta.example", "erase")
    assert coordinator_client.get(url).status_code == 404


def test_erasing_a_host_removes_their_login(coordinator_client, app, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    form_post(coordinator_client, "/coordinator/hosts/new", INTERVIEW)
    with app.app_context():
        host = db.session.scalars(select(Host)).one()
        host.user_id = user.id
        db.session.commit()
        host_id = host.id
    url = f"/coordinator/hosts/{host_id}"
    token = csrf_token_from(coordinator_client.get(url).get_data(as_text=True))
    coordinator_client.post(f"{url}/erase", data={"csrf_token": token, "confirm": "y"})
    with app.app_context():
        assert db.session.get(Host, host_id) is None
        assert db.session.get(User, user.id) is None


def test_hosts_and_anonymous_cannot_see_coordinator_profiles(app, client, make_user):
    newcomer_id = make_newcomer(app)
    assert client.get(f"/coordinator/newcomers/{newcomer_id}").status_code == 302  # to log-in
    host = make_user("host")
    login(client, host.email)
    assert (
        client.get(f"/coordinator/newcomers/{newcomer_id}").status_code == 404
    )  # id routes reveal nothing to other roles
    assert (
        client.get(f"/coordinator/newcomers/{newcomer_id}/extract.json").status_code == 404
    )  # id routes reveal nothing to other roles
    assert audit(app, "newcomer", newcomer_id) == []


def test_extract_and_erasure_cover_matches(coordinator_client, app, runner):
    from avestavard.models.matches import Match
    from tests.paths import TEST_DATA

    result = runner.invoke(
        args=["import-legacy", str(TEST_DATA / "legacy" / "avestavardar.xlsx"), "--json"]
    )
    assert json.loads(result.output)["matches"]["created"] == 5
    with app.app_context():
        amanda = db.session.scalar(select(Host).where(Host.email == "amanda.lundberg@avesta.se"))
        martin = db.session.scalar(
            select(Newcomer).where(Newcomer.email == "martin.karlsson@gmail.com")
        )
        assert martin.status == NewcomerStatus.MATCHED
        martin_id, amanda_id = martin.id, amanda.id
    extract = json.loads(
        coordinator_client.get(f"/coordinator/hosts/{amanda_id}/extract.json").data
    )
    assert [m["other_party"] for m in extract["matches"]] == ["nyinflyttad"]
    assert "martin.karlsson@gmail.com" not in json.dumps(extract)  # the other party: a role

    url = f"/coordinator/hosts/{amanda_id}"
    token = csrf_token_from(coordinator_client.get(url).get_data(as_text=True))
    coordinator_client.post(f"{url}/erase", data={"csrf_token": token, "confirm": "y"})
    with app.app_context():
        assert db.session.get(Host, amanda_id) is None
        assert db.session.scalars(select(Match).where(Match.host_id == amanda_id)).all() == []
        martin = db.session.get(Newcomer, martin_id)  # the other party stays, and waits again
        assert martin.status == NewcomerStatus.WAITING
        assert db.session.scalar(select(func.count()).select_from(Match)) == 4
