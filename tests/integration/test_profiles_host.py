"""A host's own profile: only their own, editable, and a pause until a date."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import AuditEvent, Host, HostStatus
from avestavard.services.profiles import resume_due_hosts
from tests.conftest import csrf_token_from, login


def make_host(app: Any, user_id: int | None, **values: Any) -> int:
    with app.app_context():
        fields = {
            "name": "Karin Berg",
            "phone": "+46706123100",
            "area": "Krylbo",
            "languages": ["sv"],
            "interests_raw": ["fiske"],
            "past": "Uppvuxen i Krylbo.",
            "capacity": 1,
            **values,
        }
        host = Host(user_id=user_id, **fields)
        db.session.add(host)
        db.session.commit()
        return host.id


def test_host_sees_and_edits_only_their_own_profile(app, client, make_user):
    karin = make_user("host", email="karin@avesta.example")
    other = make_user("host", email="erik@avesta.example")
    karin_id = make_host(app, karin.id)
    erik_id = make_host(app, other.id, name="Erik Secret", past="Hemlig text om Erik.")
    login(client, karin.email)

    page = unescape(client.get("/host/profile").get_data(as_text=True))
    assert "Karin Berg" in page and "Uppvuxen i Krylbo." in page
    assert "Erik Secret" not in page and "Hemlig text om Erik." not in page
    # there is no way to ask for someone else's profile
    assert client.get(f"/host/profile?host_id={erik_id}").get_data(as_text=True).count("Erik") == 0
    # Coordinators' pages: refused, and a page about one person does not even exist for a host.
    assert client.get("/coordinator/").status_code == 403
    assert client.get(f"/coordinator/hosts/{erik_id}").status_code == 404

    edit = client.get("/host/profile/edit")
    token = csrf_token_from(edit.get_data(as_text=True))
    response = client.post(
        "/host/profile/edit",
        data={
            "csrf_token": token,
            "phone": "070-999 88 77",
            "area": "Fors",
            "household": "family",
            "languages": ["sv", "en"],
            "preferred_language": "en",
            "interests": "fiske, svampplockning",
            "past": "Uppvuxen i Krylbo.",
            "present": "Bor i Fors nu.",
            "future": "",
            "thoughts": "",
            "capacity": "2",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        host = db.session.get(Host, karin_id)
        assert (host.phone, host.area, host.capacity) == ("+46709998877", "Fors", 2)
        assert host.interests_raw == ["fiske", "svampplockning"]
        assert host.name == "Karin Berg"  # not editable by the host
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.subject_type == "host", AuditEvent.subject_id == karin_id
            )
        ).all()
        assert actions == ["view", "view", "view", "update"]


def test_host_edit_errors_are_shown(app, client, make_user):
    karin = make_user("host")
    make_host(app, karin.id)
    login(client, karin.email)
    token = csrf_token_from(client.get("/host/profile/edit").get_data(as_text=True))
    response = client.post(
        "/host/profile/edit",
        data={"csrf_token": token, "phone": "abc", "capacity": "-1", "present": "Kvar här"},
    )
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    errors = dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]+)</p>', html))
    assert errors["phone"].startswith("Skriv ett giltigt telefonnummer")
    assert errors["capacity"] == "Antalet ska vara mellan 0 och 20."
    assert "Kvar här" in html


def test_host_pauses_and_resumes(app, client, make_user):
    karin = make_user("host")
    host_id = make_host(app, karin.id)
    login(client, karin.email)
    token = csrf_token_from(client.get("/host/profile").get_data(as_text=True))

    past = client.post(
        "/host/profile/pause",
        data={"csrf_token": token, "until": date.today().isoformat()},
    )
    assert past.status_code == 400
    assert "Välj ett datum efter i dag." in unescape(past.get_data(as_text=True))

    until = date.today() + timedelta(days=30)
    ok = client.post("/host/profile/pause", data={"csrf_token": token, "until": until.isoformat()})
    assert ok.status_code == 302
    page = unescape(client.get("/host/profile").get_data(as_text=True))
    assert f"Du är pausad till och med {until.isoformat()}." in page
    assert "Pausad" in page
    with app.app_context():
        host = db.session.get(Host, host_id)
        assert (host.status, host.paused_until) == (HostStatus.PAUSED, until)

    token = csrf_token_from(page)
    client.post("/host/profile/resume", data={"csrf_token": token})
    with app.app_context():
        host = db.session.get(Host, host_id)
        assert (host.status, host.paused_until) == (HostStatus.ACTIVE, None)


def test_pauses_end_by_themselves(app):
    make_host(app, None, status=HostStatus.PAUSED, paused_until=date(2026, 5, 1))
    make_host(app, None, name="Later", status=HostStatus.PAUSED, paused_until=date(2026, 9, 1))
    with app.app_context():
        assert resume_due_hosts(db.session, date(2026, 5, 1)) == 1
        db.session.commit()
        assert resume_due_hosts(db.session, date(2026, 5, 1)) == 0
        statuses = dict(db.session.execute(select(Host.name, Host.status)).all())
        assert statuses == {"Karin Berg": HostStatus.ACTIVE, "Later": HostStatus.PAUSED}


def test_host_account_without_profile(app, client, make_user):
    lonely = make_user("host")
    login(client, lonely.email)
    response = client.get("/host/profile")
    assert response.status_code == 404
    assert "Ditt konto är ännu inte kopplat till en värdprofil." in unescape(
        response.get_data(as_text=True)
    )


def test_coordinators_cannot_use_host_pages(coordinator_client):
    assert coordinator_client.get("/host/profile").status_code == 403
