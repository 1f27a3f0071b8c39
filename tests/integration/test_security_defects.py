"""Defects found by probing the application as an attacker would: each test is named after the
defect it guards against."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import OutboxMessage
from avestavard.services import matches as service
from tests.conftest import PASSWORD, csrf_token_from, login
from tests.integration.matches_support import NOW, add_host, add_newcomer, settings, system
from tests.integration.test_profiles_register import post_registration


@pytest.fixture
def second_app(app):
    """Build another app on the same database (other settings); its engine is closed after."""
    from avestavard import create_app

    made = []

    def build(**overrides):
        other = create_app("testing", {"DATABASE_URL": app.config["DATABASE_URL"], **overrides})
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_defect_05_birth_year_unicode_digits(client):
    # Characters that only look like digits are refused next to the field, never a 500.
    for typed in ("①②③④", "¹⁹⁸⁵"):
        response = post_registration(client, birth_year=typed)
        assert response.status_code == 400, typed
        assert "Skriv födelseåret med fyra siffror" in unescape(response.get_data(as_text=True))
    # Arabic-Indic and full-width digits are digits: read as the Excel import reads them.
    for typed in ("١٩٨٥", "１９８５"):
        response = post_registration(client, birth_year=typed)
        assert response.status_code == 302, typed


def test_defect_12_hsts_in_production(app, second_app):
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    production = second_app(HSTS_SECONDS=31536000)
    header = production.test_client().get("/").headers.get("Strict-Transport-Security")
    assert header == "max-age=31536000; includeSubDomains"
    from avestavard.config import load_config

    assert load_config("production")["HSTS_SECONDS"] == 31536000


def test_defect_15_host_loses_newcomer_page_after_declining(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    newcomer = add_newcomer(app)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=NOW, settings=settings(app)
        )
        db.session.commit()
        match_id = match.id
    assert login(client, user.email).status_code == 302
    assert client.get(f"/host/newcomers/{newcomer}").status_code == 200
    page = client.get(f"/host/matches/{match_id}").get_data(as_text=True)
    token = csrf_token_from(page)
    declined = client.post(
        f"/host/matches/{match_id}/decline", data={"csrf_token": token, "reason": ""}
    )
    assert declined.status_code == 302
    assert client.get(f"/host/newcomers/{newcomer}").status_code == 404
    assert "Intressen" not in client.get(f"/host/matches/{match_id}").get_data(as_text=True)


def test_defect_16_confirmation_mail_greets_without_typed_name(app, client):
    typed = "Vinn en iPhone på http://bedrageri.example nu"
    response = post_registration(client, name=typed)
    assert response.status_code in (200, 302)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message is not None
        assert "bedrageri" not in message.body_text
        assert "bedrageri" not in (message.body_html or "")
        assert "Hej" in message.body_text or "Hello" in message.body_text


def test_defect_06_nul_byte_is_a_field_error(app, client, make_user):
    response = post_registration(client, name="Amira\x00Haddad", past="a\x00b")
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    assert 'id="name-error">Texten innehåller ett otillåtet tecken.' in html
    assert 'id="past-error">Texten innehåller ett otillåtet tecken.' in html
    assert "Haddad" in html  # the typed value is shown again
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage)) is None
    page = client.get("/login").get_data(as_text=True)
    refused = client.post(
        "/login",
        data={"email": "a\x00@x.example", "password": "x", "csrf_token": csrf_token_from(page)},
    )
    assert refused.status_code == 400
    assert "otillåtet tecken" in unescape(refused.get_data(as_text=True))
    user = make_user("coordinator", email="samordnare@avesta.example")
    assert login(client, user.email).status_code == 302
    assert client.get("/coordinator/?q=a%00b").status_code == 400


def test_defect_06_every_form_refuses_nul():
    import importlib
    import pkgutil

    import flask_wtf

    import avestavard
    from avestavard.forms import FlaskForm

    for module in pkgutil.walk_packages(avestavard.__path__, "avestavard."):
        if module.name.endswith("_forms") or module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [c for c in subclasses(flask_wtf.FlaskForm) if c.__module__.startswith("avestavard")]
    assert len(forms) > 20
    assert [c.__qualname__ for c in forms if not issubclass(c, FlaskForm)] == []


def _copied_client(app, client):
    """A second client carrying a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    return thief


def _still_signed_in(thief) -> bool:
    return thief.get("/coordinator/").status_code == 200


def test_defect_08_copied_session_cookie_dies_on_logout(app, client, make_user):
    user = make_user("coordinator", email="samordnare@avesta.example")
    assert login(client, user.email).status_code == 302
    thief = _copied_client(app, client)
    assert _still_signed_in(thief)
    token = csrf_token_from(client.get("/coordinator/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _still_signed_in(thief)


def test_defect_08_copied_session_cookie_dies_on_password_change(app, client, make_user):
    from avestavard.models import User

    user = make_user("coordinator", email="samordnare@avesta.example")
    assert login(client, user.email).status_code == 302
    thief = _copied_client(app, client)
    other_device = app.test_client()
    assert login(other_device, user.email).status_code == 302
    page = other_device.get("/account/password").get_data(as_text=True)
    changed = other_device.post(
        "/account/password",
        data={
            "csrf_token": csrf_token_from(page),
            "current_password": "correct-horse-battery",
            "password": "a-brand-new-long-password",
            "password_again": "a-brand-new-long-password",
        },
    )
    assert changed.status_code == 302
    assert _still_signed_in(other_device)  # the device that changed it goes on
    assert not _still_signed_in(thief)
    assert not _still_signed_in(client)
    # deactivate and reactivate: an old session does not come back to life
    assert login(client, user.email, "a-brand-new-long-password").status_code == 302
    thief = _copied_client(app, client)
    from avestavard.services import accounts

    admin = make_user("admin", email="admin@avesta.example")
    with app.app_context():
        actor = db.session.get(User, admin.id)
        accounts.deactivate_account(db.session, actor, user.id)
        db.session.commit()
        accounts.reactivate_account(db.session, actor, user.id)
        db.session.commit()
    assert not _still_signed_in(thief)


def _login_from(client, address: str, email: str, password: str = "wrong-password"):
    page = client.get("/login", headers={"X-Forwarded-For": address})
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token_from(page.text)},
        headers={"X-Forwarded-For": address},
    )


def test_defect_02_login_limit_keyed_on_real_client_behind_proxy(second_app, make_user):
    proxied = second_app(PROXY_FIX_HOPS=1)
    user = make_user("coordinator", email="samordnare@avesta.example")
    colleague = make_user("coordinator", email="kollega@avesta.example")
    attacker = proxied.test_client()
    statuses = [_login_from(attacker, "203.0.113.9", user.email).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # a colleague behind the same proxy, from their own address, is not locked out
    assert (
        _login_from(proxied.test_client(), "10.1.2.3", colleague.email, PASSWORD).status_code == 302
    )


def test_defect_02_per_account_limit_from_many_addresses(second_app, make_user):
    proxied = second_app(PROXY_FIX_HOPS=1)
    user = make_user("coordinator", email="samordnare@avesta.example")
    colleague = make_user("coordinator", email="kollega@avesta.example")
    attacker = proxied.test_client()
    for n in range(5):
        assert _login_from(attacker, f"198.51.100.{n}", user.email.upper()).status_code == 401
    # the sixth try at the same account, from yet another address, waits (even the right one)
    assert _login_from(attacker, "198.51.100.77", user.email, PASSWORD).status_code == 429
    # every other account signs in as usual, even from the attacker's last address
    assert (
        _login_from(proxied.test_client(), "198.51.100.4", colleague.email, PASSWORD).status_code
        == 302
    )


def test_defect_14_ids_never_reused_after_deletion(app):
    from sqlalchemy import delete

    from avestavard.models import Host

    with app.app_context():
        first = Host(name="Karin Berg", email="karin@example.org")
        db.session.add(first)
        db.session.commit()
        erased_id = first.id
        db.session.execute(delete(Host).where(Host.id == erased_id))
        db.session.commit()
        second = Host(name="Lars Holm", email="lars@example.org")
        db.session.add(second)
        db.session.commit()
        assert second.id > erased_id


def test_defect_13_production_refuses_weak_or_missing_settings(monkeypatch):
    from avestavard import create_app
    from avestavard.config import ConfigError

    for name in ("SECRET_KEY", "PERSON_HASH_KEY", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(f"AVESTAVARD_{name}", raising=False)
    good = {
        "SECRET_KEY": "k" * 48,
        "PERSON_HASH_KEY": "h" * 48,
        "PUBLIC_BASE_URL": "https://avestavard.avesta.se",
        "DATABASE_URL": "sqlite://",
    }
    for bad, message in (
        ({"SECRET_KEY": "x"}, "AVESTAVARD_SECRET_KEY"),
        ({"SECRET_KEY": "development-only-not-secret"}, "AVESTAVARD_SECRET_KEY"),
        ({"PERSON_HASH_KEY": ""}, "AVESTAVARD_PERSON_HASH_KEY"),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:5000"}, "https://"),
    ):
        with pytest.raises(ConfigError, match=message):
            create_app("production", {**good, **bad})
    assert create_app("production", good).config["SESSION_COOKIE_SECURE"] is True


# --------------------------------------------------------------------------- hostile uploads


def _workbook_bytes(sheet_xml_edit=None, *, extra_parts=None) -> bytes:
    """A small real hosts workbook, with its first sheet's XML edited by ``sheet_xml_edit``."""
    import io
    import zipfile

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Värdar"
    sheet.append(["Namn", "E-post", "Telefon", "Dåtid", "Nutid", "Framtid"])
    sheet.append(["Karin Berg", "karin@example.org", "070-123 45 67", "Lärare", "Pensionär", "Mer"])
    plain = io.BytesIO()
    workbook.save(plain)
    edited = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml" and sheet_xml_edit is not None:
                data = sheet_xml_edit(data.decode()).encode()
            target.writestr(entry.filename, data)
        for name, data in (extra_parts or {}).items():
            target.writestr(name, data)
    return edited.getvalue()


def _upload_workbook(client, data: bytes):
    from io import BytesIO

    token = csrf_token_from(client.get("/coordinator/imports").get_data(as_text=True))
    return client.post(
        "/coordinator/imports",
        data={"csrf_token": token, "workbook": (BytesIO(data), "avestavardar.xlsx")},
        content_type="multipart/form-data",
    )


def _nothing_kept(app) -> bool:
    """No upload waits for a confirm: a refused file is not kept (it holds personal data)."""
    from avestavard.models import PendingUpload

    with app.app_context():
        return db.session.scalar(select(PendingUpload)) is None


def test_defect_01_stray_cell_far_out_refused_before_loading(app, coordinator_client, tmp_path):
    import time

    def stray_cell(xml: str) -> str:
        return xml.replace(
            "</sheetData>", '<row r="5000"><c r="XFD5000" t="n"><v>1</v></c></row></sheetData>'
        )

    def merged_everything(xml: str) -> str:
        return xml.replace(
            "</sheetData>",
            '</sheetData><mergeCells count="1"><mergeCell ref="A3:CV90000"/></mergeCells>',
        )

    def wide_and_long(xml: str) -> str:  # within both limits, but the rectangle is too big
        return xml.replace(
            "</sheetData>", '<row r="19000"><c r="GR19000"><v>1</v></c></row></sheetData>'
        )

    for edit, problem in (
        (stray_cell, "Bladet ”Värdar” använder 16\u00a0384 kolumner (högst 200)"),
        (merged_everything, "Bladet ”Värdar” använder 90\u00a0000 rader (högst 20\u00a0000)"),
        (wide_and_long, "Bladet ”Värdar” har för många celler (högst 250\u00a0000)"),
    ):
        data = _workbook_bytes(edit)
        started = time.perf_counter()
        response = _upload_workbook(coordinator_client, data)
        elapsed = time.perf_counter() - started
        assert response.status_code == 400, problem
        assert problem in unescape(response.get_data(as_text=True))
        assert elapsed < 10, (problem, elapsed)
        assert _nothing_kept(app)
    assert len(_workbook_bytes(stray_cell)) < 10_000  # a few kilobytes were enough before
    # the same guard holds for the command line
    path = tmp_path / "stray.xlsx"
    path.write_bytes(_workbook_bytes(stray_cell))
    result = app.test_cli_runner().invoke(args=["import-legacy", str(path), "--json"])
    assert result.exit_code != 0
    assert "16\u00a0384 kolumner" in result.output


_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lolololololololololol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    "</sheetData></worksheet>"
)
_XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Namn &xxe;</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>E-post</t></is></c></row></sheetData></worksheet>'
)


def test_defect_09_damaged_bomb_and_xxe_workbooks_refused(app, coordinator_client):
    import time

    whole = _workbook_bytes()
    cases = {
        "truncated file": (whole[: len(whole) // 2], "inte en Excelfil (.xlsx) som går att läsa"),
        "truncated sheet": (
            _workbook_bytes(lambda xml: xml[: len(xml) // 2]),
            "Filen är trasig eller ofullständig",
        ),
        "billion laughs": (_workbook_bytes(lambda xml: _BOMB), "XML-deklarationer (DTD"),
        "xxe": (_workbook_bytes(lambda xml: _XXE), "XML-deklarationer (DTD"),
        "bomb in shared strings": (
            _workbook_bytes(extra_parts={"xl/sharedStrings.xml": _BOMB}),
            "XML-deklarationer (DTD",
        ),
        "not a zip": (b"PK\x03\x04" + b"\x00" * 200, "inte en Excelfil (.xlsx)"),
    }
    for case, (data, message) in cases.items():
        started = time.perf_counter()
        response = _upload_workbook(coordinator_client, data)
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == 400, case
        assert "Filen gick inte att läsa: " in html and message in html, case
        assert "root:" not in html, case
        assert time.perf_counter() - started < 5, case
        assert _nothing_kept(app), case
    # a sound file still reads after all that
    assert _upload_workbook(coordinator_client, whole).status_code == 200


def test_defect_09_csv_field_over_128_kib_refused(app, coordinator_client):
    from io import BytesIO

    from tests.integration.letters_support import HEADER

    row = "19850101-1234;Amira;" + "H" * (130 * 1024) + ";;Parkstigen 1;774 42;AVESTA;2026-11-01;"
    page = coordinator_client.get("/coordinator/letters/import").get_data(as_text=True)
    response = coordinator_client.post(
        "/coordinator/letters/import",
        data={
            "csrf_token": csrf_token_from(page),
            "file": (BytesIO(f"{HEADER}\n{row}\n".encode()), "inflyttade.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Ett fält från rad 2 är längre än 128 KiB" in html
    assert _nothing_kept(app)


# --------------------------------------------------------------------------- register extract


def test_defect_03_register_extract_is_whole_and_names_no_one_else(app, coordinator_client):
    import json
    from datetime import date, timedelta

    from avestavard.models.letters import Letter, LetterChannel, LetterHousehold, Resident
    from avestavard.models.matches import (
        FollowUpSide,
        Match,
        MatchFollowUp,
        MatchProposal,
        MatchState,
    )

    newcomer_id = add_newcomer(app)
    declined_by = add_host(app, "Karin Berg", email="karin.berg@avesta.example")
    ended_with = add_host(app, "Lars Holm", email="lars.holm@avesta.example", phone="+46705550101")
    proposed = add_host(app, "Eva Ek", email="eva.ek@avesta.example", phone="+46705550102")
    shared = [{"code": "shared_interests", "params": {"items": [{"sv": "fiske", "en": "fishing"}]}}]
    with app.app_context():
        declined = Match(
            newcomer_id=newcomer_id,
            host_id=declined_by,
            state=MatchState.DECLINED,
            approved_at=NOW - timedelta(days=60),
            declined_at=NOW - timedelta(days=58),
            decline_reason="Vi flyttar själva i vår.",
            coordinator_note="Ring gärna före jul.",
        )
        ended = Match(
            newcomer_id=newcomer_id,
            host_id=ended_with,
            state=MatchState.ENDED,
            approved_at=NOW - timedelta(days=50),
            met_at=NOW - timedelta(days=40),
            ended_at=NOW - timedelta(days=5),
            end_reason="Familjen flyttade till Sala.",
            reason_codes=shared,
        )
        db.session.add_all([declined, ended])
        db.session.flush()
        db.session.add_all(
            [
                MatchFollowUp(
                    match_id=ended.id,
                    side=FollowUpSide.NEWCOMER,
                    answered_at=NOW - timedelta(days=20),
                    met=True,
                    fit=5,
                    comment="Vi fiskade vid Dalälven.",
                ),
                MatchFollowUp(
                    match_id=ended.id,
                    side=FollowUpSide.HOST,
                    answered_at=NOW - timedelta(days=20),
                    met=True,
                    fit=2,
                    comment="Lars tycker att det var svårt att hitta tider.",
                ),
                MatchProposal(
                    newcomer_id=newcomer_id,
                    host_id=proposed,
                    rank=1,
                    score=0.81,
                    reason_codes=shared,
                    reject_reason="Eva reser bort i december.",
                ),
            ]
        )
        household = LetterHousehold(
            household_key="k" * 64,
            street="Parkstigen 9",
            postcode="774 42",
            town="AVESTA",
            moved_in=date(2026, 9, 1),
            newcomer_id=newcomer_id,
        )
        household.residents = [
            Resident(
                person_key="a" * 64,
                first_name="Amira",
                last_name="Haddad",
                birth_date=date(1988, 3, 4),
            ),
            Resident(
                person_key="b" * 64,
                first_name="Omar",
                last_name="Haddad",
                birth_date=date(1985, 6, 7),
            ),
        ]
        household.letters = [
            Letter(
                stage=1, age_group="adult", channel=LetterChannel.PRINT, run_date=date(2026, 9, 8)
            )
        ]
        db.session.add(household)
        db.session.commit()

    response = coordinator_client.get(f"/coordinator/newcomers/{newcomer_id}/extract.json")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    extract = json.loads(text)
    # everything about her
    by_state = {m["state"]: m for m in extract["matches"]}
    assert by_state["declined"]["decline_reason"] == "Vi flyttar själva i vår."
    assert by_state["ended"]["end_reason"] == "Familjen flyttade till Sala."
    assert by_state["ended"]["reasons"] == ["Ni gillar båda fiske"]
    assert [f["comment"] for f in by_state["ended"]["follow_ups"]] == ["Vi fiskade vid Dalälven."]
    assert [(p["score"], p["reasons"]) for p in extract["proposals"]] == [
        (0.81, ["Ni gillar båda fiske"])
    ]
    household = extract["letter_household"]
    assert household["street"] == "Parkstigen 9" and household["moved_in"] == "2026-09-01"
    assert household["register_entry"] == [
        {"first_name": "Amira", "last_name": "Haddad", "birth_date": "1988-03-04"}
    ]
    assert household["other_residents"] == 1
    assert [letter["stage"] for letter in household["letters"]] == [1]
    # nothing about anyone else: the hosts only as "värd", no other resident, no host's answer
    assert {m["other_party"] for m in extract["matches"] + extract["proposals"]} == {"värd"}
    for other in (
        "Karin",
        "karin.berg",
        "Lars",
        "lars.holm",
        "Eva",
        "eva.ek",
        "+4670555",
        "Omar",
        "1985-06-07",
        "svårt att hitta tider",
        "reser bort",
    ):
        assert other not in text, other

    # the host's own extract: her decline reason and the coordinator's line to her; no newcomer
    host_extract = coordinator_client.get(f"/coordinator/hosts/{declined_by}/extract.json")
    host_text = host_extract.get_data(as_text=True)
    [match] = json.loads(host_text)["matches"]
    assert match["other_party"] == "nyinflyttad"
    assert match["decline_reason"] == "Vi flyttar själva i vår."
    assert match["coordinator_note"] == "Ring gärna före jul."
    assert "amira.haddad" not in host_text and "Damaskus" not in host_text


# --------------------------------------------------------------------------- erasure and retention


def test_defect_04_erasure_reaches_other_peoples_mail_and_audit_labels(app, make_user):
    from avestavard.models import AuditAction, AuditEvent, OutboxStatus
    from avestavard.models.matches import Match, MatchState
    from avestavard.services import audit
    from avestavard.services.mail import queue_mail
    from avestavard.services.profiles import erase_person

    user = make_user("host", email="karin.login@avesta.example")
    host_id = add_host(app, user_email=user.email)
    newcomer_id = add_newcomer(app)
    with app.app_context():
        match = Match(newcomer_id=newcomer_id, host_id=host_id, state=MatchState.INTRODUCED)
        db.session.add(match)
        db.session.flush()
        told = queue_mail(
            db.session,
            key=f"match:{match.id}:host-notified",
            to="karin.berg@avesta.example",
            subject="En nyinflyttad väntar",
            text="Hej Karin! Amira vill träffas. Skriv till amira.haddad@example.org.",
            html="<p>Hej Karin! Amira vill träffas.</p>",
        )
        told.status, told.sent_at = OutboxStatus.SENT, NOW
        queue_mail(
            db.session,
            key=f"match:{match.id}:follow-up:host",
            to="karin.berg@avesta.example",
            subject="Hur gick det?",
            text="Hur gick det med Amira?",
        )
        call_back = queue_mail(
            db.session,
            key="my-registration-call-back:1",
            to="samordnare@avesta.example",
            subject="Ring upp",
            text="Amira Haddad vill bli uppringd på +46709876543.",
        )
        call_back.status, call_back.sent_at = OutboxStatus.SENT, NOW
        queue_mail(
            db.session, key="other:1", to="x@example.org", subject="Hej", text="Hej Amir Sayed!"
        )
        audit.record(db.session, system(), AuditAction.HOST_ACCEPT, "match", match.id)
        db.session.add(
            AuditEvent(actor_label=user.email, action=AuditAction.LOGIN, subject_type="")
        )
        db.session.commit()

        erase_person(db.session, system(), "newcomer", newcomer_id)
        db.session.commit()
        bodies = {m.idempotency_key: m for m in db.session.scalars(select(OutboxMessage))}
        assert set(bodies) == {
            f"match:{match.id}:host-notified",
            "my-registration-call-back:1",
            "other:1",
        }  # the unsent follow-up about her is withdrawn
        told = bodies[f"match:{match.id}:host-notified"]
        assert told.body_text == "Hej Karin! [raderad] vill träffas. Skriv till [raderad]."
        assert "Amira" not in (told.body_html or "")
        assert bodies["my-registration-call-back:1"].body_text == (
            "[raderad] vill bli uppringd på [raderad]."
        )
        assert bodies["other:1"].body_text == "Hej Amir Sayed!"

        erase_person(db.session, system(), "host", host_id)
        db.session.commit()
        labels = set(db.session.scalars(select(AuditEvent.actor_label)))
        assert user.email not in labels
        assert "raderad person" in labels
        assert not any("karin" in label.lower() for label in labels)


def test_defect_04_retention_reaches_old_mail_batch_files_and_uploads(app, tmp_path):
    from datetime import timedelta

    from avestavard.jobs.scheduler import retention_job
    from avestavard.models import OutboxStatus, PendingUpload
    from avestavard.services.mail import queue_mail

    batches = tmp_path / "batches"
    batches.mkdir()
    app.config.update(LETTER_BATCH_DIR=str(batches))
    old_batch = batches / "valkomstbrev-2025-11-03-4.pdf"  # NOW is 2026-12-01: 13 months
    new_batch = batches / "valkomstbrev-2026-11-28-9.csv"
    for path in (old_batch, new_batch):
        path.write_bytes(b"Amira Haddad")
    with app.app_context():
        for key, status, age in (
            ("sent-long-ago", OutboxStatus.SENT, 100),
            ("failed-long-ago", OutboxStatus.FAILED, 100),
            ("sent-lately", OutboxStatus.SENT, 10),
            ("still-queued", OutboxStatus.QUEUED, 100),
        ):
            message = queue_mail(db.session, key=key, to="a@example.org", subject="Hej", text="x")
            message.status, message.created_at = status, NOW - timedelta(days=age)
            if status == OutboxStatus.SENT:
                message.sent_at = NOW - timedelta(days=age)
        # a register extract and an Excel database, each uploaded a day ago and an hour ago
        for kind, name in (("inmovers", "inflyttade.csv"), ("legacy", "avestavardar.xlsx")):
            for age in (25, 1):
                db.session.add(
                    PendingUpload(
                        kind=kind,
                        token=f"{kind}-{age}",
                        file_name=name,
                        data=b"198501011234;Amira",
                        sha256="0" * 64,
                        created_at=NOW - timedelta(hours=age),
                    )
                )
        db.session.commit()
        detail = retention_job(app, db.session, NOW)
        db.session.commit()
        assert set(db.session.scalars(select(OutboxMessage.idempotency_key))) == {
            "sent-lately",
            "still-queued",
        }
        assert set(db.session.scalars(select(PendingUpload.token))) == {"inmovers-1", "legacy-1"}
    assert sorted(p.name for p in batches.iterdir()) == [new_batch.name]
    assert detail["files"] == {"batch_files": 1}
    assert detail["result"]["old_mail"] == 2 and detail["result"]["stale_uploads"] == 2


def test_defect_07_same_address_cannot_overwrite_an_unconfirmed_registration(app, client):
    import re
    from datetime import UTC, datetime, timedelta

    from avestavard.models import Newcomer, NewcomerStatus, RegistrationConfirmation
    from avestavard.services.retention import purge_expired
    from tests.integration.test_profiles_register import confirm_link

    def links() -> list[str]:
        with app.app_context():
            return [
                confirm_link(m)
                for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            ]

    def stored() -> tuple[str, str | None, str | None, str]:
        with app.app_context():
            n = db.session.scalars(
                select(Newcomer).where(Newcomer.email == "amira.haddad@example.org")
            ).one()
            return n.name, n.area, n.phone, n.past

    owner_answers = ("Amira Haddad", "Krylbo", None, "I worked as an engineer in Aleppo.")
    assert post_registration(client).status_code == 302
    [owner_link] = links()
    assert stored() == owner_answers

    # Someone else types the owner's address (differently cased) with their own answers.
    stranger = app.test_client()
    known = post_registration(
        stranger,
        email=" AMIRA.haddad@example.ORG",
        name="Mallory",
        area="Fors",
        phone="070-999 99 99",
        past="Rewritten.",
    )
    unknown = post_registration(app.test_client(), email="new.person@example.org")
    # The answer is the same as for an address nobody registered.
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]

    # Nothing the owner wrote changed; the stranger's answers wait beside the owner's link.
    assert stored() == owner_answers
    with app.app_context():
        staged = db.session.scalars(
            select(RegistrationConfirmation).where(RegistrationConfirmation.is_change.is_(True))
        ).one()
        assert staged.changes["name"] == "Mallory"
    owner_link_again, staged_link, _other = links()
    assert owner_link_again == owner_link

    # The owner's link still works and confirms what the owner wrote.
    page = client.get(owner_link)
    assert page.status_code == 200
    done = client.post(
        owner_link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    )
    assert done.status_code == 200
    assert stored() == owner_answers
    with app.app_context():
        statuses = set(db.session.scalars(select(Newcomer.status)))
        assert statuses == {NewcomerStatus.WAITING, NewcomerStatus.UNCONFIRMED}

    # "Min anmälan" from the owner's mail shows the owner's answers, not the staged ones.
    with app.app_context():
        first_mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        my_link = re.search(r"https?://[^/\s]+(/min-anmalan/\S+)", first_mail.body_text).group(1)
    mine = client.get(my_link).get_data(as_text=True)
    assert "Krylbo" in mine and "Mallory" not in mine and "Rewritten" not in mine

    # Least data: the staged copy goes when its link expires, and the link with it.
    with app.app_context():
        later = datetime.now(UTC) + timedelta(days=app.config["REGISTRATION_CONFIRM_DAYS"] + 1)
        purge_expired(db.session, later)
        db.session.commit()
        assert db.session.scalars(select(RegistrationConfirmation.changes)).all() == []
    assert client.get(staged_link).status_code == 400
    assert stored() == owner_answers


def test_defect_07_staged_answers_apply_when_the_address_owner_confirms(app, client):
    from avestavard.models import Newcomer, NewcomerStatus
    from tests.integration.test_profiles_register import confirm_link

    assert post_registration(client).status_code == 302
    # The owner lost the first mail and registers again with a correction.
    assert post_registration(client, area="Fors").status_code == 302
    with app.app_context():
        first, second = (
            confirm_link(m)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        )
    page = client.get(second)
    client.post(second, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    with app.app_context():
        newcomer = db.session.scalars(select(Newcomer)).one()
        assert (newcomer.area, newcomer.status) == ("Fors", NewcomerStatus.WAITING)
    # Confirmed: the first link has nothing left to do.
    assert client.get(first).status_code == 400


def test_defect_10_real_letters_searches_lists_and_outbox_are_audit_logged(app, coordinator_client):
    import html as html_module
    import re
    from datetime import date

    from avestavard.models import AuditEvent
    from avestavard.models.letters import LetterBatch, LetterHousehold
    from tests.integration.letters_support import HEADER, import_bytes, personal_number, run

    today = date(2026, 11, 28)
    lines = [
        HEADER,
        f"{personal_number(date(1985, 4, 2), 21)};Anna;Berg;;Storgatan 1;774 30;AVESTA;"
        "2026-11-20;Falun",
    ]
    import_bytes(app, ("\n".join(lines) + "\n").encode(), today=today)
    run(app, today)
    newcomer = add_newcomer(app)
    with app.app_context():
        household = db.session.scalars(select(LetterHousehold.id)).one()
        batch = db.session.scalars(select(LetterBatch.id)).one()
        seen = db.session.scalar(select(db.func.max(AuditEvent.id))) or 0
    last_page = [""]

    def logged_by(path: str) -> list[tuple[str, str, int | None]]:
        """The audit events one page view writes (all the coordinator's)."""
        nonlocal seen
        response = coordinator_client.get(path)
        assert response.status_code == 200, path
        last_page[0] = response.get_data(as_text=True)
        with app.app_context():
            events = db.session.scalars(
                select(AuditEvent).where(AuditEvent.id > seen).order_by(AuditEvent.id)
            ).all()
            seen = max([seen, *(e.id for e in events)])
            assert {e.actor_label for e in events} <= {"samordnare@avesta.example"}
            return [(e.action, e.subject_type, e.subject_id) for e in events]

    # Letters: a real household's preview is a view of it; the made-up sample logs nothing.
    assert logged_by("/coordinator/letters/preview") == []
    assert logged_by(f"/coordinator/letters/preview?household={household}") == [
        ("view", "household", household)
    ]
    page = html_module.unescape(last_page[0])
    assert "Anna Berg" in page
    frame = re.search(r'<iframe[^>]+src="([^"]+)"', page).group(1)
    assert logged_by(frame) == [("view", "household", household)]
    # A batch download names its batch.
    assert logged_by(f"/coordinator/letters/batches/{batch}/csv") == [
        ("download_letter_batch", "letter_batch", batch)
    ]
    assert logged_by("/coordinator/letters/households") == [("view-list", "households", None)]
    assert logged_by("/coordinator/letters/households?q=berg") == [("search", "households", None)]
    assert logged_by(f"/coordinator/letters/households/{household}?q=amira") == [
        ("view", "household", household),
        ("search", "newcomers", None),
    ]
    # Search and lists: one event each, never the words searched for.
    assert logged_by("/coordinator/?q=amira") == [("search", "people", None)]
    assert logged_by("/coordinator/") == [("view-list", "start", None)]
    assert logged_by("/coordinator/hosts") == [("view-list", "hosts", None)]
    assert logged_by("/coordinator/newcomers?q=amira") == [("view-list", "newcomers", None)]
    assert logged_by("/coordinator/matches") == [("view-list", "matches", None)]
    # To match: the list, and the hosts one newcomer may get (against that newcomer).
    assert logged_by("/coordinator/to-match") == [("view-list", "to-match", None)]
    assert logged_by(f"/coordinator/to-match/{newcomer}/hosts") == [
        ("view-list", "newcomer", newcomer)
    ]
    assert logged_by(f"/coordinator/to-match/{newcomer}/hosts?q=karin") == [
        ("search", "newcomer", newcomer)
    ]
    # The outbox names people by address.
    assert logged_by("/coordinator/outbox?person=amira") == [("view-list", "outbox", None)]
    with app.app_context():
        words = db.session.scalars(select(AuditEvent.subject_type)).all()
    assert not {"amira", "berg", "karin"} & {w.lower() for w in words}


# Link secrets as the app signs them (the shape matters to the log, not the signature).
def _secrets() -> dict[str, str]:
    from itsdangerous import URLSafeTimedSerializer

    signer = URLSafeTimedSerializer("any-key", salt="log")
    return {
        name: signer.dumps({"n": f"{name}-SECRET"}).replace(".", "SECRET", 1)
        for name in ("password", "link", "confirm", "mine", "answer", "follow", "unsub")
    }


def _secret_requests(tokens: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/password/{tokens['password']}", {}),
        (f"/login/link/{tokens['link']}", {}),
        (f"/register/confirm/{tokens['confirm']}?lang=en", {}),
        (f"/min-anmalan/{tokens['mine']}/andra", {}),
        (f"/matchning/svar/{tokens['answer']}?lang=sv", {}),
        (f"/matchning/uppfoljning/{tokens['follow']}", {}),
        (f"/unsubscribe/{tokens['unsub']}", {}),
        # a page opened from a link names it as the referrer of its stylesheet
        ("/static/css/app.css", {"Referer": f"http://localhost/password/{tokens['password']}"}),
        ("/coordinator/?q=amira+haddad", {}),
        ("/min-anmalan/skickat", {}),
    ]


def test_defect_11_every_link_route_is_redacted(app):
    from avestavard.access_log import redact_url

    secret = "SeCrEt0123456789abcdefSeCrEt"
    checked = 0
    for rule in app.url_map.iter_rules():
        hidden = {"token", "key"} & set(rule.arguments)
        if not hidden or rule.endpoint.startswith("coordinator."):
            continue  # coordinators' chart keys are names, not secrets
        values = {name: 1 for name in rule.arguments} | dict.fromkeys(hidden, secret)
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **values)
        assert secret not in redact_url(f"GET {path}?lang=sv HTTP/1.1"), rule.rule
        checked += 1
    assert checked >= 12
    assert redact_url("GET /min-anmalan/skickat HTTP/1.1") == "GET /min-anmalan/skickat HTTP/1.1"
    assert redact_url("/coordinator/?q=amira&page=2") == (
        "/coordinator/?q=[redacted]&page=[redacted]"
    )


def test_defect_11_gunicorn_access_log_holds_no_link_secret(app, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from pathlib import Path

    from tests.paths import REPO_ROOT

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "AVESTAVARD_CONFIG": "testing",
        "AVESTAVARD_DATABASE_URL": app.config["DATABASE_URL"],
    }
    errors = tmp_path / "gunicorn.err"
    stderr = errors.open("wb")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--chdir",
            str(REPO_ROOT),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            # the same options as deploy/avestavard-web.service
            "--logger-class",
            "avestavard.access_log.AccessLogger",
            "avestavard:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    tokens = _secrets()
    requests = _secret_requests(tokens)

    def fetch(path: str, headers: dict[str, str]) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch("/", {})
                break
            except OSError:
                assert server.poll() is None, errors.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        for path, headers in requests:
            fetch(path, headers)
    finally:
        server.terminate()
        server.wait(timeout=30)
        stderr.close()
    unit = (REPO_ROOT / "deploy" / "avestavard-web.service").read_text()
    assert "--logger-class avestavard.access_log.AccessLogger" in unit
    written = log.read_text()
    assert written.count("\n") >= len(requests) + 1
    for token in tokens.values():
        assert token not in written
        assert token.split("SECRET")[0] not in written  # no part of it either
    assert "amira" not in written.lower()
    assert "/password/[redacted]" in written and "/min-anmalan/skickat" in written
    assert '"http://localhost/password/[redacted]"' in written  # the referrer
    assert "/coordinator/?q=[redacted]" in written


def test_defect_11_development_server_log_holds_no_link_secret(app):
    import io
    import logging
    import threading
    import urllib.error
    import urllib.request

    from werkzeug.serving import make_server

    written = io.StringIO()
    handler = logging.StreamHandler(written)
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_logger.addHandler(handler)
    level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tokens = _secrets()
    try:
        for path, headers in _secret_requests(tokens):
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.server_port}{path}", headers=headers
            )
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except urllib.error.HTTPError as error:
                error.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        werkzeug_logger.removeHandler(handler)
        werkzeug_logger.setLevel(level)
    lines = written.getvalue()
    assert "/password/[redacted]" in lines and "/min-anmalan/skickat" in lines
    for token in tokens.values():
        assert token not in lines
    assert "amira" not in lines.lower()


def test_defect_11_stored_links_redacted_once_used_or_expired(app, make_user):
    import re
    from datetime import UTC, datetime, timedelta

    from avestavard.models import OutboxStatus, Role, User
    from avestavard.services.accounts import AccountSettings, create_account
    from avestavard.services.retention import purge_expired

    admin = make_user("admin", email="admin@avesta.example")
    now = datetime.now(UTC)
    with app.app_context():
        actor = db.session.get(User, admin.id)
        account_settings = AccountSettings.from_config(app.config)
        links = {
            who: create_account(
                db.session,
                actor,
                email=f"{who}@avesta.example",
                role=Role.COORDINATOR,
                name=who.title(),
                now=now,
                settings=account_settings,
            )
            for who in ("used", "unused", "queued")
        }
        db.session.flush()
        for who, link in links.items():
            if who != "queued":
                link.mail.status, link.mail.sent_at = OutboxStatus.SENT, now
        db.session.commit()
        ids = {who: link.mail.id for who, link in links.items()}
        tokens = {who: link.url.rsplit("/", 1)[1] for who, link in links.items()}

    def stored(who: str) -> tuple[str, str]:
        with app.app_context():
            message = db.session.get(OutboxMessage, ids[who])
            return message.body_text, message.body_html or ""

    for who in links:
        assert all(tokens[who] in body for body in stored(who))

    # Used: the stored copy loses the token at once.
    client = app.test_client()
    path = f"/password/{tokens['used']}"
    page = client.get(path).get_data(as_text=True)
    done = client.post(
        path,
        data={
            "csrf_token": csrf_token_from(page),
            "password": "ett långt nytt lösenord 42",
            "password_again": "ett långt nytt lösenord 42",
        },
    )
    assert done.status_code == 302
    for body in stored("used"):
        assert tokens["used"] not in body
        assert "/password/[…]" in body
    assert re.search(r"/password/[A-Za-z0-9_\-.]{20,}", stored("unused")[0])

    # Still live at night: kept, as the recipient may still need it (the outbox page hides it).
    with app.app_context():
        assert purge_expired(db.session, now + timedelta(hours=1)).redacted_mail == 0
        db.session.commit()
    assert tokens["unused"] in stored("unused")[0]

    # Expired: the nightly sweep hides it; mail still to be sent keeps its link.
    later = now + account_settings.link_max_age + timedelta(minutes=1)
    with app.app_context():
        assert purge_expired(db.session, later).redacted_mail == 1
        db.session.commit()
    for body in stored("unused"):
        assert tokens["unused"] not in body and "/password/[…]" in body
    assert tokens["queued"] in stored("queued")[0]


def test_defect_11_error_logs_hold_no_link_secret(app, tmp_path):
    import io
    import logging
    import sys

    from gunicorn.config import Config

    from avestavard.access_log import AccessLogger

    token = _secrets()["password"]
    # gunicorn's error log, as its worker writes it when a request fails.
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = AccessLogger(config)
    try:
        raise RuntimeError("broken pipe")
    except RuntimeError:
        logger.exception("Error handling request %s", f"/password/{token}?lang=sv")
    for handler in list(logger.error_log.handlers):  # a process-wide logger: leave it clean
        handler.close()
        logger.error_log.removeHandler(handler)
    written = (tmp_path / "error.log").read_text()
    assert "Error handling request /password/[redacted]?lang=[redacted]" in written
    assert token not in written

    # Flask's own line for an exception in a view ("Exception on /path [GET]").
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    app.logger.addHandler(handler)
    try:
        with app.test_request_context(f"/min-anmalan/{token}/andra"):
            try:
                raise RuntimeError("broken")
            except RuntimeError:
                app.log_exception(sys.exc_info())
    finally:
        app.logger.removeHandler(handler)
    assert "Exception on /min-anmalan/[redacted]/andra [GET]" in stream.getvalue()
    assert token not in stream.getvalue()


def test_defect_11_registration_mail_loses_its_links_once_spent(app, client):
    from datetime import UTC, datetime, timedelta

    from avestavard.models import OutboxStatus
    from avestavard.services.retention import purge_expired
    from tests.integration.test_profiles_register import confirm_link

    assert post_registration(client).status_code == 302
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).one()
        mail.status, mail.sent_at = OutboxStatus.SENT, datetime.now(UTC)
        db.session.commit()
        link = confirm_link(mail)
        mail_id = mail.id
    confirm_token = link.split("/register/confirm/")[1].split("?")[0]

    def body() -> str:
        with app.app_context():
            return db.session.get(OutboxMessage, mail_id).body_text

    my_token = body().split("/min-anmalan/")[1].split("?")[0]
    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    # Used: the confirmation link's token goes at once; "Min anmälan" still works, so it stays.
    assert confirm_token not in body() and "/register/confirm/[…]" in body()
    assert my_token in body()
    # Expired: the nightly retention takes the rest.
    later = datetime.now(UTC) + timedelta(days=app.config["MY_REGISTRATION_LINK_DAYS"] + 1)
    with app.app_context():
        assert purge_expired(db.session, later).redacted_mail == 1
        db.session.commit()
    assert my_token not in body() and "/min-anmalan/[…]" in body()
