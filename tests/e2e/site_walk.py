"""Every HTML page of the site, found from the app's URL map: which pages each role sees, with
real data on them (the demo: a Monday morning of the programme, every state in use).

The walk starts at every GET route without arguments, follows the links on each page and in
every email in the outbox (confirmation, match answer, follow-up, introduction, unsubscribe), and
adds the personal links that are only ever handed out one at a time (set password, sign in,
"Min anmälan"). A route is covered once a role got a 200 HTML page from it. Routes with
arguments are reached through links, so a new page is walked as soon as some page or email
links to it; a GET route nothing reaches is reported by :func:`uncovered`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from avestavard.demo import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    HOST_EMAIL,
    DemoSettings,
    load_demo,
)
from avestavard.extensions import db
from avestavard.models import Host, Newcomer, OutboxMessage, User, utcnow
from tests.conftest import login

# GET routes that serve no HTML page of their own. Only files and data belong here: every other
# GET route must be walked.
NOT_PAGES: dict[str, str] = {
    "static": "stylesheets, scripts and images",
    "coordinator.figures_chart": "an SVG chart (its text alternative and table are on the page)",
    "coordinator.figures_report": "the status report as PDF, XLSX or JSON",
    "coordinator.host_extract": "the register extract as JSON",
    "coordinator.newcomer_extract": "the register extract as JSON",
    "coordinator.letter_batch_file": "a letter batch's PDF or address list (CSV)",
}

# HTML documents that are not pages of the site: validated, but not walked for reflow.
DOCUMENTS: dict[str, str] = {
    "coordinator.letter_preview_document": "the printed A4 letter, shown in a frame on the preview",
}

ANONYMOUS = "anonymous"
# Half-way through signing in: a coordinator with two-factor sign-in who has given the password
# and not yet the code (the code page is the only page open in that state).
SIGNING_IN = "signing-in"
TWO_FACTOR_EMAIL = "tvasteg@avesta.example"
STAFF_ROLES = {
    "coordinator": COORDINATOR_EMAIL,
    "admin": ADMIN_EMAIL,
    "host": HOST_EMAIL,
    SIGNING_IN: TWO_FACTOR_EMAIL,
}
# Whose pages each blueprint serves; a route in any other blueprint is tried anonymously
# first and, when it needs a login, as every staff role.
BLUEPRINT_ROLE = {"coordinator": "coordinator", "admin": "admin", "host": "host"}
HREF = re.compile(r"""(?:href|src|action)="([^"]+)\"""")
# How many URLs of one route the walk keeps: the first is checked in the browser, all of them
# by the HTML validator (a page in another state shows other parts of its template).
VARIANTS = 4
# Query parameters that choose another format or language, not another page.
NOT_A_PAGE_QUERY = {"lang", "format"}


@dataclass
class Walk:
    """What the walk found: per role, one URL for each endpoint (the first that answered 200
    with HTML), and up to ``VARIANTS - 1`` more."""

    pages: dict[str, dict[str, str]] = field(default_factory=dict)
    # further URLs of the same routes (other people, other states), for the HTML validator
    variants: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    tried: dict[str, list[str]] = field(default_factory=dict)
    # the signed-in test client of each role, as the walk left it
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def endpoints(self) -> set[str]:
        """Every endpoint some role got a page from."""
        found = {endpoint for per_role in self.pages.values() for endpoint in per_role}
        return found | set(self.documents)


def get_endpoints(app: Flask) -> dict[str, Any]:
    """Every endpoint that answers GET, with its rule."""
    return {
        rule.endpoint: rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())
    }


def uncovered(app: Flask, walk: Walk) -> dict[str, str]:
    """GET routes that are neither walked nor excluded as files, each with what was tried."""
    missing = set(get_endpoints(app)) - walk.endpoints() - set(NOT_PAGES)
    return {
        endpoint: ", ".join(walk.tried.get(endpoint, [])) or "no page or email links to it"
        for endpoint in sorted(missing)
    }


def load_world(app: Flask, **demo_sizes: int) -> None:
    """The demo, as it stands now (links in its emails are valid now), and a coordinator's
    note on every host and newcomer (a note can be edited by its author for a day).
    ``demo_sizes`` go to :func:`load_demo` (a smaller demo: ``hosts=16, history_months=0``)."""
    import pyotp

    from avestavard.services import two_factor
    from avestavard.services.notes import add_note
    from avestavard.services.users import create_user

    now = utcnow()
    with app.app_context():
        summary = load_demo(
            db.session, now=now, settings=DemoSettings.from_config(app.config), **demo_sizes
        )
        assert summary is not None, "the database was not empty"
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        assert coordinator is not None
        for kind, model in (("host", Host), ("newcomer", Newcomer)):
            for person_id in db.session.scalars(select(model.id).order_by(model.id)):
                text = "Ringde i tisdags. Vill helst ses på helger, gärna vid Dalälven."
                add_note(db.session, coordinator, kind, person_id, text, now=now)
        user = create_user(
            db.session,
            email=TWO_FACTOR_EMAIL,
            password=DEMO_PASSWORD,
            role="coordinator",
            name="Tove Tvåsteg",
        )
        secret = two_factor.start_enrolment(db.session, user, fresh=True).secret
        two_factor.confirm_enrolment(db.session, user, pyotp.TOTP(secret).now(), now=now)
        db.session.commit()


def signed_in_client(app: Flask, role: str) -> FlaskClient:
    """A test client of ``role``, signed in through the log-in form (anonymous: not at all)."""
    client = app.test_client()
    if role != ANONYMOUS:
        response = login(client, STAFF_ROLES[role], DEMO_PASSWORD)
        assert response.status_code == 302, f"the {role} cannot log in"
    return client


def personal_links(app: Flask) -> list[str]:
    """Links handed out to one person at a time: a host's sign-in link (mailed, read from the
    outbox by :func:`mailed_links`), a new account's set-password link (for an account nobody
    logs in to during the walk: logging in spends it), and every newcomer's "Min anmälan" link
    (all states of a registration)."""
    from avestavard.services.accounts import AccountSettings, create_account
    from avestavard.services.my_registration import MyRegistrationSettings, link_token
    from avestavard.services.sign_in import request_sign_in_link

    now = utcnow()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        assert admin is not None
        settings = MyRegistrationSettings.from_config(app.config)
        newcomers = db.session.scalars(select(Newcomer).order_by(Newcomer.id)).all()
        tokens = [link_token(newcomer, settings) for newcomer in newcomers]
        password = create_account(
            db.session,
            admin,
            email="ny.samordnare@avesta.example",
            role="coordinator",
            name="Ny Samordnare",
            now=now,
            settings=AccountSettings.from_config(app.config),
        )
        request_sign_in_link(
            db.session, HOST_EMAIL, now=now, base_url=app.config["PUBLIC_BASE_URL"]
        )
        db.session.commit()
    return [*(f"/min-anmalan/{token}" for token in tokens), _path(password.url)]


def unlinked_pages(app: Flask) -> list[str]:
    """Pages no link leads to: the review of proposals ticked on "Att matcha" (a GET form), a
    registration's confirmation (its email is queued by registering here), and a host's page
    about a newcomer they are matched with (reached by its address)."""
    from avestavard.models.matches import Match, MatchProposal, MatchState, ProposalStatus
    from tests.integration.test_profiles_register import post_registration

    assert post_registration(app.test_client()).status_code == 302
    with app.app_context():
        proposals = db.session.scalars(
            select(MatchProposal.id)
            .where(MatchProposal.status == ProposalStatus.OPEN)
            .order_by(MatchProposal.id)
            .limit(2)
        ).all()
        host_match = db.session.scalar(
            select(Match)
            .join(Host, Host.id == Match.host_id)
            .join(User, User.id == Host.user_id)
            .where(
                User.email == HOST_EMAIL,
                Match.state.not_in([MatchState.DECLINED, MatchState.ENDED]),
            )
            .order_by(Match.id)
            .limit(1)
        )
        assert len(proposals) == 2 and host_match is not None
        return [
            "/coordinator/to-match/review?" + urlencode([("proposal", p) for p in proposals]),
            f"/host/newcomers/{host_match.newcomer_id}",
        ]


def seed_links(app: Flask) -> list[str]:
    """Where the walk starts besides the routes without arguments."""
    return [*personal_links(app), *unlinked_pages(app), *mailed_links(app)]


def mailed_links(app: Flask) -> list[str]:
    """Every link to the site in the outbox's emails."""
    base = urlsplit(app.config["PUBLIC_BASE_URL"])
    found: list[str] = []
    with app.app_context():
        for body in db.session.scalars(select(OutboxMessage.body_text).order_by(OutboxMessage.id)):
            for url in re.findall(r"https?://\S+", body):
                parts = urlsplit(url.rstrip(").,>"))
                if parts.netloc == base.netloc:
                    found.append(_path(url.rstrip(").,>")))
    return found


def _path(url: str) -> str:
    """The path and query of a URL on this site, less the language and format choices."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in NOT_A_PAGE_QUERY]
    return parts.path + (f"?{urlencode(query)}" if query else "")


def walk_site(
    app: Flask, seeds: list[str], on_page: Callable[[str, str, str], None] | None = None
) -> Walk:
    """Walk the site as each role, anonymous first; ``on_page(role, path, html)`` is called
    with every page walked (the fuzz tests read the forms on them)."""
    endpoints = get_endpoints(app)
    adapter = app.url_map.bind("localhost")
    walk = Walk()

    def endpoint_of(path: str) -> str | None:
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
        except Exception:
            return None
        return str(endpoint)

    def owner(endpoint: str) -> str | None:
        return BLUEPRINT_ROLE.get(endpoint.split(".")[0]) if "." in endpoint else None

    starts = [
        rule.rule
        for endpoint, rule in sorted(endpoints.items())
        if not rule.arguments and endpoint not in NOT_PAGES
    ]
    for role in (ANONYMOUS, *STAFF_ROLES):
        client = walk.clients[role] = signed_in_client(app, role)
        found: dict[str, list[str]] = {}
        queue = deque([*starts, *seeds])
        seen: set[str] = set()
        while queue:
            path = queue.popleft()
            endpoint = endpoint_of(path)
            if path in seen or endpoint is None or endpoint in NOT_PAGES:
                continue
            if len(found.get(endpoint, ())) >= VARIANTS:
                continue
            seen.add(path)
            if endpoint in DOCUMENTS and endpoint in walk.documents:
                continue
            blueprint_role = owner(endpoint)
            if role == ANONYMOUS and blueprint_role is not None:
                continue
            if role != ANONYMOUS and blueprint_role not in (None, role):
                continue
            if role != ANONYMOUS and blueprint_role is None and endpoint in walk.pages[ANONYMOUS]:
                continue  # a public page: walked anonymously
            response = client.get(path)
            html = response.mimetype == "text/html"
            if response.status_code != 200 or not html:
                walk.tried.setdefault(endpoint, []).append(
                    f"{role} {path}: {response.status_code} {response.mimetype}"
                )
                continue
            if endpoint in DOCUMENTS:
                walk.documents[endpoint] = path
                continue
            found.setdefault(endpoint, []).append(path)
            if on_page is not None:
                on_page(role, path, response.get_data(as_text=True))
            for link in HREF.findall(response.get_data(as_text=True)):
                link = link.replace("&amp;", "&")
                if link.startswith("/") and not link.startswith("//"):
                    queue.append(_path(link))
        walk.pages[role] = {endpoint: paths[0] for endpoint, paths in found.items()}
        walk.variants[role] = {
            endpoint: paths[1:] for endpoint, paths in found.items() if len(paths) > 1
        }
    return walk
