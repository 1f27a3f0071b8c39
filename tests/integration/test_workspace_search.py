"""Search: å/ä/ö in any case, a missing diacritic or a typo, phone numbers in any formatting,
interests by synonym, households by residents and address; keys follow every change."""

from __future__ import annotations

from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Host, Newcomer, NewcomerStatus
from avestavard.models.letters import LetterHousehold, Resident
from avestavard.models.search import SearchToken
from avestavard.services.search import search


@pytest.fixture
def people(app):
    with app.app_context():
        asa = Host(
            name="Åsa Öberg",
            email="asa.oberg@example.se",
            phone="+46701184435",
            area="Krylbo",
            interests_raw=["fotografering", "brädspel"],
        )
        other = Host(name="Anders Berg", phone="+46706123100", area="Fors", interests_raw=["fiske"])
        newcomer = Newcomer(
            name="Yusuf Ali",
            email="yusuf@example.org",
            phone="+46737001122",
            area="Avesta centrum",
            status=NewcomerStatus.WAITING,
            interests_raw=["fotboll"],
        )
        household = LetterHousehold(
            household_key="k1",
            street="Kungsgatan 12",
            postcode="774 30",
            town="Avesta",
            moved_in=date(2026, 10, 1),
        )
        household.residents.append(
            Resident(
                person_key="p1", first_name="Märta", last_name="Ström", birth_date=date(1980, 1, 2)
            )
        )
        db.session.add_all([asa, other, newcomer, household])
        db.session.commit()
        return {
            "asa": asa.id,
            "other": other.id,
            "newcomer": newcomer.id,
            "household": household.id,
        }


def found(app, text: str) -> list[tuple[str, int]]:
    with app.app_context():
        return [(hit.kind, hit.ref_id) for hit in search(db.session, text)]


@pytest.mark.parametrize(
    "text",
    [
        "öberg",
        "ÖBERG",
        "oberg",
        "ÅSA",
        "asa öberg",
        "Öbreg",  # two letters swapped
        "070-118 44 35",
        "0701184435",
        "+46 70 118 44 35",
        "asa.oberg@example.se",
        "foto",  # a synonym of the interest "photography"
    ],
)
def test_finds_asa_oberg(app, people, text):
    assert found(app, text)[0] == ("host", people["asa"])


def test_every_word_must_match_and_kinds_are_kept_apart(app, people):
    assert found(app, "åsa fors") == []
    assert found(app, "berg") == [("host", people["other"])]
    assert found(app, "Krylbo") == [("host", people["asa"])]
    assert found(app, "yusuf") == [("newcomer", people["newcomer"])]
    assert found(app, "fotboll") == [("newcomer", people["newcomer"])]


def test_households_by_resident_and_address(app, people):
    assert found(app, "marta strom") == [("household", people["household"])]
    assert found(app, "kungsgatan") == [("household", people["household"])]


def test_keys_follow_changes_and_erasure(app, people):
    with app.app_context():
        host = db.session.get(Host, people["asa"])
        host.name = "Åsa Lind"
        host.email = "asa.lind@example.se"
        db.session.commit()
    assert ("host", people["asa"]) not in found(app, "öberg")
    assert found(app, "lind") == [("host", people["asa"])]
    with app.app_context():
        db.session.delete(db.session.get(Host, people["asa"]))
        db.session.delete(db.session.get(LetterHousehold, people["household"]))
        db.session.commit()
        left = db.session.execute(select(SearchToken.kind, SearchToken.ref_id).distinct()).all()
    assert sorted(left) == [("host", people["other"]), ("newcomer", people["newcomer"])]
    assert found(app, "lind") == []
    assert found(app, "kungsgatan") == []


def test_start_page_answers_a_query(app, people, coordinator_client):
    page = unescape(coordinator_client.get("/coordinator/?q=oberg").get_data(as_text=True))
    assert "Åsa Öberg" in page
    assert "Anders Berg" not in page
