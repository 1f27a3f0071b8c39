"""Demo data for ``make run``: a Monday morning in the programme, loaded only into an empty
database.

A coordinator who logs in finds every part of the product in use:

- 30 AvestaVärdar and 30 newcomers with Swedish and English profiles, their interests linked to
  the matcher's canonical interests; some newcomers have not confirmed yet, some hosts pause;
- the matcher's proposals for everyone who waits, one of them waiting again after a host
  said no;
- matches in each state: Karin Berg (the demo host's account) was asked yesterday and has not
  answered; a host accepted but the newcomer has no email (introduce by phone); a pair
  introduced this week whose introduction email bounced; two pairs introduced about 40 days ago,
  one met (both answered the follow-up: fit 5), in the other the newcomer answered "we have not
  met", fit 2 (highlighted on the matches page); one host declined with a reason; one match
  ended; the coordinator's notes on the pages of two newcomers and a host; the newcomer who
  had waited longest paused the registration yesterday evening ("not now, maybe in spring");
- the outbox: the emails of those steps, sent; one refused by the server (550), one whose fate is
  unknown; today's welcome letter by email waiting for the sender;
- welcome letters: 60 households that moved to Avesta in the last 15 months, imported month by
  month from the register's extracts; the letters due ran on the first day of each month, each
  run with its print batch (PDF and address list), so the figures have letters in every month;
  this morning's extract holds the households of two registered newcomers (linked one
  automatically, one by hand) and today's letters run;
- the programme's earlier months: from 20 months back until the current newcomers came, a
  few newcomers each month registered, waited, were matched, met their host and left the
  programme (closed), so that the figures page has a history to chart.

Every step goes through the real services at an explicit time counted back from ``now``, in the
order it happened, so states, timestamps, mail and audit log tell one consistent story. A seeded
random generator fills in the rest: the same ``now`` gives the same data.

Demo-only shortcuts, which the application itself never takes: the outbox states are written
directly (the demo sends no mail), the earlier months' newcomers and matches are written
directly step by step (no mail, no audit trail; the figures' event log records each step on
its own date as it does for the services), and the creation times that the services take
from the clock (column defaults) are moved to when each step happened (:func:`_happening_at`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from avestavard.imports.inmovers_csv import luhn_valid, parse_inmovers
from avestavard.models import (
    AuditEvent,
    FollowUpSide,
    Host,
    HostStatus,
    HouseholdType,
    MatchState,
    Newcomer,
    NewcomerStatus,
    OutboxMessage,
    OutboxStatus,
    ProposalStatus,
    Role,
    User,
)
from avestavard.models.letters import Letter, LetterBatch, LetterHousehold, Resident
from avestavard.models.matches import Match, MatchFollowUp, MatchProposal
from avestavard.services import matching_adapter
from avestavard.services.calendar_months import add_months
from avestavard.services.letters import (
    ImportReport,
    LetterSettings,
    import_inmovers,
    link_newcomer,
    run_letters,
)
from avestavard.services.matches import (
    MatchSettings,
    accept_by_link,
    answer_token,
    approve_match,
    assign_other_host,
    decline_by_link,
    end_match,
    follow_up_token,
    mark_met,
    recompute_proposals,
    record_follow_up_answer,
    send_follow_ups,
)
from avestavard.services.my_registration import pause
from avestavard.services.notes import PersonKind, add_note
from avestavard.services.profiles import set_interests
from avestavard.services.reading import matcher_normalizer
from avestavard.services.users import create_user

DEMO_PASSWORD = "avesta-demo-2026"  # noqa: S105  (printed by make run; demo data only)
DEMO_SEED = 20261128
# Months of history before the current newcomers (who registered in the last four months).
HISTORY_MONTHS = 20
COORDINATOR_EMAIL = "samordnare@avesta.example"
ADMIN_EMAIL = "admin@avesta.example"
HOST_EMAIL = "vard@avesta.example"

# Any row in one of these tables means the database is in use: the demo is not loaded.
_IN_USE: tuple[type[Any], ...] = (User, Host, Newcomer, Match, LetterHousehold, OutboxMessage)

_FIRST = [
    *("Anna", "Erik", "Lars", "Maria", "Johan", "Eva", "Per", "Sara", "Anders", "Ingrid"),
    *("Mikael", "Lena", "Olle", "Elin", "Gunnar", "Sofia", "Björn", "Maja", "Nils", "Britt"),
]
_LAST = [
    *("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"),
    *("Persson", "Svensson", "Gustafsson", "Lindqvist", "Holm", "Ek", "Dahl", "Öberg"),
]
_NEW_FIRST = [
    *("Yusuf", "Olga", "Marek", "Samira", "Hamid", "Sanna", "Liam", "Mina", "Abel", "Fatima"),
    *("Jussi", "Ana", "Omar", "Emma", "Hassan", "Julia", "Noor", "Ivan", "Zainab", "Lucas"),
]
_NEW_LAST = [
    *("Nasser", "Nowak", "Bondarenko", "Gebremedhin", "Korhonen", "Brown", "Karimi"),
    *("López", "Yusuf", "Horvat", "Lehtonen", "Nielsen", "Mohammed", "Petrenko"),
]
_AREAS = ["Avesta centrum", "Krylbo", "Fors", "Horndal", "Karlbo", "Bjurfors", "Dalsbo", "Grytnäs"]
_INTERESTS_SV = [
    *("fiske", "bandy", "körsång", "vandring", "stickning", "matlagning", "fotboll"),
    *("skidåkning", "bokcirkel", "trädgård", "svampplockning", "hockey", "dans"),
    *("fotografering", "lokalhistoria", "padel", "schack", "cykling", "bio", "jakt"),
]
_INTERESTS_EN = [
    *("fishing", "hiking", "cooking", "football", "knitting", "photography", "chess"),
    *("cycling", "running", "gardening", "reading", "music", "board games", "yoga"),
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

# The register extract: Avesta's postcodes and towns, and street names for each.
_POSTAL_AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("774 30", "AVESTA", ("Kungsgatan", "Sveagatan", "Kyrkogatan", "Torggatan", "Bruksgatan")),
    ("774 33", "AVESTA", ("Markusvägen", "Aspstigen", "Herrgårdsvägen", "Skogsgatan")),
    ("774 40", "KRYLBO", ("Stationsgatan", "Krylbovägen", "Backvägen", "Smedjebacksvägen")),
    ("774 42", "KARLBO", ("Karlbovägen", "Furuvägen", "Björkvägen", "Fabriksgatan")),
    ("774 60", "FORS", ("Forsvägen", "Ängsgatan", "Villagränd", "Kvarngatan")),
    ("774 70", "HORNDAL", ("Bruksvägen", "Hyttgatan", "Aspgränd", "Genvägen")),
)
_REGISTER_FIRST = [
    *("Åsa", "Örjan", "Märta", "Björn", "Anna", "Omar", "Fatima", "Lars", "Eva", "Karl"),
    *("Ingrid", "Mohammed", "Olena", "Sven", "Agnes", "Ali", "Kerstin", "Tobias", "Hanna"),
]
_REGISTER_LAST = [
    *("Öberg", "Åkesson", "Ström", "Hassan", "Lindqvist", "Nyström", "Berg", "Ali"),
    *("Melnyk", "Sjöberg", "Holmgren", "Abdi", "Wikström", "Jönsson", "Mäkelä"),
]
_PREVIOUS_MUNICIPALITIES = ["Uppsala", "Stockholm", "Falun", "Sala", "Hedemora", "Fagersta"]
_REGISTER_HEADER = (
    "Personnummer;Förnamn;Efternamn;c/o;Utdelningsadress;Postnummer;Postort;"
    "Inflyttningsdatum;Tidigare kommun"
)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class DemoSettings:
    """What the demo needs from the configuration: the matches' and the letters' settings."""

    matches: MatchSettings
    letters: LetterSettings

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DemoSettings:
        """Read both from a Flask config (``SECRET_KEY``, ``PUBLIC_BASE_URL`` ...)."""
        return cls(MatchSettings.from_config(config), LetterSettings.from_mapping(config))


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` created."""

    hosts: int
    newcomers: int  # in the programme today (the story's and those who wait)
    earlier_newcomers: int  # of the earlier months, who have left the programme
    matches: int
    proposals: int
    households: int
    letters: int
    emails: int


# --------------------------------------------------------------------------- the people


@dataclass(frozen=True)
class _StoryNewcomer:
    """A newcomer the demo's story is about, with a fixed profile."""

    name: str
    email: str | None
    phone: str | None
    birth_year: int
    area: str
    household: HouseholdType
    languages: tuple[str, ...]
    preferred_language: str
    interests: tuple[str, ...]
    past: str
    present: str
    future: str
    wishes: str
    registered_days_ago: int
    moved_in_days_ago: int
    street_address: str | None = None
    letters_by_email: bool = False


_STORY: dict[str, _StoryNewcomer] = {
    # Introduced four months ago, met, both happy; the match ended when he moved away.
    "ended": _StoryNewcomer(
        name="Pekka Virtanen",
        email="pekka.virtanen@example.org",
        phone="+46702345671",
        birth_year=1979,
        area="Karlbo",
        household=HouseholdType.SINGLE,
        languages=("fi", "sv"),
        preferred_language="sv",
        interests=("fiske", "jakt", "skidåkning", "bastu"),
        past="Jag kommer från Tammerfors och har jobbat som svetsare.",
        present="Jag bor i Karlbo och jobbar på Outokumpu.",
        future="Jag vill lära känna folk som fiskar och kanske hitta ett jaktlag.",
        wishes="Gärna någon som har båt.",
        registered_days_ago=160,
        moved_in_days_ago=175,
    ),
    # Introduced about 40 days ago; both answered the follow-up: met, fit 5. His household is
    # in the register extract: linked automatically (same name and street), letters by email.
    "met": _StoryNewcomer(
        name="James Smith",
        email="james.smith@example.org",
        phone="+46703456782",
        birth_year=1986,
        area="Avesta centrum",
        household=HouseholdType.FAMILY,
        languages=("en",),
        preferred_language="en",
        interests=("football", "hiking", "board games", "photography"),
        past="I come from Manchester and worked as an engineer.",
        present="Now I live in Avesta with my wife and two boys and work at the hospital.",
        future="I hope to find friends and a football team for my sons.",
        wishes="A family with children, if possible.",
        registered_days_ago=58,
        moved_in_days_ago=62,
        street_address="Sveagatan 14",
        letters_by_email=True,
    ),
    # Introduced about 40 days ago; answered the follow-up: we have not met, fit 2.
    "not_met": _StoryNewcomer(
        name="Dawit Tesfay",
        email="dawit.tesfay@example.org",
        phone="+46704567893",
        birth_year=1995,
        area="Horndal",
        household=HouseholdType.SINGLE,
        languages=("ti", "en", "sv"),
        preferred_language="en",
        interests=("running", "football", "cooking", "chess"),
        past="I grew up in Asmara and studied mechanics.",
        present="I live in Horndal, work evenings and learn Swedish in the mornings.",
        future="I want to practise Swedish and find people to run with.",
        wishes="Someone who can meet at weekends.",
        registered_days_ago=50,
        moved_in_days_ago=80,
    ),
    # The host declined a week ago: she waits again and the host is not proposed again.
    "declined": _StoryNewcomer(
        name="Leila Rahimi",
        email="leila.rahimi@example.org",
        phone=None,
        birth_year=1990,
        area="Avesta centrum",
        household=HouseholdType.COUPLE,
        languages=("fa", "en"),
        preferred_language="en",
        interests=("knitting", "cooking", "gardening", "yoga"),
        past="I lived in Shiraz and worked as an architect.",
        present="My husband and I moved to Avesta in the summer.",
        future="I would love to find a garden to share and to speak more Swedish.",
        wishes="",
        registered_days_ago=20,
        moved_in_days_ago=110,
    ),
    # The host accepted four days ago; the introduction email bounced (550): call him.
    "introduced": _StoryNewcomer(
        name="Tomasz Kowalski",
        email="tomasz.kowalski@example.org",
        phone="+46705678904",
        birth_year=1988,
        area="Fors",
        household=HouseholdType.COUPLE,
        languages=("pl", "en"),
        preferred_language="en",
        interests=("football", "cycling", "cooking", "fishing"),
        past="I grew up in Gdańsk and worked as an electrician.",
        present="I live in Fors with my partner and work at a building firm.",
        future="I want to find a cycling group and learn Swedish.",
        wishes="",
        registered_days_ago=15,
        moved_in_days_ago=45,
    ),
    # The host accepted; he has no email, so a coordinator introduces him by phone.
    "accepted": _StoryNewcomer(
        name="Ahmed Ali",
        email=None,
        phone="+46706789015",
        birth_year=1981,
        area="Grytnäs",
        household=HouseholdType.FAMILY,
        languages=("ar", "sv"),
        preferred_language="sv",
        interests=("fotboll", "matlagning", "fiske"),
        past="Jag kommer från Aleppo och var lärare i matematik.",
        present="Jag bor i Grytnäs med min fru och tre barn och läser SFI.",
        future="Jag vill hitta ett jobb och vänner till barnen.",
        wishes="En familj med barn.",
        registered_days_ago=9,
        moved_in_days_ago=30,
    ),
    # Approved for Karin Berg yesterday: the demo host sees a match waiting for her answer.
    "karin": _StoryNewcomer(
        name="Olena Shevchenko",
        email="olena.shevchenko@example.org",
        phone="+46707890126",
        birth_year=1983,
        area="Krylbo",
        household=HouseholdType.FAMILY,
        languages=("uk", "en"),
        preferred_language="en",
        interests=("choir singing", "fishing", "mushroom picking", "hiking"),
        past="I grew up in Lviv and worked as a music teacher.",
        present="Now I live in Krylbo with my husband and our two children.",
        future="I hope to find a choir and friends for the whole family.",
        wishes="A family with children would be wonderful.",
        registered_days_ago=12,
        moved_in_days_ago=40,
    ),
    # Waits for a host. Her household is in the extract with the street written differently
    # (3B / 3 B), so a coordinator linked it by hand: her letter is printed in Arabic.
    "linked_by_hand": _StoryNewcomer(
        name="Amira Haddad",
        email="amira.haddad@example.org",
        phone="+46708901237",
        birth_year=1992,
        area="Avesta centrum",
        household=HouseholdType.FAMILY,
        languages=("ar", "en"),
        preferred_language="ar",
        interests=("matlagning", "stickning", "promenader", "bakning"),
        past="Jag bodde i Damaskus och arbetade som apotekstekniker.",
        present="Jag bor i Avesta centrum med min man och vår dotter.",
        future="Jag vill öva svenska och hitta en öppen förskola.",
        wishes="Gärna en kvinna i min ålder.",
        registered_days_ago=30,
        moved_in_days_ago=200,
        street_address="Kyrkogatan 3 B",
    ),
}

# The two story households in the register extract: (story key, street, postcode, town, people).
_STORY_HOUSEHOLDS: tuple[tuple[str, str, str, str, tuple[tuple[str, str, int], ...]], ...] = (
    (
        "met",
        "Sveagatan 14",
        "774 30",
        "AVESTA",
        (("James", "Smith", 40), ("Claire", "Smith", 38), ("Oliver", "Smith", 9)),
    ),
    (
        "linked_by_hand",
        "Kyrkogatan 3B",
        "774 30",
        "AVESTA",
        (("Amira", "Haddad", 34), ("Karim", "Haddad", 37), ("Lina", "Haddad", 4)),
    ),
)


# A household's move-in date and its lines in a register extract.
_RegisterHousehold = tuple[date, list[str]]


# --------------------------------------------------------------------------- loading


def database_in_use(session: Session) -> bool:
    """True when any account, person, match, household or email is stored."""
    return any(session.scalar(select(model.id).limit(1)) is not None for model in _IN_USE)


def load_demo(
    session: Session,
    *,
    now: datetime,
    settings: DemoSettings,
    hosts: int = 30,
    newcomers: int = 30,
    households: int = 60,
    history_months: int = HISTORY_MONTHS,
) -> DemoSummary | None:
    """Load the demo as it stands at ``now``; does nothing (returns None) on a database in use.

    ``history_months`` of earlier newcomers precede today's (0: today's programme only).

    Flushes, never commits: the caller commits once, so a demo is loaded whole or not at all.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if database_in_use(session):
        return None
    demo = _Demo(session, now.astimezone(UTC), settings)
    demo.accounts()
    demo.hosts(hosts)
    demo.history(months=history_months)
    demo.newcomers(max(newcomers - len(_STORY), 0))
    demo.story()
    demo.pause_one(demo.day(1, 19, 20))
    demo.settle_outbox()
    demo.letters(households)
    demo.recompute(demo.now)
    demo.settle_clock_columns()
    session.flush()
    return DemoSummary(
        hosts=_count(session, Host),
        newcomers=_count(session, Newcomer) - demo.earlier_newcomers,
        earlier_newcomers=demo.earlier_newcomers,
        matches=_count(session, Match),
        proposals=session.scalar(
            select(func.count())
            .select_from(MatchProposal)
            .where(MatchProposal.status == ProposalStatus.OPEN)
        )
        or 0,
        households=_count(session, LetterHousehold),
        letters=_count(session, Letter),
        emails=_count(session, OutboxMessage),
    )


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# Columns the services fill from the clock (their defaults) when they create a row.
_CLOCK_COLUMNS: tuple[tuple[type[Any], tuple[str, ...]], ...] = (
    (AuditEvent, ("at",)),
    (OutboxMessage, ("created_at", "next_attempt_at")),
    (User, ("created_at",)),
    (LetterHousehold, ("created_at",)),
    (Resident, ("created_at",)),
    (Letter, ("created_at",)),
    (LetterBatch, ("created_at", "completed_at")),
)


@contextmanager
def _happening_at(session: Session, moment: datetime) -> Iterator[None]:
    """Demo-only: the rows created inside the block get ``moment`` as their creation time.

    The services stamp new rows with the clock; the demo tells a story over months, so audit
    events, emails, accounts and letters are moved to the moment their step happened.
    """
    marks = {model: session.scalar(select(func.max(model.id))) or 0 for model, _ in _CLOCK_COLUMNS}
    yield
    session.flush()
    for model, names in _CLOCK_COLUMNS:
        session.execute(
            update(model)
            .where(model.id > marks[model])
            .values(dict.fromkeys(names, moment))
            .execution_options(synchronize_session=False)
        )


class _Demo:
    """The demo's story, step by step, each at its own time."""

    def __init__(self, session: Session, now: datetime, settings: DemoSettings) -> None:
        self.session = session
        # Every profile is read with one normaliser (with the taught words, of which an
        # empty database has none).
        self.normalizer = matcher_normalizer(session)
        self.now = now
        self.today = now.date()
        self.settings = settings
        self.rng = random.Random(DEMO_SEED)  # noqa: S311  (reproducible made-up data)
        self.story_newcomers: dict[str, Newcomer] = {}
        self.story_matches: dict[str, Match] = {}
        self.used_names = {story.name for story in _STORY.values()}
        self.earlier_newcomers = 0

    # ----------------------------------------------------------------------- time

    def day(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        """``hour:minute`` UTC on the day ``days_ago`` days before today."""
        return datetime.combine(
            self.today - timedelta(days=days_ago), time(hour, minute), tzinfo=UTC
        )

    def at(self, moment: datetime) -> AbstractContextManager[None]:
        """Run a step at ``moment`` (see :func:`_happening_at`)."""
        return _happening_at(self.session, moment)

    # ----------------------------------------------------------------------- people

    def accounts(self) -> None:
        """The three demo logins; Karin Berg's is linked to her host profile below."""
        with self.at(self.day(400, 9)):
            self.coordinator = create_user(
                self.session,
                email=COORDINATOR_EMAIL,
                password=DEMO_PASSWORD,
                role=Role.COORDINATOR,
                name="Sam Ordnare",
            )
            create_user(
                self.session,
                email=ADMIN_EMAIL,
                password=DEMO_PASSWORD,
                role=Role.ADMIN,
                name="Ada Admin",
            )
        with self.at(self.day(300, 14)):
            self.host_user = create_user(
                self.session,
                email=HOST_EMAIL,
                password=DEMO_PASSWORD,
                role=Role.HOST,
                name="Karin Berg",
            )

    def hosts(self, count: int) -> None:
        """Karin Berg (the demo host) and ``count - 1`` more, interviewed over two years."""
        rng = self.rng
        interviewed = self.today - timedelta(days=300)
        self.karin = self._add_host(
            Host(
                name="Karin Berg",
                email=HOST_EMAIL,
                phone="+46701234567",
                birth_year=1968,
                area="Krylbo",
                household=HouseholdType.FAMILY,
                languages=["en", "sv"],
                past="Jag är född i Krylbo och har varit lärare i trettio år.",
                present="Jag bor i Krylbo med min man och två tonåringar och sjunger i kören.",
                future="Jag vill gärna visa nya Avestabor runt och hitta en kör åt dem.",
                thoughts="Gärna en familj med barn. Jag kan träffas varannan vecka.",
                capacity=2,
                status=HostStatus.ACTIVE,
                interviewer="Sam Ordnare",
                interviewed_on=interviewed,
                user=self.host_user,
            ),
            ["fiske", "körsång", "svampplockning", "vandring"],
        )
        used = {"Karin Berg"}
        for i in range(1, count):
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            while name in used:
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            used.add(name)
            area = rng.choice(_AREAS)
            host = Host(
                name=name,
                email=f"vard{i:02d}@avesta.example",
                phone=f"+4670{rng.randrange(1000000, 9999999)}",
                birth_year=rng.randrange(1948, 1998),
                area=area,
                household=rng.choice(list(HouseholdType)),
                languages=sorted(
                    {"sv", *rng.sample(["en", "fi", "ar", "de", "es"], rng.randrange(0, 2))}
                ),
                past=rng.choice(_PAST_SV),
                present=rng.choice(_PRESENT_SV).format(area=area),
                future=rng.choice(_FUTURE_SV),
                thoughts=rng.choice(_THOUGHTS_SV),
                capacity=rng.choice([1, 1, 2, 3]),
                status=HostStatus.PAUSED if i % 11 == 5 else HostStatus.ACTIVE,
                interviewer="Sam Ordnare",
                # Spread over about two years; one draw of the same range per host keeps the
                # rest of the demo's random sequence (and so its story) as it is.
                interviewed_on=self.today
                - timedelta(days=10 + (rng.randrange(10, 400) - 10) * 7 // 4),
            )
            self._add_host(host, rng.sample(_INTERESTS_SV, rng.randrange(3, 6)))

    def _add_host(self, host: Host, interests: list[str]) -> Host:
        if host.interviewed_on is None:
            raise ValueError("the demo's hosts were all interviewed")
        host.created_at = host.updated_at = datetime.combine(
            host.interviewed_on, time(10), tzinfo=UTC
        )
        self.session.add(host)
        set_interests(self.session, host, interests, self.normalizer)
        return host

    def newcomers(self, count: int) -> None:
        """The story's newcomers and ``count`` more who registered over the last four months."""
        for key, story in _STORY.items():
            registered = self.day(story.registered_days_ago, 18, 30)
            newcomer = Newcomer(
                name=story.name,
                email=story.email,
                phone=story.phone,
                moved_in=self.today - timedelta(days=story.moved_in_days_ago),
                area=story.area,
                street_address=story.street_address,
                household=story.household,
                birth_year=story.birth_year,
                preferred_language=story.preferred_language,
                languages=list(story.languages),
                past=story.past,
                present=story.present,
                future=story.future,
                wishes=story.wishes,
                status=NewcomerStatus.WAITING,
                letters_by_email=story.letters_by_email,
                registered_at=registered,
                confirmed_at=registered + timedelta(hours=1),
                updated_at=registered + timedelta(hours=1),
                privacy_notice_version="2026-11-01",
            )
            self.session.add(newcomer)
            set_interests(self.session, newcomer, story.interests, self.normalizer)
            self.story_newcomers[key] = newcomer
        rng = self.rng
        used = self.used_names
        for i in range(count):
            english = i % 2 == 1
            area = rng.choice(_AREAS)
            name = f"{rng.choice(_NEW_FIRST)} {rng.choice(_NEW_LAST)}"
            while name in used:
                name = f"{rng.choice(_NEW_FIRST)} {rng.choice(_NEW_LAST)}"
            used.add(name)
            registered = self.day(rng.randrange(1, 120), rng.randrange(7, 22), rng.randrange(60))
            # Every sixth has not confirmed the email yet (or not been called).
            confirmed = registered + timedelta(hours=2) if i % 6 else None
            newcomer = Newcomer(
                name=name,
                email=f"ny{i:02d}@example.org",
                moved_in=registered.date() - timedelta(days=rng.randrange(5, 90)),
                area=area,
                household=rng.choice(list(HouseholdType)),
                birth_year=rng.randrange(1960, 2004),
                preferred_language="en" if english else "sv",
                languages=sorted({"en", *rng.sample(["ar", "uk", "pl", "ti", "fi", "sv"], 1)})
                if english
                else ["sv"],
                past=rng.choice(_PAST_EN if english else _PAST_SV),
                present=rng.choice(_PRESENT_EN if english else _PRESENT_SV).format(area=area),
                future=rng.choice(_FUTURE_EN if english else _FUTURE_SV),
                status=NewcomerStatus.WAITING if confirmed else NewcomerStatus.UNCONFIRMED,
                registered_at=registered,
                confirmed_at=confirmed,
                updated_at=confirmed or registered,
                privacy_notice_version="2026-11-01",
            )
            self.session.add(newcomer)
            set_interests(
                self.session,
                newcomer,
                rng.sample(_INTERESTS_EN if english else _INTERESTS_SV, 4),
                self.normalizer,
            )
        self.session.flush()

    # ----------------------------------------------------------------------- history

    def history(self, months: int) -> None:
        """Newcomers of the months ``months`` to 4 months back: each registered, waited, was
        matched with a host interviewed before, met and left the programme; one flush per step
        of each month, so every state change is recorded on its own date."""
        rng = random.Random(DEMO_SEED + 1)  # noqa: S311  (reproducible made-up data)
        hosts = sorted(
            (h for h in self.session.scalars(select(Host)) if h is not self.karin),
            key=lambda h: (h.created_at, h.name),
        )
        latest_end = self.day(3, 12)
        this_month = self.today.replace(day=1)
        for ago in range(months, 3, -1):
            first = add_months(this_month, -ago)
            length = (add_months(first, 1) - first).days
            # A programme that grows: more newcomers in later months.
            count = 2 + rng.randrange(3) + (months - ago) // 4
            pairs: list[tuple[Newcomer, Host, list[datetime]]] = []
            for _ in range(count):
                registered = datetime.combine(
                    first + timedelta(days=rng.randrange(length)),
                    time(rng.randrange(7, 21), rng.randrange(60)),
                    tzinfo=UTC,
                )
                confirmed = registered + timedelta(hours=2)
                approved = confirmed + timedelta(days=rng.randint(4, 45), hours=3)
                free = [h for h in hosts if h.created_at < approved]
                if not free:
                    continue
                accepted = approved + timedelta(days=rng.randint(1, 4), hours=5)
                met = accepted + timedelta(days=rng.randint(5, 20))
                ended = min(met + timedelta(days=rng.randint(30, 150)), latest_end)
                english = rng.random() < 0.5
                area = rng.choice(_AREAS)
                name = f"{rng.choice(_NEW_FIRST)} {rng.choice(_NEW_LAST)}"
                while name in self.used_names:
                    name = f"{rng.choice(_NEW_FIRST)} {rng.choice(_NEW_LAST)}"
                self.used_names.add(name)
                newcomer = Newcomer(
                    name=name,
                    moved_in=registered.date() - timedelta(days=rng.randrange(5, 90)),
                    area=area,
                    household=rng.choice(list(HouseholdType)),
                    birth_year=rng.randrange(1960, 2004),
                    preferred_language="en" if english else "sv",
                    languages=["en"] if english else ["sv"],
                    past=rng.choice(_PAST_EN if english else _PAST_SV),
                    present=rng.choice(_PRESENT_EN if english else _PRESENT_SV).format(area=area),
                    future=rng.choice(_FUTURE_EN if english else _FUTURE_SV),
                    status=NewcomerStatus.WAITING,
                    registered_at=registered,
                    confirmed_at=confirmed,
                    updated_at=confirmed,
                    privacy_notice_version="2026-11-01",
                )
                self.session.add(newcomer)
                set_interests(
                    self.session,
                    newcomer,
                    rng.sample(_INTERESTS_EN if english else _INTERESTS_SV, 3),
                    self.normalizer,
                )
                pairs.append((newcomer, rng.choice(free), [approved, accepted, met, ended]))
            self.session.flush()
            self.earlier_newcomers += len(pairs)
            matches = []
            for newcomer, host, (approved, *_) in pairs:
                matches.append(
                    Match(
                        newcomer_id=newcomer.id,
                        host_id=host.id,
                        state=MatchState.HOST_NOTIFIED,
                        source="matcher",
                        approved_at=approved,
                        approved_by_id=self.coordinator.id,
                        host_notified_at=approved + timedelta(minutes=15),
                        created_at=approved,
                        updated_at=approved,
                    )
                )
                newcomer.status = NewcomerStatus.MATCHED
            self.session.add_all(matches)
            self.session.flush()
            for match, (_, _, (_, accepted, _, _)) in zip(matches, pairs, strict=True):
                match.accepted_at = accepted
                match.introduced_at = accepted + timedelta(hours=1)
                match.state = MatchState.INTRODUCED
            self.session.flush()
            for match, (_, _, (_, _, met, _)) in zip(matches, pairs, strict=True):
                match.met_at = met
                match.state = MatchState.MET
            self.session.flush()
            for match, (newcomer, _, (_, _, _, ended)) in zip(matches, pairs, strict=True):
                match.ended_at = ended
                match.end_reason = "Paret har haft sina träffar och avslutar programmet."
                match.state = MatchState.ENDED
                newcomer.status = NewcomerStatus.CLOSED
            self.session.flush()

    # ----------------------------------------------------------------------- matches

    def story(self) -> None:
        """The matches, in the order things happened (the nightly job recomputes at 03:00)."""
        ended = self.approve_best("ended", self.day(150, 10), recomputed=self.day(151, 3))
        self.host_answers(ended, self.day(148, 19), accept=True)
        with self.at(self.day(140, 15)):
            mark_met(self.session, self.coordinator, ended.id, now=self.day(140, 15))
        self.send_follow_ups(self.day(115, 6))
        self.follow_up_answer(ended, FollowUpSide.HOST, self.day(113, 20), met=True, fit=4)
        self.follow_up_answer(ended, FollowUpSide.NEWCOMER, self.day(112, 18), met=True, fit=5)

        met = self.approve_best("met", self.day(44, 10), recomputed=self.day(45, 3))
        not_met = self.approve_best("not_met", self.day(42, 10, 30))
        self.host_answers(met, self.day(41, 18), accept=True)
        self.host_answers(not_met, self.day(39, 12), accept=True)
        with self.at(self.day(35, 14)):
            end_match(
                self.session,
                self.coordinator,
                ended.id,
                "Pekka har flyttat till Falun för ett nytt jobb. De håller kontakten ändå.",
                now=self.day(35, 14),
            )

        declined = self.approve_best("declined", self.day(9, 11), recomputed=self.day(10, 3))
        self.recompute(self.day(7, 3))
        self.send_follow_ups(self.day(7, 6))
        self.host_answers(
            declined,
            self.day(7, 21),
            accept=False,
            reason="Jag har tyvärr inte tid förrän efter jul. Fråga mig gärna igen i januari.",
        )
        self.note(
            "host",
            declined.host_id,
            "Tackade nej till Leila: har inte tid förrän efter jul. Fråga igen i januari.",
            self.day(6, 8, 15),
        )
        introduced = self.approve_best("introduced", self.day(6, 9))
        self.follow_up_answer(
            met,
            FollowUpSide.HOST,
            self.day(6, 20),
            met=True,
            fit=5,
            comment="Vi har gått på bandy och fikat två gånger. En trevlig familj!",
        )
        self.follow_up_answer(
            met,
            FollowUpSide.NEWCOMER,
            self.day(5, 19),
            met=True,
            fit=5,
            comment="Our host showed us around and helped the boys join a football club.",
        )
        self.recompute(self.day(4, 3))
        self.host_answers(introduced, self.day(4, 12), accept=True)
        self.follow_up_answer(
            not_met,
            FollowUpSide.NEWCOMER,
            self.day(4, 20),
            met=False,
            fit=2,
            comment="We have not found a time yet. I work evenings and the host works days.",
        )
        accepted = self.approve_best("accepted", self.day(3, 10))
        self.note(
            "newcomer",
            not_met.newcomer_id,
            "Ringde Dawit: han jobbar kvällar och kan träffas på lördagar. "
            "Bad värden föreslå en lördag.",
            self.day(3, 13),
        )
        self.host_answers(accepted, self.day(2, 17), accept=True)
        self.note(
            "newcomer",
            accepted.newcomer_id,
            "Ahmed har ingen e-post. Ringer honom om värden; han svarar bäst efter kl. 15.",
            self.day(1, 8, 40),
        )

        self.approve_for_karin(self.day(1, 10), recomputed=self.day(1, 3))
        self.story_matches.update(
            ended=ended,
            met=met,
            not_met=not_met,
            declined=declined,
            introduced=introduced,
            accepted=accepted,
        )

    def pause_one(self, moment: datetime) -> None:
        """The newcomer who has waited longest (not one of the story's) pauses from "Min
        anmälan" at ``moment`` (after the story's last step): not now, maybe in spring."""
        story = {newcomer.id for newcomer in self.story_newcomers.values()}
        waiting = [
            newcomer
            for newcomer in self.session.scalars(
                select(Newcomer)
                .where(Newcomer.status == NewcomerStatus.WAITING)
                .order_by(Newcomer.confirmed_at, Newcomer.id)
            )
            if newcomer.id not in story and newcomer.confirmed_at is not None
        ]
        if waiting and waiting[0].confirmed_at is not None and waiting[0].confirmed_at < moment:
            with self.at(moment):
                pause(self.session, waiting[0], now=moment)

    def note(self, kind: PersonKind, person_id: int, text: str, moment: datetime) -> None:
        """A coordinator's note on a host or a newcomer, written at ``moment``."""
        with self.at(moment):
            add_note(self.session, self.coordinator, kind, person_id, text, now=moment)

    def recompute(self, moment: datetime) -> None:
        """The matcher's run at ``moment`` (the nightly job, or the button)."""
        with self.at(moment):
            recompute_proposals(self.session, moment, top_k=self.settings.matches.top_k)

    def approve_best(
        self, key: str, moment: datetime, *, recomputed: datetime | None = None
    ) -> Match:
        """Approve the best proposed host with a free place for a story newcomer.

        Karin Berg is kept for her own story (a match waiting for her answer).
        """
        if recomputed is not None:
            self.recompute(recomputed)
        newcomer = self.story_newcomers[key]
        taken = matching_adapter.active_match_counts(self.session)
        proposals = self.session.scalars(
            select(MatchProposal)
            .where(
                MatchProposal.newcomer_id == newcomer.id,
                MatchProposal.status == ProposalStatus.OPEN,
            )
            .order_by(MatchProposal.is_assigned.desc(), MatchProposal.rank, MatchProposal.id)
        ).all()
        for proposal in proposals:
            host = proposal.host
            if host.id == self.karin.id or host.status != HostStatus.ACTIVE:
                continue
            if taken.get(host.id, 0) < host.capacity:
                with self.at(moment):
                    return approve_match(
                        self.session,
                        self.coordinator,
                        proposal.id,
                        now=moment,
                        settings=self.settings.matches,
                    )
        raise RuntimeError(f"the matcher proposed no free host for {newcomer.name}")

    def approve_for_karin(self, moment: datetime, *, recomputed: datetime) -> None:
        """Olena and Karin Berg: the matcher's pair when it proposed it, else picked by hand."""
        self.recompute(recomputed)
        newcomer = self.story_newcomers["karin"]
        proposal_id = self.session.scalar(
            select(MatchProposal.id).where(
                MatchProposal.newcomer_id == newcomer.id,
                MatchProposal.host_id == self.karin.id,
                MatchProposal.status == ProposalStatus.OPEN,
            )
        )
        with self.at(moment):
            if proposal_id is not None:
                match = approve_match(
                    self.session,
                    self.coordinator,
                    proposal_id,
                    now=moment,
                    settings=self.settings.matches,
                )
            else:
                match = assign_other_host(
                    self.session,
                    self.coordinator,
                    newcomer.id,
                    self.karin.id,
                    now=moment,
                    settings=self.settings.matches,
                )
        self.story_matches["karin"] = match

    def host_answers(
        self, match: Match, moment: datetime, *, accept: bool, reason: str = ""
    ) -> None:
        """The host clicks a link in the match email."""
        settings = self.settings.matches
        token = answer_token(settings, match, "accept" if accept else "decline")
        with self.at(moment):
            if accept:
                accept_by_link(self.session, token, now=moment, settings=settings)
            else:
                decline_by_link(self.session, token, reason, now=moment, settings=settings)

    def send_follow_ups(self, moment: datetime) -> None:
        """The nightly follow-up sweep."""
        with self.at(moment):
            send_follow_ups(self.session, moment, self.settings.matches)

    def follow_up_answer(
        self,
        match: Match,
        side: FollowUpSide,
        moment: datetime,
        *,
        met: bool,
        fit: int,
        comment: str = "",
    ) -> None:
        """One side answers the follow-up question through its emailed link."""
        follow_up = self.session.scalars(
            select(MatchFollowUp).where(
                MatchFollowUp.match_id == match.id, MatchFollowUp.side == side
            )
        ).one()
        token = follow_up_token(self.settings.matches, follow_up)
        with self.at(moment):
            record_follow_up_answer(
                self.session,
                token,
                met=met,
                fit=fit,
                comment=comment,
                now=moment,
                settings=self.settings.matches,
            )

    # ----------------------------------------------------------------------- outbox

    def settle_outbox(self) -> None:
        """Demo-only: the story's emails were sent a minute after they were queued, except the
        introduction to Tomasz (refused by the server) and the follow-up question to Dawit's
        host (the connection broke after the hand-over: unknown)."""
        messages = self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
            .order_by(OutboxMessage.id)
        ).all()
        introduced = self.story_matches["introduced"]
        not_met = self.story_matches["not_met"]
        refused = f"match:{introduced.id}:introduction"
        unknown = f"match:{not_met.id}:follow-up:host"
        for message in messages:
            # Read again: the creation times were moved by a bulk update (see _happening_at).
            self.session.refresh(message, ["created_at"])
            tried = message.created_at + timedelta(minutes=1)
            message.attempts = 1
            message.claimed_by = "demo"
            message.claimed_at = message.last_attempt_at = tried
            if message.idempotency_key == refused:
                message.status = OutboxStatus.FAILED
                message.last_error = (
                    f"RCPT TO: 550 5.1.1 <{message.to_address}>: Recipient address rejected: "
                    "User unknown in virtual mailbox table"
                )
            elif message.idempotency_key == unknown:
                message.status = OutboxStatus.UNKNOWN
                message.handed_over_at = tried
                message.last_error = (
                    "SMTPServerDisconnected after the message was sent, before the reply: "
                    "Connection unexpectedly closed"
                )
            else:
                message.status = OutboxStatus.SENT
                message.handed_over_at = message.sent_at = tried
        self.session.flush()

    # ----------------------------------------------------------------------- letters

    def letters(self, households: int) -> None:
        """Welcome letters since the households began to move in.

        On the first day of each earlier month, that month's register extract (the households
        that moved in since the last one) is imported and the letters due that day run, each with
        its print batch. This morning the latest extract is imported (James Smith's household is
        linked automatically), Amira Haddad's household is linked by hand and today's letters run.
        """
        settings = self.settings.letters
        story, pending = self.register_households(households)
        pending.sort(key=lambda household: household[0])
        run_day = add_months(pending[0][0].replace(day=1), 1) if pending else self.today
        while run_day < self.today:
            arrived = [household for household in pending if household[0] < run_day]
            pending = pending[len(arrived) :]
            moment = datetime.combine(run_day, time(5), tzinfo=UTC)
            if arrived:
                self.import_extract(arrived, run_day, moment)
            with self.at(moment):
                run_letters(self.session, run_day, settings=settings)
            run_day = add_months(run_day, 1)
        report = self.import_extract(story + pending, self.today, self.now)
        if report.households_linked != 1:
            raise RuntimeError(f"the demo's register extract did not import cleanly: {report}")
        self.session.execute(
            update(LetterHousehold)
            .where(LetterHousehold.linked_at.is_not(None))
            .values(linked_at=self.now)
            .execution_options(synchronize_session=False)
        )
        amira = self.story_newcomers["linked_by_hand"]
        household = self.session.scalars(
            select(LetterHousehold).where(
                LetterHousehold.street == "Kyrkogatan 3B",
                LetterHousehold.moved_in == amira.moved_in,
            )
        ).one()
        with self.at(self.now):
            link_newcomer(self.session, household.id, amira.id, self.coordinator)
            household.linked_at = self.now
        with self.at(self.now):
            run_letters(self.session, self.today, settings=settings)

    def import_extract(
        self, households: list[_RegisterHousehold], day: date, moment: datetime
    ) -> ImportReport:
        """Import a register extract of ``households`` on ``day`` (at ``moment``)."""
        settings = self.settings.letters
        lines = [_REGISTER_HEADER] + [line for _, rows in households for line in rows]
        data = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
        parse = parse_inmovers(data, today=day, hash_key=settings.person_hash_key)
        with self.at(moment):
            report = import_inmovers(self.session, parse, self.coordinator)
        if report.errors:
            raise RuntimeError(f"the demo's register extract did not import cleanly: {report}")
        return report

    def register_households(
        self, count: int
    ) -> tuple[list[_RegisterHousehold], list[_RegisterHousehold]]:
        """The register extracts' rows of ``count`` households that moved in over the last 15
        months: the two story households and the others, each with its move-in date.

        The personal identity numbers are made up, with a valid check digit so that the import
        accepts them; only a keyed hash of them is stored. Everyone was born before moving in.
        """
        rng = self.rng
        serials: dict[date, int] = {}

        def row(
            first: str, last: str, age: int, street: str, postcode: str, town: str, moved_in: date
        ) -> str:
            born = date(moved_in.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
            serial = serials[born] = serials.get(born, 0) + 1
            return ";".join(
                [
                    _personal_number(born, serial),
                    first,
                    last,
                    "",
                    street,
                    postcode,
                    town,
                    moved_in.isoformat(),
                    rng.choice(_PREVIOUS_MUNICIPALITIES),
                ]
            )

        story = []
        for key, street, postcode, town, people in _STORY_HOUSEHOLDS:
            moved_in = self.story_newcomers[key].moved_in
            if moved_in is None:
                raise ValueError("the story's newcomers all have a moving-in date")
            story.append(
                (moved_in, [row(*person, street, postcode, town, moved_in) for person in people])
            )
        addresses = {street for _, street, *_ in _STORY_HOUSEHOLDS}
        others = []
        for _ in range(count - len(_STORY_HOUSEHOLDS)):
            postcode, town, streets = rng.choice(_POSTAL_AREAS)
            street = f"{rng.choice(streets)} {rng.randint(1, 60)}"
            while street in addresses:
                street = f"{rng.choice(streets)} {rng.randint(1, 60)}"
            addresses.add(street)
            moved_in = self.today - timedelta(days=rng.randint(0, 450))
            last = rng.choice(_REGISTER_LAST)
            ages = [rng.randint(19, 85) for _ in range(1 + (rng.random() < 0.5))]
            ages += [rng.randint(0, 16) for _ in range(rng.choice([0, 0, 0, 1, 2]))]
            rows = [
                row(rng.choice(_REGISTER_FIRST), last, age, street, postcode, town, moved_in)
                for age in ages
            ]
            others.append((moved_in, rows))
        return story, others

    # ----------------------------------------------------------------------- timestamps

    def settle_clock_columns(self) -> None:
        """Demo-only: ``updated_at`` of matches and newcomers is when their last step happened
        (the column's own default would say: when the demo was loaded)."""
        last_step: dict[int, datetime] = {}
        for match in self.session.scalars(select(Match)):
            steps = [
                moment
                for moment in (
                    match.approved_at,
                    match.host_notified_at,
                    match.accepted_at,
                    match.declined_at,
                    match.introduced_at,
                    match.met_at,
                    match.ended_at,
                )
                if moment is not None
            ]
            match.created_at = match.approved_at
            match.updated_at = max(steps)
            last_step[match.newcomer_id] = max(
                last_step.get(match.newcomer_id, match.updated_at), match.updated_at
            )
        for newcomer in self.session.scalars(select(Newcomer)):
            newcomer.updated_at = max(
                newcomer.confirmed_at or newcomer.registered_at,
                last_step.get(newcomer.id, newcomer.registered_at),
            )
        self.session.flush()


def _personal_number(born: date, serial: int) -> str:
    """A made-up personal identity number ``YYYYMMDD-NNNC`` with a valid check digit."""
    head = f"{born:%y%m%d}{serial:03d}"
    check = next(digit for digit in range(10) if luhn_valid(f"{head}{digit}"))
    return f"{born:%Y%m%d}-{serial:03d}{check}"
