"""Administrators' accounts: new accounts and forgotten passwords get a one-time set-password
link (shown once, and emailed), never a password; accounts are switched off and on; people
change their own password. Each step is audit-logged and guarded by role and CSRF."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import avestavard.auth.password  # noqa: F401  (registers /password/<token> until the app does)
from avestavard.errors import Conflict, ValidationFailed
from avestavard.extensions import db
from avestavard.models import AuditEvent, OutboxMessage, Role, User
from avestavard.services.accounts import (
    AccountSettings,
    check_password_link,
    create_account,
    create_password_reset,
    deactivate_account,
)
from tests.conftest import PASSWORD, csrf_token_from, login

NEW_PASSWORD = "en lång mening som lösenord"
LINK = re.compile(r"https?://[^/\s\"<]+(/password/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def admin(make_user: Any) -> Any:
    """The administrator who runs the accounts."""
    return make_user("admin", email="anna.admin@avesta.example", name="Anna Admin")


@pytest.fixture
def admin_client(client: Any, admin: Any) -> Any:
    """A client logged in as the administrator."""
    assert login(client, admin.email).status_code == 302
    return client


def form_post(client: Any, url: str, data: dict[str, Any], token_page: str | None = None) -> Any:
    """POST through the real form: the CSRF token comes from the page a person would use."""
    token = csrf_token_from(client.get(token_page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def text_of(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def link_path(html: str) -> str:
    match = LINK.search(html)
    assert match, "no set-password link on the page"
    return match.group(1)


def create(client: Any, **values: str) -> Any:
    data = {"name": "Eva Ek", "email": "eva.ek@avesta.example", "role": "coordinator", **values}
    return form_post(client, "/admin/users/new", data)


def user_by_email(app: Any, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        db.session.expunge(user)
        return user


def events(app: Any, subject_type: str = "user") -> list[tuple[str, str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.actor_label, AuditEvent.action, AuditEvent.subject_id)
            .where(AuditEvent.subject_type == subject_type)
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]


def set_password(client: Any, path: str, password: str, again: str | None = None) -> Any:
    return form_post(
        client, path, {"password": password, "password_again": password if again is None else again}
    )


# --------------------------------------------------------------------------- new accounts


def test_new_account_gets_a_link_not_a_password_and_the_owner_chooses_one(app, admin_client):
    form = text_of(admin_client.get("/admin/users/new"))
    assert 'type="password"' not in form  # the administrator never types a password

    answer = create(admin_client)
    page = text_of(answer)
    assert answer.status_code == 200
    assert "Kontot är skapat" in page
    assert "Länken visas bara nu" in page
    assert "Samma länk har också skickats med e-post till eva.ek@avesta.example" in page
    path = link_path(page)

    eva = user_by_email(app, "eva.ek@avesta.example")
    assert (eva.role, eva.name, eva.is_active_account) == (Role.COORDINATOR, "Eva Ek", True)
    # Until she chooses a password, nothing she could guess logs her in.
    visitor = app.test_client()
    assert login(visitor, "eva.ek@avesta.example", PASSWORD).status_code == 401

    # The same link went into the outbox, addressed to her.
    with app.app_context():
        [mail] = db.session.scalars(select(OutboxMessage)).all()
        assert mail.to_address == "eva.ek@avesta.example"
        assert mail.subject == "Ditt konto i AvestaVärd"
        assert link_path(mail.body_text) == path
        assert link_path(mail.body_html or "") == path

    # She opens the link (not logged in): too short, then two different passwords.
    opened = visitor.get(path)
    assert opened.status_code == 200
    assert "eva.ek@avesta.example" in text_of(opened)
    short = set_password(visitor, path, "kort")
    assert short.status_code == 400
    assert 'id="password-error">Lösenordet ska ha mellan 10 och 200 tecken.' in text_of(short)
    mismatch = set_password(visitor, path, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert mismatch.status_code == 400
    assert 'id="password_again-error">Lösenorden är inte likadana' in text_of(mismatch)

    done = set_password(visitor, path, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert login(visitor, "eva.ek@avesta.example", NEW_PASSWORD).status_code == 302

    # The link is dead now, for her and for anyone who saw it.
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "Länken fungerar inte" in text_of(again)
    assert events(app) == [
        ("anna.admin@avesta.example", "account-create", eva.id),
        ("eva.ek@avesta.example", "password-set", eva.id),
    ]


def test_the_emailed_link_arrives_over_smtp_and_works(app, admin_client, smtp_server):
    from avestavard.services.mail_sender import send_due_mail

    path = link_path(text_of(create(admin_client, email="Olle.Berg@Avesta.example")))
    with app.app_context():
        config = {**app.config, "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port}
        send_due_mail(db.session, datetime.now(UTC), config=config)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "olle.berg@avesta.example"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert link_path(text) == path
    assert "gäller i 72 timmar" in text
    visitor = app.test_client()
    assert set_password(visitor, path, NEW_PASSWORD).status_code == 302
    assert login(visitor, "olle.berg@avesta.example", NEW_PASSWORD).status_code == 302


def test_the_form_keeps_what_was_typed_and_explains_each_error(app, admin_client):
    answer = create(admin_client, name="", email="inte-en-adress", role="")
    page = text_of(answer)
    assert answer.status_code == 400
    assert 'id="name-error">Fyll i namnet.' in page
    assert 'id="email-error">Skriv en giltig e-postadress' in page
    assert 'id="role-error">Välj en roll.' in page
    assert 'value="inte-en-adress"' in page

    create(admin_client)
    duplicate = create(admin_client, name="Eva Andra", email=" EVA.EK@avesta.example ")
    page = text_of(duplicate)
    assert duplicate.status_code == 400
    assert 'id="email-error">Det finns redan ett konto med den e-postadressen.' in page
    assert 'value="Eva Andra"' in page
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 2  # the admin and the first Eva
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


# --------------------------------------------------------------------------- forgotten passwords


def test_reset_link_replaces_a_forgotten_password_once(app, admin_client, make_user):
    kim = make_user("coordinator", email="kim@avesta.example")
    token = csrf_token_from(admin_client.get("/admin/users").get_data(as_text=True))
    answer = admin_client.post(f"/admin/users/{kim.id}/password-link", data={"csrf_token": token})
    page = text_of(answer)
    assert answer.status_code == 200
    assert "Ny länk för att välja lösenord" in page
    path = link_path(page)
    with app.app_context():
        [mail] = db.session.scalars(select(OutboxMessage)).all()
        assert mail.subject == "Välj ett nytt lösenord i AvestaVärd"
        assert link_path(mail.body_text) == path

    visitor = app.test_client()
    assert set_password(visitor, path, NEW_PASSWORD).status_code == 302
    assert login(visitor, kim.email, PASSWORD).status_code == 401  # the old one is gone
    assert login(app.test_client(), kim.email, NEW_PASSWORD).status_code == 302
    # A used link refuses a POST too (the CSRF token comes from another page then).
    reused = form_post(
        app.test_client(),
        path,
        {"password": "ett helt annat lösenord", "password_again": "ett helt annat lösenord"},
        token_page="/login",
    )
    assert reused.status_code == 410
    assert ("anna.admin@avesta.example", "password-reset-link", kim.id) in events(app)


def test_a_link_stops_working_when_its_owner_logs_in_with_the_old_password(
    app, admin_client, make_user
):
    kim = make_user("coordinator", email="kim@avesta.example")
    token = csrf_token_from(admin_client.get("/admin/users").get_data(as_text=True))
    page = text_of(
        admin_client.post(f"/admin/users/{kim.id}/password-link", data={"csrf_token": token})
    )
    path = link_path(page)
    assert app.test_client().get(path).status_code == 200
    # Kim remembered the password after all: whoever else holds the link can no longer use it.
    assert login(app.test_client(), kim.email).status_code == 302
    assert app.test_client().get(path).status_code == 410


def test_links_expire_and_cannot_be_forged(app, admin):
    with app.app_context():
        actor = db.session.get(User, admin.id)
        settings = AccountSettings.from_config(app.config)
        now = datetime.now(UTC)
        link = create_account(
            db.session,
            actor,
            email="ny@avesta.example",
            role=Role.COORDINATOR,
            name="Ny Person",
            now=now,
            settings=settings,
        )
        db.session.commit()
        token = link.url.rsplit("/", 1)[1]
        assert link.expires_at == now + timedelta(hours=72)
        later = now + timedelta(hours=71)
        assert check_password_link(db.session, token, now=later, settings=settings).id == (
            link.user.id
        )
        with pytest.raises(ValidationFailed):
            check_password_link(db.session, token, now=now + timedelta(hours=73), settings=settings)
        other_key = AccountSettings("another-secret", settings.public_base_url)
        forged = other_key.serializer().dumps({"u": link.user.id, "f": "0" * 32})
        with pytest.raises(ValidationFailed):
            check_password_link(db.session, forged, now=now, settings=settings)
    client = app.test_client()
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/password/{tampered}").status_code == 410
    assert client.get("/password/not-a-token").status_code == 410


# --------------------------------------------------------------------------- off and on


def test_a_switched_off_account_is_logged_out_and_its_links_stop(app, admin_client, make_user):
    kim = make_user("coordinator", email="kim@avesta.example")
    kims_browser = app.test_client()
    assert login(kims_browser, kim.email).status_code == 302
    token = csrf_token_from(admin_client.get("/admin/users").get_data(as_text=True))
    path = link_path(
        text_of(
            admin_client.post(f"/admin/users/{kim.id}/password-link", data={"csrf_token": token})
        )
    )

    off = admin_client.post(f"/admin/users/{kim.id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 302
    listing = text_of(admin_client.get("/admin/users"))
    assert "Kontot för kim@avesta.example är avstängt." in listing
    assert "Avstängt" in listing
    assert "/login" in kims_browser.get("/coordinator/").headers["Location"]
    assert login(app.test_client(), kim.email).status_code == 401
    assert app.test_client().get(path).status_code == 410

    on = admin_client.post(f"/admin/users/{kim.id}/reactivate", data={"csrf_token": token})
    assert on.status_code == 302
    assert "Kontot för kim@avesta.example är aktivt igen." in text_of(
        admin_client.get("/admin/users")
    )
    assert login(app.test_client(), kim.email).status_code == 302
    actions = [action for _label, action, subject in events(app) if subject == kim.id]
    assert actions == ["password-reset-link", "account-deactivate", "account-reactivate"]


def test_an_administrator_cannot_switch_themselves_off(app, admin, admin_client):
    token = csrf_token_from(admin_client.get("/admin/users").get_data(as_text=True))
    answer = admin_client.post(f"/admin/users/{admin.id}/deactivate", data={"csrf_token": token})
    assert answer.status_code == 302
    assert "Du kan inte stänga av ditt eget konto." in text_of(admin_client.get("/admin/users"))
    assert user_by_email(app, admin.email).is_active_account


def test_the_last_active_administrator_stays(app, admin, make_user):
    other = make_user("admin", email="bo.admin@avesta.example")
    with app.app_context():
        anna = db.session.get(User, admin.id)
        bo = db.session.get(User, other.id)
        assert anna is not None and bo is not None
        deactivate_account(db.session, anna, bo.id)
        db.session.commit()
        # Bo's page was still open: he may not switch off the only administrator left.
        with pytest.raises(Conflict, match="minst en aktiv administratör"):
            deactivate_account(db.session, bo, anna.id)
        db.session.rollback()
        assert db.session.get(User, admin.id).is_active_account  # type: ignore[union-attr]


def test_two_administrators_switching_each_other_off_at_once_leave_one(app, admin, make_user):
    other = make_user("admin", email="bo.admin@avesta.example")
    results: dict[str, str] = {}
    first_has_locked = threading.Event()

    def switch_off(actor_id: int, target_id: int, name: str, hold: float) -> None:
        with app.app_context(), Session(db.engine) as session:
            actor = session.get(User, actor_id)
            try:
                deactivate_account(session, actor, target_id)  # type: ignore[arg-type]
                first_has_locked.set()
                time.sleep(hold)  # the other transaction waits for our locks meanwhile
                session.commit()
                results[name] = "done"
            except Conflict:
                session.rollback()
                results[name] = "refused"

    anna_first = threading.Thread(target=switch_off, args=(admin.id, other.id, "anna", 0.5))
    anna_first.start()
    assert first_has_locked.wait(10)
    switch_off(other.id, admin.id, "bo", 0)
    anna_first.join(10)
    assert results == {"anna": "done", "bo": "refused"}
    with app.app_context():
        active = db.session.scalars(
            select(User.email).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
        ).all()
        assert active == ["anna.admin@avesta.example"]


def test_reset_links_are_not_made_for_switched_off_accounts(app, admin, make_user):
    kim = make_user("coordinator", email="kim@avesta.example")
    with app.app_context():
        actor = db.session.get(User, admin.id)
        deactivate_account(db.session, actor, kim.id)  # type: ignore[arg-type]
        with pytest.raises(Conflict, match="avstängt"):
            create_password_reset(
                db.session,
                actor,  # type: ignore[arg-type]
                kim.id,
                now=datetime.now(UTC),
                settings=AccountSettings.from_config(app.config),
            )


# --------------------------------------------------------------------------- own password


def test_a_logged_in_person_changes_their_own_password(app, make_user):
    host = make_user("host", email="vard@example.org")
    client = app.test_client()
    login(client, host.email)
    page = client.get("/account/password")
    assert page.status_code == 200
    wrong = form_post(
        client,
        "/account/password",
        {"current_password": "fel", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert 'id="current_password-error">Det nuvarande lösenordet stämmer inte.' in text_of(wrong)
    done = form_post(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert "Ditt nya lösenord är sparat." in text_of(client.get(done.headers["Location"]))
    assert login(app.test_client(), host.email, PASSWORD).status_code == 401
    assert login(app.test_client(), host.email, NEW_PASSWORD).status_code == 302
    assert (host.email, "password-change", host.id) in events(app)
    assert app.test_client().get("/account/password").status_code == 302  # log in first


# --------------------------------------------------------------------------- who may


def test_only_administrators_manage_accounts(app, make_user, admin):
    kim = make_user("coordinator", email="kim@avesta.example")
    for role in ("host", "coordinator"):
        user = make_user(role)
        client = app.test_client()
        login(client, user.email)
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/users/new").status_code == 403
        token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
        # Pages about one record answer 404 to other roles: ids reveal nothing.
        answer = client.post(f"/admin/users/{kim.id}/deactivate", data={"csrf_token": token})
        assert answer.status_code == 404
        answer = client.post(f"/admin/users/{kim.id}/password-link", data={"csrf_token": token})
        assert answer.status_code == 404
    anonymous = app.test_client().get("/admin/users")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert user_by_email(app, kim.email).is_active_account
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_changes_without_a_csrf_token_are_refused(app, admin_client, make_user):
    kim = make_user("coordinator", email="kim@avesta.example")
    answer = admin_client.post(
        "/admin/users/new", data={"name": "X", "email": "x@avesta.example", "role": "admin"}
    )
    assert answer.status_code == 400
    assert admin_client.post(f"/admin/users/{kim.id}/deactivate").status_code == 400
    assert user_by_email(app, kim.email).is_active_account
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@avesta.example")) is None


def test_administrators_see_accounts_and_log_in_the_menu(admin_client):
    page = text_of(admin_client.get("/coordinator/"))
    assert '<a href="/admin/users">Konton</a>' in page
    assert '<a href="/admin/audit">Logg</a>' in page
    listing = text_of(admin_client.get("/admin/users"))
    assert "anna.admin@avesta.example" in listing
    assert "Administratör" in listing


def test_the_pages_speak_english_on_request(app, admin_client):
    accounts = text_of(admin_client.get("/admin/users?lang=en"))
    assert "<h1>Accounts</h1>" in accounts
    assert "New account" in accounts and "Deactivate" not in accounts  # only herself listed
    created = text_of(create(admin_client, email="en@avesta.example"))
    assert "The account is created" in created
    assert "The same link has also been sent by email to en@avesta.example." in created
    log = text_of(admin_client.get("/admin/audit?user=1"))
    assert "Done by" in log and "The data itself is never in the log." in log
    path = link_path(created)
    visitor = app.test_client()
    page = text_of(visitor.get(f"{path}?lang=en"))
    assert "Choose a password" in page and "New password again" in page
