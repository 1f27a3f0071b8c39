"""Two-factor sign-in as people meet it: enrolment with a QR code, the code after the password or
the emailed link, codes never accepted twice, single-use recovery codes, roles that require it,
changes only after the password, and sessions that end."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from avestavard import create_app
from avestavard.config import ConfigError
from avestavard.extensions import db
from avestavard.models import AuditEvent, OutboxMessage, User, utcnow
from avestavard.models.two_factor import RecoveryCode
from avestavard.services import sign_in, two_factor
from tests.conftest import PASSWORD, csrf_token_from, login

CODE_PAGE = "/login/code"
SETUP_PAGE = "/account/two-factor/setup"
SETTINGS_PAGE = "/account/two-factor"


@pytest.fixture
def app_overrides():
    """As in production: administrators and coordinators must use it, hosts may."""
    return {"MFA_REQUIRED_ROLES": ["admin", "coordinator"]}


def _enrol(app, user_id: int) -> tuple[str, list[str]]:
    """Switch two-factor sign-in on for an account, as its enrolment would; (secret, codes)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        enrolment = two_factor.start_enrolment(db.session, user, fresh=True)
        # A code from the step before: the sign-in in the test then uses the current one.
        earlier = pyotp.TOTP(enrolment.secret).at(time.time() - 30)
        codes = two_factor.confirm_enrolment(db.session, user, earlier, now=utcnow())
        db.session.commit()
        return enrolment.secret, codes


def _post(client, url: str, **data: str):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def _give_code(client, code: str):
    return _post(client, CODE_PAGE, code=code)


def _now_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def _secret_on_page(html: str) -> str:
    groups = re.findall(r"<li><code>([A-Z2-7]{4})</code></li>", html)
    assert groups, "no key shown in groups"
    return "".join(groups)


def _recovery_codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", html)


# --------------------------------------------------------------------------- enrolment


def test_a_host_turns_it_on_from_the_profile_with_a_qr_code_and_a_first_code(
    app, client, make_user
):
    host = make_user("host")
    other_device = app.test_client()
    assert login(other_device, host.email).status_code == 302
    assert login(client, host.email).status_code == 302
    settings = client.get(SETTINGS_PAGE).get_data(as_text=True)
    assert "Tvåstegsinloggning är av" in settings

    page = client.get(SETUP_PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # the QR code is drawn on the server: inline SVG, no script, no inline style
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert svg is not None and 'role="img"' in svg.group(0)
    assert "<script" not in svg.group(0) and "style" not in svg.group(0)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    secret = _secret_on_page(html)
    assert len(secret) == 32
    # the page shown again keeps the same key (a code already scanned stays valid)
    assert _secret_on_page(client.get(SETUP_PAGE).get_data(as_text=True)) == secret

    wrong = _post(client, SETUP_PAGE, code="000000" if _now_code(secret) != "000000" else "111111")
    assert wrong.status_code == 400
    assert "Koden stämmer inte" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, host.id).totp_secret is None  # not on until a code matched

    done = _post(client, SETUP_PAGE, code=_now_code(secret))
    assert done.status_code == 200
    codes = _recovery_codes_on_page(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        user = db.session.get(User, host.id)
        assert user.totp_secret == secret and user.totp_pending_secret is None
        hashes = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == host.id)
        ).all()
        assert len(hashes) == 10
        assert not any(code.replace("-", "") in h or code in h for code in codes for h in hashes)
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "two-factor-on" in actions
    # this session goes on; the one on the other device ended with the change
    assert client.get("/host/").status_code == 200
    assert other_device.get("/host/").status_code == 302
    assert "Tvåstegsinloggning är på" in client.get(SETTINGS_PAGE).get_data(as_text=True)


# --------------------------------------------------------------------------- signing in


def test_the_code_follows_the_password_and_the_half_signed_in_state_opens_nothing(
    app, client, make_user
):
    coordinator = make_user("coordinator")
    secret, _codes = _enrol(app, coordinator.id)
    response = login(client, coordinator.email)
    assert response.status_code == 302 and response.headers["Location"].endswith(CODE_PAGE)
    for path in ("/coordinator/", "/host/", "/admin/users", SETTINGS_PAGE, "/account/password"):
        assert client.get(path).status_code == 302, path
    assert client.get("/coordinator/").headers["Location"].startswith("/login")
    code_page = client.get(CODE_PAGE).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in code_page

    done = _give_code(client, _now_code(secret))
    assert done.status_code == 302 and done.headers["Location"].endswith("/coordinator/")
    assert client.get("/coordinator/").status_code == 200


def test_a_code_is_never_accepted_twice_nor_an_older_one(app, make_user):
    host = make_user("host")
    secret, _codes = _enrol(app, host.id)
    code = _now_code(secret)
    first = app.test_client()
    login(first, host.email)
    assert _give_code(first, code).status_code == 302

    second = app.test_client()
    login(second, host.email)
    replay = _give_code(second, code)
    assert replay.status_code == 401
    assert "Koden stämmer inte" in replay.get_data(as_text=True)
    older = pyotp.TOTP(secret).at(time.time() - 30)  # inside the window, but before the last
    assert _give_code(second, older).status_code == 401
    assert second.get("/host/").status_code == 302
    # the next time step's code is accepted (a phone clock a little ahead)
    assert _give_code(second, pyotp.TOTP(secret).at(time.time() + 30)).status_code == 302


def test_a_recovery_code_works_once(app, client, make_user):
    host = make_user("host")
    _secret, codes = _enrol(app, host.id)
    login(client, host.email)
    typed = "  " + codes[3].upper().replace("-", " ") + " "  # case, spaces and dash do not matter
    response = _give_code(client, typed)
    assert response.status_code == 302
    flashed = client.get("/host/").get_data(as_text=True)
    assert "reservkod" in flashed and "9 kvar" in flashed

    again = app.test_client()
    login(again, host.email)
    assert _give_code(again, codes[3]).status_code == 401
    assert _give_code(again, codes[4]).status_code == 302
    with app.app_context():
        user = db.session.get(User, host.id)
        assert two_factor.recovery_codes_left(db.session, user) == 8
        assert "recovery-code-used" in db.session.scalars(select(AuditEvent.action)).all()


def test_wrong_codes_are_limited_per_account(app, make_user):
    host = make_user("host")
    secret, _codes = _enrol(app, host.id)
    right = _now_code(secret)
    wrong = "123456" if right != "123456" else "654321"
    client = app.test_client()
    login(client, host.email)
    statuses = [_give_code(client, wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5
    # from another address and session, the same account is still limited
    other = app.test_client()
    login(other, host.email)
    token = csrf_token_from(other.get(CODE_PAGE).get_data(as_text=True))
    limited = other.post(
        CODE_PAGE,
        data={"csrf_token": token, "code": right},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert limited.status_code == 429
    assert other.get("/host/").status_code == 302


def test_the_code_step_expires_and_ends_with_the_accounts_sessions(app, make_user):
    host = make_user("host")
    secret, _codes = _enrol(app, host.id)
    client = app.test_client()
    login(client, host.email)
    with client.session_transaction() as sess:
        sess["two_factor_pending"] = {**sess["two_factor_pending"], "since": int(time.time()) - 601}
    late = client.get(CODE_PAGE)
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")

    login(client, host.email)
    token = csrf_token_from(client.get(CODE_PAGE).get_data(as_text=True))
    with app.app_context():  # a password change elsewhere ends this sign-in as well
        db.session.get(User, host.id).end_sessions()
        db.session.commit()
    refused = client.post(CODE_PAGE, data={"csrf_token": token, "code": _now_code(secret)})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/login")
    assert client.get("/host/").status_code == 302


def test_logging_out_ends_a_session_that_gave_a_code(app, make_user):
    host = make_user("host")
    secret, _codes = _enrol(app, host.id)
    copied = app.test_client()
    login(copied, host.email)
    assert _give_code(copied, _now_code(secret)).status_code == 302
    assert copied.get("/host/").status_code == 200
    with app.app_context():
        db.session.get(User, host.id).end_sessions()  # what log-out on any device does
        db.session.commit()
    assert copied.get("/host/").status_code == 302


def test_a_host_with_it_on_gives_the_code_after_the_emailed_link(app, client, make_user):
    host = make_user("host")
    secret, _codes = _enrol(app, host.id)
    with app.app_context():
        sign_in.request_sign_in_link(db.session, host.email, now=utcnow(), base_url="http://x")
        db.session.commit()
        body = db.session.scalar(select(OutboxMessage.body_text).order_by(OutboxMessage.id.desc()))
    key = re.search(r"/login/link/([A-Za-z0-9_\-]+)", body or "").group(1)
    response = _post(client, f"/login/link/{key}")
    assert response.status_code == 302 and response.headers["Location"].endswith(CODE_PAGE)
    assert client.get("/host/").status_code == 302  # the link alone is not enough
    done = _give_code(client, _now_code(secret))
    assert done.status_code == 302 and done.headers["Location"].endswith("/host/")
    assert client.get("/host/").status_code == 200


# --------------------------------------------------------------------------- required roles


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_a_required_role_enrols_right_after_the_password_and_reaches_nothing_else(
    app, client, make_user, role
):
    staff = make_user(role)
    response = login(client, staff.email)
    assert response.status_code == 302 and response.headers["Location"].endswith(SETUP_PAGE)
    for path in ("/coordinator/", "/admin/users", CODE_PAGE, SETTINGS_PAGE, "/account/password"):
        assert client.get(path).status_code == 302, path
    page = client.get(SETUP_PAGE).get_data(as_text=True)
    assert "Du arbetar med andras personuppgifter" in page
    secret = _secret_on_page(page)
    done = _post(client, SETUP_PAGE, code=_now_code(secret))
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert len(_recovery_codes_on_page(html)) == 10
    assert 'href="/coordinator/"' in html  # continue to the start page
    assert client.get("/coordinator/").status_code == 200

    # next time the code is asked for, and it cannot be switched off
    fresh = app.test_client()
    assert login(fresh, staff.email).headers["Location"].endswith(CODE_PAGE)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert _give_code(fresh, code).status_code == 302
    off = _post(fresh, SETTINGS_PAGE, password=PASSWORD, action="off")
    assert off.status_code == 400
    assert "Din roll kräver tvåstegsinloggning" in off.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, staff.id).has_two_factor


def test_a_host_signs_in_with_the_password_alone_where_staff_need_a_code(client, make_user):
    host = make_user("host")
    response = login(client, host.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/host/")
    assert client.get("/host/").status_code == 200


def test_a_staff_session_without_a_second_factor_is_sent_to_enrolment(app, make_user):
    coordinator = make_user("coordinator")
    client = app.test_client()
    app.config["MFA_REQUIRED_ROLES"] = []
    assert login(client, coordinator.email).status_code == 302
    assert client.get("/coordinator/").status_code == 200
    app.config["MFA_REQUIRED_ROLES"] = ["coordinator"]  # the setting changed since
    response = client.get("/coordinator/")
    assert response.status_code == 302 and response.headers["Location"].endswith(SETUP_PAGE)
    assert client.get(SETUP_PAGE).status_code == 200


def test_an_enrolment_started_by_someone_else_is_never_reused(app, make_user):
    coordinator = make_user("coordinator")
    first = app.test_client()
    login(first, coordinator.email)
    seen = _secret_on_page(first.get(SETUP_PAGE).get_data(as_text=True))
    second = app.test_client()
    login(second, coordinator.email)
    shown = _secret_on_page(second.get(SETUP_PAGE).get_data(as_text=True))
    assert shown != seen
    # a code for the first key no longer switches anything on
    assert _post(first, SETUP_PAGE, code=_now_code(seen)).status_code == 400
    with app.app_context():
        assert db.session.get(User, coordinator.id).totp_secret is None


# --------------------------------------------------------------------------- changes


def test_turning_it_off_asks_for_the_password(app, client, make_user):
    host = make_user("host")
    secret, _codes = _enrol(app, host.id)
    login(client, host.email)
    _give_code(client, _now_code(secret))
    wrong = _post(client, SETTINGS_PAGE, password="not-the-password", action="off")
    assert wrong.status_code == 400 and "Lösenordet stämmer inte." in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, host.id).has_two_factor
    off = _post(client, SETTINGS_PAGE, password=PASSWORD, action="off")
    assert off.status_code == 302
    assert client.get("/host/").status_code == 200  # this session goes on
    with app.app_context():
        assert not db.session.get(User, host.id).has_two_factor
        assert db.session.scalars(select(RecoveryCode)).all() == []
    again = app.test_client()
    assert login(again, host.email).headers["Location"].endswith("/host/")


def test_changing_the_app_asks_for_the_password_and_retires_the_old_key(app, client, make_user):
    host = make_user("host")
    old_secret, old_codes = _enrol(app, host.id)
    login(client, host.email)
    _give_code(client, _now_code(old_secret))
    direct = client.get(SETUP_PAGE)
    assert direct.status_code == 302 and direct.headers["Location"].endswith(SETTINGS_PAGE)
    assert (
        _post(client, SETTINGS_PAGE, password="nope-nope-nope", action="reenrol").status_code == 400
    )
    go = _post(client, SETTINGS_PAGE, password=PASSWORD, action="reenrol")
    assert go.status_code == 302 and go.headers["Location"].endswith(SETUP_PAGE)
    new_secret = _secret_on_page(client.get(SETUP_PAGE).get_data(as_text=True))
    assert new_secret != old_secret
    done = _post(client, SETUP_PAGE, code=_now_code(new_secret))
    assert (
        done.status_code == 200 and len(_recovery_codes_on_page(done.get_data(as_text=True))) == 10
    )

    later = app.test_client()
    login(later, host.email)
    assert _give_code(later, old_codes[0]).status_code == 401  # old recovery codes are gone
    assert _give_code(later, pyotp.TOTP(old_secret).at(time.time() + 30)).status_code == 401
    assert _give_code(later, pyotp.TOTP(new_secret).at(time.time() + 30)).status_code == 302


def test_new_recovery_codes_after_the_password(app, client, make_user):
    host = make_user("host")
    secret, old_codes = _enrol(app, host.id)
    login(client, host.email)
    _give_code(client, _now_code(secret))
    page = _post(client, SETTINGS_PAGE, password=PASSWORD, action="codes")
    new_codes = _recovery_codes_on_page(page.get_data(as_text=True))
    assert page.status_code == 200 and len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    later = app.test_client()
    login(later, host.email)
    assert _give_code(later, old_codes[0]).status_code == 401
    assert _give_code(later, new_codes[0]).status_code == 302


# --------------------------------------------------------------------------- pages, settings


def test_the_code_page_in_english(app, make_user):
    host = make_user("host")
    _enrol(app, host.id)
    client = app.test_client()
    client.get("/login?lang=en")
    login(client, host.email)
    html = client.get(CODE_PAGE).get_data(as_text=True)
    assert "Code from the app" in html and "Kod från appen" not in html


def test_an_unknown_role_in_the_setting_refuses_to_start(database_url):
    with pytest.raises(ConfigError, match="MFA_REQUIRED_ROLES"):
        create_app("testing", {"DATABASE_URL": database_url, "MFA_REQUIRED_ROLES": ["admins"]})


def test_enrolment_codes_only_match_in_the_window(app, make_user):
    host = make_user("host")
    with app.app_context():
        user = db.session.get(User, host.id)
        enrolment = two_factor.start_enrolment(db.session, user, fresh=True)
        stale = pyotp.TOTP(enrolment.secret).at(utcnow() - timedelta(minutes=5))
        with pytest.raises(Exception, match="Koden stämmer inte"):
            two_factor.confirm_enrolment(db.session, user, stale, now=utcnow())
        assert enrolment.uri.startswith("otpauth://totp/")
        assert "issuer=AvestaV%C3%A4rd" in enrolment.uri


def test_the_command_removes_a_lost_second_factor(app, runner, make_user):
    coordinator = make_user("coordinator")
    _secret, codes = _enrol(app, coordinator.id)
    signed_in = app.test_client()
    login(signed_in, coordinator.email)
    assert _give_code(signed_in, codes[0]).status_code == 302
    result = runner.invoke(args=["reset-two-factor", "--email", coordinator.email.upper()])
    assert result.exit_code == 0, result.output
    assert signed_in.get("/coordinator/").status_code == 302  # every session ended
    with app.app_context():
        assert not db.session.get(User, coordinator.id).has_two_factor
        assert db.session.scalars(select(RecoveryCode)).all() == []
    # a required role enrols again right after the password
    assert login(app.test_client(), coordinator.email).headers["Location"].endswith(SETUP_PAGE)
    again = runner.invoke(args=["reset-two-factor", "--email", coordinator.email])
    assert again.exit_code != 0 and "ingen tvåstegsinloggning" in again.output
