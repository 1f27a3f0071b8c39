"""Believable demo data for ``make run``: loaded only into an empty database."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avestavard.models import Host, HostStatus, Household, Newcomer, NewcomerStatus, Role, User
from avestavard.services.users import create_user

DEMO_PASSWORD = "avesta-demo-2026"
DEMO_SEED = 20261128

_FIRST = [
    "Anna",
    "Erik",
    "Karin",
    "Lars",
    "Maria",
    "Johan",
    "Eva",
    "Per",
    "Sara",
    "Anders",
    "Ingrid",
    "Mikael",
    "Lena",
    "Olle",
    "Elin",
    "Gunnar",
    "Sofia",
    "Björn",
    "Maja",
    "Nils",
]
_LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindqvist",
    "Berg",
    "Holm",
    "Ek",
    "Dahl",
]
_NEW_FIRST = [
    "Amira",
    "Yusuf",
    "Olena",
    "Tomasz",
    "Leila",
    "Ahmed",
    "Sanna",
    "James",
    "Mina",
    "Dawit",
    "Fatima",
    "Pekka",
    "Ana",
    "Omar",
    "Emma",
    "Hassan",
    "Julia",
    "Noor",
]
_NEW_LAST = [
    "Haddad",
    "Kowalski",
    "Shevchenko",
    "Tesfay",
    "Virtanen",
    "Smith",
    "Rahimi",
    "García",
    "Ali",
    "Novak",
    "Mäkinen",
    "Jensen",
]
_AREAS = ["Avesta centrum", "Krylbo", "Fors", "Horndal", "Karlbo", "Bjurfors", "Dalsbo", "Grytnäs"]
_INTERESTS_SV = [
    "fiske",
    "bandy",
    "körsång",
    "vandring",
    "stickning",
    "matlagning",
    "fotboll",
    "skidåkning",
    "bokcirkel",
    "trädgård",
    "svampplockning",
    "hockey",
    "dans",
    "fotografering",
    "lokalhistoria",
    "padel",
    "schack",
    "cykling",
    "bio",
    "jakt",
]
_INTERESTS_EN = [
    "fishing",
    "hiking",
    "cooking",
    "football",
    "knitting",
    "photography",
    "chess",
    "cycling",
    "running",
    "gardening",
    "reading",
    "music",
    "board games",
    "yoga",
]
_PAST_SV = [
    "Jag är född och uppvuxen i Avesta och har jobbat på bruket i trettio år.",
    "Jag flyttade hit från Stockholm för tio år sedan och arbetar som lärare.",
    "Jag kommer från Norrland och har jobbat som sjuksköterska.",
]
_PRESENT_SV = [
    "Jag bor i {area} med min familj och är med i en förening.",
    "Jag är pensionär och tycker om att vara ute i naturen runt Dalälven.",
    "Jag jobbar deltid och tränar ett knattelag på helgerna.",
]
_FUTURE_SV = [
    "Jag vill gärna visa nya Avestabor runt och hjälpa dem att hitta en förening.",
    "Jag hoppas lära känna människor från andra länder.",
]
_THOUGHTS_SV = [
    "Jag kan träffas en gång i månaden, gärna på en fika.",
    "Gärna en familj med barn i samma ålder som mina.",
]
_PAST_EN = [
    "I come from Manchester and worked as an engineer.",
    "I grew up in Kyiv and studied economics.",
    "I lived in Damascus and worked as a pharmacist's assistant.",
]
_PRESENT_EN = [
    "Now I live in {area} and work at the hospital in Avesta.",
    "I am learning Swedish and looking for work in construction.",
]
_FUTURE_EN = [
    "I hope to find friends and a football team for my son.",
    "I want to practise Swedish and get to know the area.",
]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` created."""

    hosts: int
    newcomers: int


def _pick(rng: random.Random, items: list[str], k: int) -> list[str]:
    return rng.sample(items, k)


def load_demo(session: Session, hosts: int = 30, newcomers: int = 30) -> DemoSummary | None:
    """Create the demo accounts and profiles; does nothing (returns None) if any user exists."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    rng = random.Random(DEMO_SEED)
    create_user(
        session,
        email="samordnare@avesta.example",
        password=DEMO_PASSWORD,
        role=Role.COORDINATOR,
        name="Sam Ordnare",
    )
    create_user(
        session,
        email="admin@avesta.example",
        password=DEMO_PASSWORD,
        role=Role.ADMIN,
        name="Ada Admin",
    )
    host_user = create_user(
        session,
        email="vard@avesta.example",
        password=DEMO_PASSWORD,
        role=Role.HOST,
        name="Karin Berg",
    )
    today = date(2026, 11, 1)
    for i in range(hosts):
        name = "Karin Berg" if i == 0 else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        area = rng.choice(_AREAS)
        host = Host(
            name=name,
            email="vard@avesta.example" if i == 0 else f"vard{i:02d}@avesta.example",
            phone=f"+4670{rng.randrange(1000000, 9999999)}",
            birth_year=rng.randrange(1948, 1998),
            area=area,
            household=rng.choice(list(Household)),
            languages=sorted(
                {"sv", *_pick(rng, ["en", "fi", "ar", "de", "es"], rng.randrange(0, 2))}
            ),
            interests_raw=_pick(rng, _INTERESTS_SV, rng.randrange(3, 6)),
            past=rng.choice(_PAST_SV),
            present=rng.choice(_PRESENT_SV).format(area=area),
            future=rng.choice(_FUTURE_SV),
            thoughts=rng.choice(_THOUGHTS_SV),
            capacity=rng.choice([1, 1, 2, 3]),
            status=HostStatus.PAUSED if i % 11 == 5 else HostStatus.ACTIVE,
            interviewer="Sam Ordnare",
            interviewed_on=today - timedelta(days=rng.randrange(10, 400)),
            user=host_user if i == 0 else None,
        )
        session.add(host)
    for i in range(newcomers):
        english = i % 2 == 1
        area = rng.choice(_AREAS)
        registered = datetime(2026, 10, 1, 9, tzinfo=UTC) + timedelta(hours=13 * i)
        session.add(
            Newcomer(
                name=f"{rng.choice(_NEW_FIRST)} {rng.choice(_NEW_LAST)}",
                email=f"ny{i:02d}@example.org",
                moved_in=today - timedelta(days=rng.randrange(5, 200)),
                area=area,
                household=rng.choice(list(Household)),
                birth_year=rng.randrange(1960, 2004),
                preferred_language="en" if english else "sv",
                languages=sorted({"en", *_pick(rng, ["ar", "uk", "pl", "ti", "fi", "sv"], 1)})
                if english
                else ["sv"],
                interests_raw=_pick(rng, _INTERESTS_EN if english else _INTERESTS_SV, 4),
                past=rng.choice(_PAST_EN if english else _PAST_SV),
                present=rng.choice(_PRESENT_EN if english else _PRESENT_SV).format(area=area),
                future=rng.choice(_FUTURE_EN if english else _FUTURE_SV),
                status=NewcomerStatus.WAITING if i % 6 else NewcomerStatus.UNCONFIRMED,
                registered_at=registered,
                confirmed_at=registered + timedelta(hours=2) if i % 6 else None,
                privacy_notice_version="2026-11-01",
            )
        )
    session.flush()
    return DemoSummary(hosts=hosts, newcomers=newcomers)
