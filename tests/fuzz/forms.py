"""The forms of the site as the walk finds them on its pages, and hypothesis strategies that fill
them with arbitrary text.

Each ``<form method="post">`` on a walked page is read into a :class:`FoundForm` (its action and
its controls). :func:`filled` draws a value for every control: the CSRF token as given, a choice
among the offered options or any text for selects, radios and checkboxes, and for every text
field either what the page showed or arbitrary text (any Unicode but lone surrogates, which
HTTP cannot carry: NUL and other control characters, digits of other scripts such as ①²٣,
right-to-left and invisible marks, and texts of up to 25,000 characters).
"""

from __future__ import annotations

import operator
import os
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

# The profiles are described in tests/fuzz/conftest.py.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile("long", settings.get_profile("ci"), derandomize=False)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
# How many times the ci budget the long profile tries.
SCALE = {"ci": 1, "long": 25}.get(PROFILE, 1)


def examples(ci: int) -> int:
    """The number of examples for a test whose ci budget is ``ci``."""
    return ci * SCALE


# Characters people do not mean to type but do paste: digits that only look like digits
# (circled, superscript), digits of other scripts (Arabic-Indic, full-width), direction marks
# and isolates, invisible and unusual spaces, a combining accent, NUL and line separators.
ODD_CHARACTERS = (
    "①②③④¹²³⁹⁸⁵٠١٢٣٤٥٦٧٨٩۱۹۸۵０１２３４５６７８９"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
    "\u00a0\u2007\u202f\u3000\ufeff\u200b\u00ad\u0301"
    "\x00\t\r\n\x0b\x0c\x1c\x85\u2028\u2029"
)
PLAIN_CHARACTERS = "0123456789+-()@.,; aZåÖ"
# Values a person might well type somewhere, so that forms are also accepted now and then.
TYPICAL = (
    "",
    " ",
    "1985",
    "85",
    "١٩٨٥",
    "①②③④",
    "2026-08-15",
    "070-123 45 67",
    "+46 70 123 45 67",
    "0046701234567",
    "namn@exempel.se",
    " Namn@Exempel.SE ",
    "Åsa Öberg",
    "أميرة حداد",
    "fiske, jakt och svamp",
    "3",
    "-1",
    "99999999999999999999",
)

any_text = st.text(st.characters(codec="utf-8"), max_size=40)
odd_text = st.text(st.sampled_from(ODD_CHARACTERS + PLAIN_CHARACTERS), max_size=30)
long_text = st.builds(
    operator.mul,
    st.sampled_from(["a", "ö", "ع", "€", "😀", " ", "1", "\u200f", "a\n"]),
    st.integers(150, 25_000),
)
texts = st.one_of(st.sampled_from(TYPICAL), any_text, odd_text, long_text)


@dataclass
class Control:
    """One named control of a form."""

    name: str
    kind: str  # text, textarea, hidden, checkbox, radio, select, select-multiple, submit, file
    value: str = ""
    options: list[str] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)  # checked boxes, selected options


@dataclass
class FoundForm:
    """A POST form found on a page: who saw it, where, and its controls by name."""

    role: str
    page: str
    action: str
    controls: dict[str, Control] = field(default_factory=dict)

    def add(self, control: Control) -> None:
        """Merge radios and checkboxes of one name into one control with their values."""
        known = self.controls.get(control.name)
        if known is not None and known.kind in ("radio", "checkbox"):
            known.options.extend(control.options)
            known.chosen.extend(control.chosen)
            return
        self.controls[control.name] = control


class _FormParser(HTMLParser):
    def __init__(self, role: str, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.role, self.page = role, page
        self.forms: list[FoundForm] = []
        self.form: FoundForm | None = None
        self.select: Control | None = None
        self.textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option" and self.select is not None:
            self.select.options.append(a.get("value", ""))
            if "selected" in a:
                self.select.chosen.append(a.get("value", ""))
            return
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.form = FoundForm(self.role, self.page, a.get("action") or self.page)
            return
        if self.form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                value = a.get("value", "on")
                checked = [value] if "checked" in a else []
                self.form.add(Control(name, kind, options=[value], chosen=checked))
            elif kind in ("submit", "button", "image", "reset"):
                self.form.add(Control(name, "submit", a.get("value", "")))
            else:
                self.form.add(
                    Control(
                        name, kind if kind in ("hidden", "file") else "text", a.get("value", "")
                    )
                )
        elif tag == "button" and a.get("type", "submit") == "submit":
            self.form.add(Control(name, "submit", a.get("value", "")))
        elif tag == "select":
            kind = "select-multiple" if "multiple" in a else "select"
            self.select = Control(name, kind)
            self.form.add(self.select)
        elif tag == "textarea":
            self.textarea = Control(name, "textarea")
            self.form.add(self.textarea)

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # as browsers do: a line break right after <textarea> is not part of the value
            value = self.textarea.value
            self.textarea.value = (
                value.removeprefix("\r\n") if value[:2] == "\r\n" else value.removeprefix("\n")
            )
            self.textarea = None


def forms_on(role: str, page: str, html: str) -> list[FoundForm]:
    """The POST forms on one page."""
    parser = _FormParser(role, page)
    parser.feed(html)
    return parser.forms


# What a person would type into an empty field of this name, so that most posts are accepted
# and the fuzzed fields beside them are read and stored.
PLAUSIBLE = {
    "name": st.just("Åsa Öberg"),
    "email": st.integers(1, 10**6).map(lambda n: f"fuzz{n}@exempel.se"),
    "phone": st.just("070-123 45 67"),
    "birth_year": st.just("1985"),
    "capacity": st.just("2"),
    "moved_in": st.just("2026-05-01"),
    "until": st.just("2030-01-31"),
    "subject": st.just("Välkommen till Avesta"),
    "body": st.just("Hej! Välkommen."),
    "text": st.just("Ringde i tisdags."),
}


def _base(control: Control) -> st.SearchStrategy[list[str]]:
    """What the page showed, or what a person would fill in."""
    if control.kind == "checkbox" and len(control.options) == 1:
        return st.just(list(control.options))  # a box to tick: "I agree", "I understand"
    if control.kind in ("checkbox", "select-multiple"):
        return st.just(list(control.chosen))
    if control.kind in ("radio", "select"):
        if control.chosen:
            return st.just(control.chosen[:1])
        options = [o for o in control.options if o]  # not the "choose one" prompt
        return st.sampled_from(options).map(lambda v: [v]) if options else st.just([])
    if control.value or control.name not in PLAUSIBLE:
        return st.just([control.value])
    return PLAUSIBLE[control.name].map(lambda v: [v])


def _fuzzed(control: Control) -> st.SearchStrategy[list[str]]:
    """Arbitrary values for one control (an empty list leaves it out of the post)."""
    if control.kind in ("checkbox", "select-multiple"):
        choice = st.sampled_from(control.options) if control.options else texts
        return st.lists(st.one_of(choice, texts), max_size=4)
    if control.kind in ("radio", "select"):
        return st.one_of(texts.map(lambda t: [t]), st.just([]))
    return texts.map(lambda t: [t])


def filled(form: FoundForm, skip: frozenset[str] = frozenset()) -> st.SearchStrategy[MultiDict]:
    """Every control of ``form`` (but ``skip``: files, posted by their own strategies) filled:
    one or two chosen controls (or more, or all) with arbitrary values, the rest as a person
    would (as the page showed them, a plausible value in an empty field, boxes to tick ticked).
    The CSRF token and submit buttons are always posted as the page gives them."""
    controls = [c for c in form.controls.values() if c.kind != "file" and c.name not in skip]
    fixed = [c for c in controls if c.kind == "submit" or c.name == "csrf_token"]
    free = [c.name for c in controls if c not in fixed]

    @st.composite
    def draw(draw: st.DrawFn) -> MultiDict:
        chosen = draw(
            st.one_of(
                st.sets(st.sampled_from(free), min_size=1, max_size=2),
                st.sets(st.sampled_from(free)),
                st.just(set(free)),
            )
            if free
            else st.just(set())
        )
        values = MultiDict()
        for control in controls:
            if control in fixed:
                values.add(control.name, control.value)
                continue
            strategy = _fuzzed(control) if control.name in chosen else _base(control)
            for value in draw(strategy):
                values.add(control.name, value)
        return values

    return draw()


@dataclass
class Tally:
    """How many inputs the fuzz tests posted, per endpoint and per answer."""

    posts: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    read_back: int = 0  # saved records read back and compared with what was posted

    def count(self, endpoint: str, status: int) -> None:
        """Record one post and its answer (a redirect: the form was accepted)."""
        self.posts[endpoint] += 1
        self.accepted[endpoint] += status in (302, 303)
        self.statuses[status] += 1

    def per_endpoint(self) -> str:
        """Inputs posted (and accepted) per endpoint, most first."""
        return ", ".join(
            f"{endpoint} {n} ({self.accepted[endpoint]})"
            for endpoint, n in self.posts.most_common()
        )

    def summary(self) -> str:
        """One line for the end of the test run."""
        answers = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        server_errors = sum(n for code, n in self.statuses.items() if code >= 500)
        return (
            f"fuzzing: {sum(self.posts.values())} inputs posted to {len(self.posts)} endpoints "
            f"({answers}); {server_errors} answered 5xx; {self.read_back} saved records read back"
        )


TALLY = Tally()
