"""Log-in, log-out, roles, CSRF, language and rate limiting, as a person meets them."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_token_from, login


def test_coordinator_logs_in_and_sees_start_page(client, make_user):
    user = make_user("coordinator")
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/coordinator/")
    page = client.get("/coordinator/")
    assert page.status_code == 200
    assert "Översikt" in page.get_data(as_text=True)


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    user = make_user("coordinator")
    wrong = login(client, user.email, "not-the-password")
    unknown = login(client, "nobody@avesta.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    wrong_text, unknown_text = wrong.get_data(as_text=True), unknown.get_data(as_text=True)
    assert "Fel e-postadress eller lösenord." in wrong_text
    # the pages differ only in the CSRF token and the typed email
    strip = lambda text, email: text.replace(csrf_token_from(text), "").replace(email, "")  # noqa: E731
    assert strip(wrong_text, user.email) == strip(unknown_text, "nobody@avesta.example")


def test_sixth_failed_login_in_a_minute_gets_429(client, make_user):
    user = make_user("coordinator")
    statuses = [login(client, user.email, "wrong-password").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # even the right password is refused while the limit holds
    assert login(client, user.email, PASSWORD).status_code == 429


def test_post_without_csrf_token_is_rejected(client, make_user):
    user = make_user("coordinator")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/coordinator/").status_code == 302  # still not logged in


def test_host_cannot_open_coordinator_pages(client, make_user):
    host = make_user("host")
    assert login(client, host.email).status_code == 302
    assert client.get("/coordinator/").status_code == 403
    assert client.get("/host/").status_code == 200


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/coordinator/?q=x")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_logout_ends_the_session(client, make_user):
    user = make_user("coordinator")
    login(client, user.email)
    page = client.get("/coordinator/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert client.get("/coordinator/").status_code == 302


def test_next_redirect_only_to_own_site(client, make_user):
    user = make_user("coordinator")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={
                "email": user.email,
                "password": PASSWORD,
                "next": evil,
                "csrf_token": csrf_token_from(page),
            },
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/coordinator/"
        client.post(
            "/logout",
            data={
                "csrf_token": csrf_token_from(client.get("/coordinator/").get_data(as_text=True))
            },
        )
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "next": "/coordinator/?q=Krylbo",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert response.headers["Location"] == "/coordinator/?q=Krylbo"


def test_lang_en_switches_the_interface(client, make_user):
    assert 'lang="sv"' in client.get("/login").get_data(as_text=True)
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Log in" in english and "Logga in</h1>" not in english
    # remembered for the next page
    assert "Password" in client.get("/login").get_data(as_text=True)


def test_browser_preference_picks_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in page.get_data(as_text=True)


def test_login_starts_a_fresh_session(client, make_user):
    user = make_user("coordinator")
    old_token = csrf_token_from(client.get("/login").get_data(as_text=True))
    login(client, user.email)
    # the anonymous session's CSRF token died with it: a form from before the log-in fails
    response = client.post("/logout", data={"csrf_token": old_token})
    assert response.status_code == 400
    assert client.get("/coordinator/").status_code == 200


def test_unknown_page_gets_friendly_404(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_passwords_are_hashed(app, make_user):
    user = make_user("coordinator")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")


def test_create_user_command_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(
        args=["create-user", "--email", "Ny.Samordnare@Avesta.se", "--role", "coordinator"],
        input="ett-långt-lösenord\n",
    )
    assert result.exit_code == 0, result.output
    assert "ny.samordnare@avesta.se" in result.output
    assert login(client, "ny.samordnare@avesta.se", "ett-långt-lösenord").status_code == 302

    again = runner.invoke(
        args=["create-user", "--email", "ny.samordnare@avesta.se", "--role", "admin"],
        input="ett-annat-lösenord\n",
    )
    assert again.exit_code != 0
    assert "Det finns redan ett konto" in again.output

    short = runner.invoke(
        args=["create-user", "--email", "kort@avesta.se", "--role", "host"], input="kort\n"
    )
    assert short.exit_code != 0
    assert "minst 10 tecken" in short.output
