"""Host sign-in by an emailed link: the same answer for any address, a link that works once
and for 15 minutes, and coordinators resending it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.models import AuditEvent, OutboxMessage, utcnow
from avestavard.services import sign_in
from tests.conftest import csrf_token_from
from tests.integration.matches_support import add_host

LINK = re.compile(r"https?://\S+/login/link/([A-Za-z0-9_\-]+)")


def _links(app) -> list[str]:
    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxMessage.body_text).order_by(OutboxMessage.id)
        ).all()
    return [m.group(1) for body in bodies for m in LINK.finditer(body)]


def _ask(client, email: str) -> str:
    token = csrf_token_from(client.get("/login/link").get_data(as_text=True))
    response = client.post("/login/link", data={"csrf_token": token, "email": email})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_link_signs_a_host_in_once(app, client, make_user):
    make_user("host", email="karin.berg@avesta.example")
    known = _ask(client, "Karin.Berg@avesta.example")
    unknown = _ask(client, "nobody@avesta.example")
    assert "Titta i din e-post" in known and "Titta i din e-post" in unknown
    [key] = _links(app)  # only the known host got a mail
    page = client.get(f"/login/link/{key}")
    assert page.status_code == 200  # opening it spends nothing
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(f"/login/link/{key}", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/host/")
    assert client.get("/host/").status_code == 200
    other = app.test_client()
    again = other.get(f"/login/link/{key}")
    assert again.status_code == 410 and "Be om en ny länk" in again.get_data(as_text=True)


def test_a_link_expires_after_15_minutes_and_coordinators_cannot_use_it(app, make_user):
    make_user("host", email="karin.berg@avesta.example")
    make_user("coordinator", email="samordnare@avesta.example")
    now = utcnow()
    with app.app_context():
        sign_in.request_sign_in_link(
            db.session, "samordnare@avesta.example", now=now, base_url="http://x"
        )
        sign_in.request_sign_in_link(
            db.session, "karin.berg@avesta.example", now=now, base_url="http://x"
        )
        db.session.commit()
    [key] = _links(app)  # a coordinator's account gets no link
    with app.app_context():
        with pytest.raises(ValidationFailed):
            sign_in.use_sign_in_link(db.session, key, now=now + timedelta(minutes=15))
        assert sign_in.use_sign_in_link(db.session, key, now=now + timedelta(minutes=14))


def test_coordinator_resends_a_hosts_link(app, coordinator_client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    page = coordinator_client.get(f"/coordinator/hosts/{host}").get_data(as_text=True)
    assert "Skicka en inloggningslänk" in page
    response = coordinator_client.post(
        f"/coordinator/hosts/{host}/sign-in-link", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert len(_links(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign-in-link-sent"))
    without_account = add_host(app, "Lars Holm", email="lars@avesta.example")
    refused = coordinator_client.post(
        f"/coordinator/hosts/{without_account}/sign-in-link",
        data={"csrf_token": csrf_token_from(page)},
    )
    assert refused.status_code == 409
