"""Matchningens ord: coordinators see the profile words the matcher cannot read and teach it
what they mean; the profiles and the proposals read a taught word at once."""

from __future__ import annotations

import html
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from avestavard.extensions import db
from avestavard.models import AuditEvent, User
from avestavard.models.vocabulary import TaughtWord
from avestavard.services import matching_adapter
from avestavard.services.reading import matcher_normalizer
from avestavard.services.search import search
from avestavard.services.vocabulary import unread_words
from tests.conftest import csrf_token_from
from tests.integration.words_support import add_people, host_slugs, stored_as_read_now

PAGE = "/coordinator/matching-words"
SENSITIVE = (
    "Ordet säger något om tro, hälsa, ursprung eller politik. Sådant använder matchningen "
    "aldrig, så det kan inte läras in."
)


def _found(app: Flask, text: str) -> set[str]:
    """Who the coordinators' search box finds for ``text``."""
    with app.app_context():
        return {hit.record.name for hit in search(db.session, text)}


def _shared_interests(app: Flask, newcomer_id: int, host_id: int) -> set[str]:
    """The interests the matcher's reasons name for this pair."""
    with app.app_context():
        for proposal in matching_adapter.compute_proposals(db.session, top_k=3):
            if proposal.newcomer_id != newcomer_id:
                continue
            for candidate in proposal.candidates:
                if candidate.host_id == host_id:
                    return {
                        str(item["id"])
                        for code in candidate.reason_codes
                        if code["code"] == "shared_interests"
                        for item in code["params"]["items"]
                    }
    return set()


def test_coordinators_see_the_unread_words_and_teach_one(
    app: Flask, coordinator_client: FlaskClient
) -> None:
    ids = add_people(app)
    assert stored_as_read_now(app)
    assert "football" not in host_slugs(app, ids["lena"])
    assert "football" not in _shared_interests(app, ids["amir"], ids["lena"])
    assert _found(app, "fotboll") == set()

    page = coordinator_client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="{PAGE}"' in html  # in the menu
    table = html.split('id="unread-words"', 1)[1].split("</table>", 1)[0]
    # Most used first: the club's name by three people, as most of them wrote it; the
    # festival is only guessed (wrongly) by its letters. Words it reads are not listed.
    rows = table.split("<tr>")[2:]
    assert "Krylbo IF" in rows[0] and "<td>3</td>" in rows[0] and "förstås inte" in rows[0]
    assert "Jularbodagarna" in rows[1] and "gissas som hundar" in rows[1]
    assert "svampplockning" not in table and "stickning" not in table
    # A word that tells politics (or faith, health, origin) is never listed, not even with
    # another word beside it.
    assert "moderaterna" not in table.casefold()
    assert len(rows) == 3 and "Krylbo" in rows[2] and "<td>1</td>" in rows[2]
    assert "Lena" not in table and "Amir" not in table  # words and counts, never names
    assert f'href="{PAGE}?word=Krylbo+IF#teach"' in table

    prefilled = coordinator_client.get(f"{PAGE}?word=Krylbo+IF").get_data(as_text=True)
    assert 'value="Krylbo IF"' in prefilled

    # Without the CSRF token nothing is taught.
    refused = coordinator_client.post(PAGE, data={"word": "krylbo if", "interest": "football"})
    assert refused.status_code == 400
    token = csrf_token_from(html)
    # Taught twice, in other spacing and case: still one word, as last typed.
    for typed in ("krylbo  if", "Krylbo IF"):
        done = coordinator_client.post(
            PAGE, data={"word": typed, "interest": "football", "csrf_token": token}
        )
        assert done.status_code == 302
    after = coordinator_client.get(PAGE).get_data(as_text=True)
    # The first teaching read four profiles again (Pia's "Krylbo" is now a guess, below);
    # the second changed no reading.
    assert (
        "Matchningen läser nu ”krylbo if” som fotboll. 4 profiler lästes om. Förslagen "
        "räknas om i natt eller när ni räknar om dem." in after
    )
    assert (
        "Matchningen läser nu ”Krylbo IF” som fotboll. Ingen profil läser ordet annorlunda nu."
        in after
    )
    taught = after.split('id="taught-words"', 1)[1].split("</table>", 1)[0]
    assert "Krylbo IF" in taught and "Fotboll" in taught
    unread = after.split('id="unread-words"', 1)[1].split("</table>", 1)[0]
    assert "Krylbo IF" not in unread
    # Pia's "Krylbo" is now near a listed form by its letters: only a guess, and shown so.
    assert ">Krylbo</th>" in unread and "gissas som fotboll" in unread

    # Every profile holding a word that now reads differently is read again (here also
    # Pia's "Krylbo"), and the matcher reads the word too, also inside a longer word.
    assert stored_as_read_now(app)
    assert "football" in host_slugs(app, ids["lena"])
    assert "football" in _shared_interests(app, ids["amir"], ids["lena"])
    # The search box reads interests the same way: "fotboll" finds who wrote the club (and
    # Pia, by the guess).
    assert _found(app, "fotboll") == {"Lena Berg", "Siv Al", "Amir Said", "Pia Ros"}
    with app.app_context():
        normalizer = matcher_normalizer(db.session)
        assert normalizer.normalize(["Krylbo IF-matcher"])[0].canonical_id == "football"
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "word-taught")
        ).all()
        row = db.session.scalars(select(TaughtWord)).one()
        assert (row.word, row.cleaned) == ("Krylbo IF", "krylbo if")
        assert [e.subject_id for e in events] == [row.id, row.id]
        assert row.taught_by_id == events[0].actor_id

    log = coordinator_client.get("/admin/audit").get_data(as_text=True)
    assert "Lärde matchningen ett ord" in log and "”Krylbo IF”" in log

    # Removed again: read as before.
    removed = coordinator_client.post(
        f"{PAGE}/{row.id}/remove", data={"csrf_token": csrf_token_from(after)}
    )
    assert removed.status_code == 302
    assert (
        "”Krylbo IF” är borttaget. Matchningen läser ordet som innan det lärdes in. "
        "4 profiler lästes om." in coordinator_client.get(PAGE).get_data(as_text=True)
    )
    assert stored_as_read_now(app)
    assert "football" not in host_slugs(app, ids["lena"])
    assert _found(app, "fotboll") == set()
    log = coordinator_client.get("/admin/audit").get_data(as_text=True)
    assert "Tog bort ett inlärt ord" in log and "borttaget inlärt ord" in log
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaughtWord)) == 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "word-forgotten")
            )
            == 1
        )


def test_a_word_taught_wrongly_is_refused_with_what_was_typed_kept(
    app: Flask, coordinator_client: FlaskClient
) -> None:
    token = csrf_token_from(coordinator_client.get(PAGE).get_data(as_text=True))
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"word": "Sörbo", "interest": ""}, "interest", "Välj vilket intresse ordet betyder."),
        ({"word": "", "interest": "football"}, "word", "Skriv ordet."),
        ({"word": "!!", "interest": "football"}, "word", "Skriv ett ord med bokstäver."),
        # Not an interest, or a sensitive one: never taught.
        ({"word": "Sörbo", "interest": "no_such_thing"}, "interest", "Välj ett intresse i listan."),
        ({"word": "Sörbo", "interest": "faith"}, "interest", "Välj ett intresse i listan."),
        # A word that tells politics or faith is never read as a pastime: by its root, or
        # read as politics or a trade union by its stem, with no sensitive root in it.
        ({"word": "Moderaterna", "interest": "football"}, "word", SENSITIVE),
        ({"word": "partiarbetet", "interest": "volunteering"}, "word", SENSITIVE),
        ({"word": "fack", "interest": "crafts"}, "word", SENSITIVE),
        # A word the list already has would change for everyone who wrote it.
        (
            {"word": "Fotboll", "interest": "tennis"},
            "word",
            "”Fotboll” står redan i ordlistan och läses som fotboll.",
        ),
        ({"word": "x" * 81, "interest": "football"}, "word", "Högst 80 tecken."),
    ]
    for data, field, message in cases:
        response = coordinator_client.post(PAGE, data={**data, "csrf_token": token})
        assert response.status_code == 400, data
        html = response.get_data(as_text=True)
        assert f'<p class="error" id="{field}-error">{message}</p>' in html, data
        if data["word"]:
            assert f'value="{data["word"]}"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaughtWord)) == 0


def test_the_page_speaks_english_and_hosts_cannot_use_it(
    app: Flask, coordinator_client: FlaskClient, client: FlaskClient, make_user: Any
) -> None:
    add_people(app)
    english = html.unescape(coordinator_client.get(f"{PAGE}?lang=en").get_data(as_text=True))
    assert "The matcher's words" in english and "not understood" in english
    assert "Teach the matcher the word" in english
    coordinator_client.post("/logout", data={"csrf_token": csrf_token_from(english)})

    from tests.conftest import login

    user = make_user("host", email="varden@example.org")
    assert login(client, user.email).status_code == 302
    assert client.get(PAGE).status_code in (403, 404)
    token = csrf_token_from(client.get("/host/").get_data(as_text=True))
    refused = client.post(PAGE, data={"word": "hoj", "interest": "dogs", "csrf_token": token})
    assert refused.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaughtWord)) == 0


def test_the_list_of_unread_words_says_when_it_is_cut(app: Flask, make_user: Any) -> None:
    add_people(app)
    made = make_user("coordinator")
    with app.app_context():
        coordinator = db.session.get(User, made.id)
        assert coordinator is not None
        shown, total = unread_words(db.session, coordinator, limit=1)
    assert [w.written for w in shown] == ["Krylbo IF"] and total == 3


def test_a_stored_sensitive_word_is_never_read_as_its_pastime(app: Flask) -> None:
    # A row written past the form (an old version, a hand edit) cannot make a word about
    # politics read as a pastime: the app reads taught words through the same guard.
    with app.app_context():
        db.session.add(TaughtWord(word="fack", cleaned="fack", interest_id="crafts"))
        db.session.commit()
        for word in ("fack", "fackets"):
            (item,) = matcher_normalizer(db.session).normalize([word])
            assert item.canonical_id != "crafts" and item.sensitive, word


def test_a_place_guessed_as_a_pastime_is_taught_as_no_pastime(
    app: Flask, coordinator_client: FlaskClient
) -> None:
    ids = add_people(app)
    token = csrf_token_from(coordinator_client.get(PAGE).get_data(as_text=True))
    coordinator_client.post(
        PAGE, data={"word": "Krylbo IF", "interest": "football", "csrf_token": token}
    )
    # Pia's "Krylbo" (the area) is now guessed as football by its letters.
    assert "football" in host_slugs(app, ids["pia"])
    done = coordinator_client.post(
        PAGE, data={"word": "Krylbo", "interest": "none", "csrf_token": token}
    )
    assert done.status_code == 302
    page = coordinator_client.get(PAGE).get_data(as_text=True)
    assert (
        "Matchningen läser nu ”Krylbo” som ett namn, inte ett fritidsintresse, och gissar "
        "inte längre. 1 profil lästes om." in page
    )
    assert "football" not in host_slugs(app, ids["pia"])
    assert "football" in host_slugs(app, ids["lena"])  # the club is still football
    assert stored_as_read_now(app)
    unread = page.split('id="unread-words"', 1)[1].split("</table>", 1)[0]
    taught = page.split('id="taught-words"', 1)[1].split("</table>", 1)[0]
    assert ">Krylbo</th>" not in unread
    assert ">Krylbo</th>" in taught and "Inget fritidsintresse" in taught
