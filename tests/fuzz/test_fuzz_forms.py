"""Arbitrary text posted into every form of the site, on the database under test: never a 500,
and what a form accepted reads back as typed, after the documented normalisation.

The forms are those a walk of the site finds on its pages (a small demo: every role, every
state of a match, the personal links from the emails), so a new form is fuzzed as soon as a
page shows it; :func:`test_every_post_endpoint_has_a_strategy` fails for a POST route that no
page offers and that has no strategy of its own here. The uploads (the legacy Excel workbook and
the population register's extract) get real files built from the drawn data.

One demo serves the whole module (loading it and walking it takes seconds). The tests run in
the order of the file: the ones that read back values first, the destructive buttons (erasure,
sign-out) last. Budgets are in :data:`BUDGET` (the ``ci`` profile; ``long`` multiplies them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from avestavard import create_app
from avestavard.demo import ADMIN_EMAIL, COORDINATOR_EMAIL, HOST_EMAIL
from avestavard.extensions import db
from avestavard.imports.inmovers_csv import luhn_valid
from avestavard.models import Base, Host, Newcomer, User
from avestavard.services.profiles import (
    normalize_email,
    normalize_phone_number,
    split_interest_words,
)
from tests.e2e.site_walk import TWO_FACTOR_EMAIL, load_world, seed_links, walk_site
from tests.fuzz.forms import TALLY, Control, FoundForm, examples, filled, forms_on, texts

# Examples per endpoint in the ci profile: forms people type into get more, buttons a few.
DEFAULT_BUDGET = 6
BUDGET = {
    "public.register": 80,
    "public.my_registration_edit": 40,
    "public.my_registration_request": 20,
    "public.accessibility": 20,
    "public.match_answer": 15,
    "public.match_follow_up": 20,
    "coordinator.new_host": 40,
    "coordinator.edit_host": 40,
    "coordinator.new_newcomer": 40,
    "coordinator.edit_newcomer": 40,
    "coordinator.host_note_add": 15,
    "coordinator.newcomer_note_add": 15,
    "coordinator.note_edit": 15,
    "coordinator.letter_text_edit": 20,
    "coordinator.host_account": 10,
    "coordinator.match_decline": 10,
    "coordinator.match_end": 10,
    "coordinator.match_follow_up": 10,
    "coordinator.bulk_approve": 10,
    "coordinator.reject_proposal": 10,
    "coordinator.word_teach": 20,
    "host.edit_profile": 30,
    "host.pause": 10,
    "host.match_decline": 10,
    "admin.new_user": 20,
    # each of these checks a password (scrypt): few examples
    "auth.login": 8,
    "auth.change_password": 4,
    "auth.set_password": 4,
    "auth.two_factor_settings": 4,
    "auth.two_factor_enrol": 4,
}
UPLOAD_BUDGET = {"coordinator.imports": 15, "coordinator.letter_import": 25}
# POST routes no walked page shows a form for, each posted by a strategy of its own below.
OWN_STRATEGY = {
    "coordinator.imports": "an upload: real workbooks built from the drawn data",
    "coordinator.letter_import": "an upload: real register extracts built from the drawn data",
    "coordinator.imports_confirm": "the confirm form appears after an upload (upload tests)",
    "coordinator.letter_import_confirm": "the confirm form appears after an upload (upload tests)",
}
# POST routes whose form the demo shows in no state the walk reaches: who posts them, why no
# page shows them, and the fields their form has. Their URLs take the arguments seen in other
# forms' URLs (match ids, tokens), and arbitrary ones.
BUTTONS_ELSEWHERE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "admin.user_reactivate": ("admin", "no account is deactivated in the demo", ()),
    "auth.two_factor_settings": (
        "coordinator",
        "shown to users with two-factor sign-in, signed in half-way in the walk",
        ("password", "action"),
    ),
    "coordinator.batch_undo": ("coordinator", "offered right after a bulk approval", ()),
    "coordinator.bulk_review": (
        "coordinator",
        "'Att matcha' reaches the review by GET; POST re-shows it after an error",
        ("proposal", "note"),
    ),
    "coordinator.host_sign_in_link": (
        "coordinator",
        "offered for hosts with an account and no password",
        (),
    ),
    "coordinator.letter_household_link": (
        "coordinator",
        "offered beside the candidates of an unlinked household",
        ("newcomer_id",),
    ),
    "coordinator.match_undo": ("coordinator", "offered right after an approval", ()),
    "coordinator.weights_reset": ("coordinator", "offered while learned weights are in use", ()),
    "coordinator.word_forget": (
        "coordinator",
        "offered beside a taught word; the demo has none",
        (),
    ),
    "host.match_met": ("host", "offered to the demo host in another state of the match", ()),
    "host.resume": ("host", "offered while the demo host pauses", ()),
    "public.my_registration_renew": ("anonymous", "offered on an expired link", ()),
    "public.my_registration_resume": ("anonymous", "offered while the newcomer pauses", ()),
}
# Run last, in this order: they end what other tests need (people, sessions).
LAST = ("coordinator.erase_host", "coordinator.erase_newcomer", "auth.logout")
# Users and the host whose sessions and records the module keeps using.
KEPT_USERS = (ADMIN_EMAIL, COORDINATOR_EMAIL, HOST_EMAIL, TWO_FACTOR_EMAIL)


def _post_endpoints() -> list[str]:
    app = create_app("testing", {"DATABASE_URL": "sqlite://"})
    found = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())}
    first = sorted(found - set(LAST))
    return first + [e for e in LAST if e in found]


POST_ENDPOINTS = _post_endpoints()


@dataclass
class Site:
    """The demo, its forms by endpoint, and a signed-in client per role."""

    app: Flask
    forms: dict[str, list[FoundForm]]
    clients: dict[str, FlaskClient]
    kept_ids: dict[str, set[int]]

    def client(self, role: str) -> FlaskClient:
        """A client of its own for one test, signed in as the walk's client of ``role`` (a
        test that signs in or out with it leaves the other tests' clients as they were)."""
        name = self.app.config["SESSION_COOKIE_NAME"]
        fresh = self.app.test_client()
        cookie = self.clients[role].get_cookie(name)
        if cookie is not None:
            fresh.set_cookie(name, cookie.value, domain=cookie.domain)
        return fresh

    def endpoint_of(self, path: str) -> str | None:
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, method="POST")
        except Exception:
            return None
        return str(endpoint)


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app(
        "testing",
        {"DATABASE_URL": database_url, "RATELIMIT_ENABLED": False, "IMPORT_UPLOAD_DIR": uploads},
    )
    try:
        load_world(app, hosts=16, newcomers=10, households=4, history_months=0)
        forms: dict[str, list[FoundForm]] = {}
        found = Site(app, forms, {}, {})

        def on_page(role: str, path: str, html: str) -> None:
            for form in forms_on(role, path, html):
                endpoint = found.endpoint_of(form.action)
                if endpoint is not None:
                    forms.setdefault(endpoint, []).append(form)

        walk = walk_site(app, seed_links(app), on_page)
        found.clients.update(walk.clients)
        with app.app_context():
            users = db.session.scalars(select(User).where(User.email.in_(KEPT_USERS))).all()
            found.kept_ids["user"] = {u.id for u in users}
            found.kept_ids["host"] = set(
                db.session.scalars(select(Host.id).where(Host.user_id.in_([u.id for u in users])))
            )
        yield found
    finally:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(table.delete())
            db.engine.dispose()


def forms_elsewhere(site: Site, endpoint: str) -> list[FoundForm]:
    """Forms for a route in :data:`BUTTONS_ELSEWHERE`: every URL its arguments can take from
    the arguments seen in other forms' URLs, with the role's CSRF token and the named fields."""
    role, _, fields = BUTTONS_ELSEWHERE[endpoint]
    adapter = site.app.url_map.bind("localhost")
    rule = next(r for r in site.app.url_map.iter_rules() if r.endpoint == endpoint)
    seen: dict[str, set[Any]] = {}
    token = ""
    for found in site.forms.values():
        for form in found:
            view_args = adapter.match(urlsplit(form.action).path, method="POST")[1]
            for name, value in view_args.items():
                seen.setdefault(name, set()).add(value)
            if form.role == role and "csrf_token" in form.controls:
                token = form.controls["csrf_token"].value
    paths = [str(adapter.build(endpoint, {}))] if not rule.arguments else []
    if len(rule.arguments) == 1:
        (name,) = rule.arguments
        paths = [str(adapter.build(endpoint, {name: v})) for v in sorted(seen.get(name, ()))]
    controls = {"csrf_token": Control("csrf_token", "hidden", token)}
    controls.update({name: Control(name, "text") for name in fields})
    return [FoundForm(role, "", path, dict(controls)) for path in paths] or [
        FoundForm(role, "", str(adapter.build(endpoint, {n: 1 for n in rule.arguments})), controls)
    ]


def keeps_our_people(site: Site, endpoint: str, path: str) -> bool:
    """False for a URL that would deactivate, erase or reset the module's own users."""
    try:
        view_args = site.app.url_map.bind("localhost").match(urlsplit(path).path, method="POST")[1]
    except Exception:
        return True  # no route: a 404 or 405, harmless
    if endpoint.startswith("admin.user_"):
        return view_args.get("user_id") not in site.kept_ids["user"]
    if endpoint == "coordinator.erase_host":
        return view_args.get("host_id") not in site.kept_ids["host"]
    return True


def fuzzed_paths(app: Flask, endpoint: str) -> st.SearchStrategy[str]:
    """The endpoint's URL with arbitrary arguments: any integer for ids, any text for tokens."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    if not rule.arguments:
        return st.nothing()
    adapter = app.url_map.bind("localhost")
    args = {
        name: st.integers(0, 2**70)
        if isinstance(rule._converters[name], IntegerConverter)
        else texts.filter(bool)
        for name in rule.arguments
    }

    def build(values: dict[str, Any]) -> str:
        return str(adapter.build(endpoint, values))

    return st.fixed_dictionaries(args).map(build)


def post(client: FlaskClient, endpoint: str, path: str, data: Any) -> Any:
    """Post and count; a 5xx fails here (an exception already failed in the client)."""
    response = client.post(path, data=data)
    TALLY.count(endpoint, response.status_code)
    assert response.status_code < 500, (endpoint, path, response.status_code)
    return response


# --------------------------------------------------------------------------- read back


def _text(value: str | None) -> str:
    return (value or "").strip()


def _optional(value: str | None) -> str | None:
    return _text(value) or None


def _valid(read: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
    return lambda value: read(value or None)


PERSON_FIELDS: dict[str, Callable[[str | None], Any]] = {
    "name": _text,
    "email": _valid(normalize_email),
    "phone": _valid(normalize_phone_number),
    "street_address": _optional,
    "interests": lambda v: split_interest_words(v or ""),
    "past": _text,
    "present": _text,
    "future": _text,
    "wishes": _text,
    "thoughts": _text,
    "interviewer": _optional,
}


def _stored(person: Host | Newcomer, name: str) -> Any:
    return person.interests_raw if name == "interests" else getattr(person, name)


def read_back(
    site: Site, model: type[Host] | type[Newcomer], person_id: int, sent: MultiDict
) -> None:
    """Every text field that was posted and saved reads back as the documented rule has it."""
    with site.app.app_context():
        person = db.session.get(model, person_id)
        assert person is not None
        for name, rule in PERSON_FIELDS.items():
            if name in sent and hasattr(person, "interests_raw" if name == "interests" else name):
                assert _stored(person, name) == rule(sent[name]), name
    TALLY.read_back += 1


def _id_in(location: str) -> int:
    return int(urlsplit(location).path.rstrip("/").split("/")[-1])


def _newest(site: Site, model: type[Host] | type[Newcomer]) -> int:
    with site.app.app_context():
        return db.session.scalar(select(func.max(model.id))) or 0


def _registered(site: Site, sent: MultiDict, response: Any, newest_before: int) -> None:
    """A new registration reads back as typed (a registration with the contact details of an
    earlier one changes nothing until it is confirmed, so there is nothing new to read)."""
    newest = _newest(site, Newcomer)
    if newest > newest_before:
        read_back(site, Newcomer, newest, sent)


def _own_profile(site: Site, sent: MultiDict, response: Any, newest_before: int) -> None:
    (host_id,) = site.kept_ids["host"]
    read_back(site, Host, host_id, sent)


# How to find the record a form saved, to read it back: (site, posted, response, newest
# newcomer id before the post).
READ_BACK: dict[str, Callable[[Site, MultiDict, Any, int], None]] = {
    "coordinator.new_host": lambda s, d, r, n: read_back(s, Host, _id_in(r.location), d),
    "coordinator.edit_host": lambda s, d, r, n: read_back(s, Host, _id_in(r.location), d),
    "coordinator.new_newcomer": lambda s, d, r, n: read_back(s, Newcomer, _id_in(r.location), d),
    "coordinator.edit_newcomer": lambda s, d, r, n: read_back(s, Newcomer, _id_in(r.location), d),
    "public.register": _registered,
    "host.edit_profile": _own_profile,
}


# --------------------------------------------------------------------------- the walk


def test_every_post_endpoint_has_a_strategy(site: Site) -> None:
    missing = [
        endpoint
        for endpoint in POST_ENDPOINTS
        if endpoint not in site.forms
        and endpoint not in OWN_STRATEGY
        and endpoint not in BUTTONS_ELSEWHERE
    ]
    assert missing == [], f"POST routes with no form on any walked page: {missing}"


# --------------------------------------------------------------------------- query strings

ODD_NUMBERS = ("²", "①②", "١٢", "99999999999999999999", "2147483648", "-3", "1e3", " 7 ", "\x00")


@pytest.mark.parametrize(
    "path",
    [
        "/coordinator/hosts?page={}",
        "/coordinator/newcomers?page={}",
        "/coordinator/matches?page={}",
        "/coordinator/to-match?page={}",
        "/coordinator/to-match/review?proposal={}",
        "/admin/audit?host={0}&actor={0}&page={0}",
    ],
)
def test_odd_numbers_in_query_strings(site: Site, path: str) -> None:
    """Page numbers and ids typed into a URL in any script or size are read, never a 500."""
    role = "admin" if path.startswith("/admin") else "coordinator"
    for number in ODD_NUMBERS:
        response = site.client(role).get(path.format(quote(number)))
        assert response.status_code < 500, (path, number)


# --------------------------------------------------------------------------- uploads


def _cell_text(text: str) -> str:
    """Text as a cell can hold it: XML 1.0 characters only, at most 32,767 of them."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:32_767]


cells = st.one_of(
    texts.map(_cell_text),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.none(),
)
LEGACY_SHEETS = {
    "AvestaVärdar": (
        "Namn", "Telefon", "E-post", "Adress", "Född", "Område", "Språk", "Intressen", "Dåtid",
        "Nutid", "Framtid", "Andra tankar kring uppdraget", "Kan ta emot", "Status",
        "Intervjuad av", "Intervjudatum", "Kommentar",
    ),
    "Intresseanmälningar": (
        "Namn", "Telefon", "E-post", "Inflyttad", "Språk", "Intressen", "Önskemål",
    ),
    "Matchningar": ("Värd", "Nyinflyttad", "Datum", "Status"),
}  # fmt: skip


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    """A real .xlsx: the legacy sheets with their headers (a title row above them now and then)
    and rows of drawn values, typical ones among them."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, header in LEGACY_SHEETS.items():
        sheet = book.create_sheet(title)
        if draw(st.booleans()):
            sheet.append([_cell_text(draw(texts))])
        sheet.append(list(header))
        for _ in range(draw(st.integers(0, 4))):
            sheet.append([draw(cells) for _ in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _personal_number(born: date, serial: int) -> str:
    head = f"{born:%y%m%d}{serial:03d}"
    check = next(digit for digit in range(10) if luhn_valid(f"{head}{digit}"))
    return f"{born:%Y%m%d}-{serial:03d}{check}"


REGISTER_HEADER = (
    "Personnummer", "Förnamn", "Efternamn", "c/o", "Utdelningsadress", "Postnummer", "Postort",
    "Inflyttningsdatum", "Tidigare kommun",
)  # fmt: skip


@st.composite
def register_extracts(draw: st.DrawFn) -> bytes:
    """A register extract (semicolon CSV) of drawn rows: valid personal identity numbers and
    dates beside arbitrary text, in UTF-8 (with or without BOM) or Windows-1252."""
    valid_number = st.builds(
        _personal_number, st.dates(date(1920, 1, 1), date(2025, 12, 31)), st.integers(1, 999)
    )
    row = st.tuples(
        st.one_of(valid_number, texts),
        st.one_of(st.just("Amira"), texts),
        st.one_of(st.just("Haddad"), texts),
        texts,
        st.one_of(st.just("Kyrkogatan 3B"), texts),
        st.one_of(st.just("774 30"), texts),
        st.one_of(st.just("AVESTA"), texts),
        st.one_of(st.dates(date(2024, 1, 1), date(2026, 12, 31)).map(str), texts),
        texts,
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(REGISTER_HEADER)
    writer.writerows(draw(st.lists(row, max_size=5)))
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _confirm_forms(site: Site, response: Any, endpoint: str) -> list[FoundForm]:
    html = response.get_data(as_text=True)
    return [f for f in forms_on("coordinator", "", html) if site.endpoint_of(f.action) == endpoint]


@pytest.mark.parametrize(
    ("endpoint", "confirm", "field", "files"),
    [
        ("coordinator.imports", "coordinator.imports_confirm", "workbook", workbooks()),
        (
            "coordinator.letter_import",
            "coordinator.letter_import_confirm",
            "file",
            register_extracts(),
        ),
    ],
)
def test_arbitrary_uploads(
    site: Site, endpoint: str, confirm: str, field: str, files: st.SearchStrategy[bytes]
) -> None:
    """Real files of drawn content, uploaded and (now and then) confirmed: never a 500."""
    (form,) = site.forms[endpoint][:1]
    client = site.client("coordinator")

    @settings(max_examples=examples(UPLOAD_BUDGET[endpoint]))
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        content = data.draw(st.one_of(files, st.binary(max_size=200)), label="file")
        values = data.draw(filled(form, skip=frozenset({field})), label="values")
        name = data.draw(st.one_of(st.just("fil.xlsx"), texts.filter(bool)), label="file name")
        values.add(field, (io.BytesIO(content), name))
        response = post(client, endpoint, form.action, values)
        for found in _confirm_forms(site, response, confirm):
            if data.draw(st.booleans(), label="confirm"):
                post(client, confirm, found.action, data.draw(filled(found), label="confirm"))

    fuzz()


def test_register_extract_found_by_the_long_profile(site: Site) -> None:
    """Inputs the long profile found on PostgreSQL: a field longer than its column (a town of
    81 characters) is a bad row, and a file name with NUL and control characters is stored
    without them; neither is a 500."""
    (form,) = site.forms["coordinator.letter_import"][:1]
    row = [_personal_number(date(1990, 1, 2), 12), "Amira", "Haddad", "", "Kyrkogatan 3B"]
    extract = "\n".join(
        [";".join(REGISTER_HEADER), ";".join([*row, "774 30", "A" * 81, "2026-01-05", ""])]
    ).encode()
    values = MultiDict([("csrf_token", form.controls["csrf_token"].value)])
    values.add("file", (io.BytesIO(extract), "inflyttade\x00\x1b.csv"))
    response = post(site.client("coordinator"), "coordinator.letter_import", form.action, values)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "längre än 80 tecken" in page
    assert "inflyttade.csv" in page


# --------------------------------------------------------------------------- every form


@pytest.mark.parametrize("endpoint", [e for e in POST_ENDPOINTS if e not in OWN_STRATEGY])
def test_arbitrary_text_in_every_form(site: Site, endpoint: str) -> None:
    if endpoint in BUTTONS_ELSEWHERE:
        forms = forms_elsewhere(site, endpoint)
    else:
        forms = site.forms.get(endpoint, [])
    forms = [f for f in forms if keeps_our_people(site, endpoint, f.action)]
    assert forms, f"no form for {endpoint}"
    check = READ_BACK.get(endpoint)
    clients = {role: site.client(role) for role in {form.role for form in forms}}

    @settings(max_examples=examples(BUDGET.get(endpoint, DEFAULT_BUDGET)))
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(forms), label="form")
        path = data.draw(
            st.one_of(
                st.just(form.action),
                fuzzed_paths(site.app, endpoint).filter(
                    lambda p: keeps_our_people(site, endpoint, p)
                ),
            ),
            label="path",
        )
        values = data.draw(filled(form), label="values")
        newest = _newest(site, Newcomer) if check is not None else 0
        response = post(clients[form.role], endpoint, path, values)
        if check is not None and path == form.action and response.status_code == 302:
            check(site, values, response, newest)

    fuzz()
