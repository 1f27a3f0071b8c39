"""The outbox's messages against reference messages kept in ``tests/data/mail/``.

Each reference ``.eml`` is a checked message for one outbox row of ``cases.json`` (headers RFC
2047 encoded and folded, Message-ID from the idempotency key, Date, List-Unsubscribe where the row
has it, multipart/alternative where it has HTML, 7bit unless the address needs SMTPUTF8). The
builder must produce the same message as a mail program reads it: the same headers with the same
decoded values in the same order, the same parts with the same text; only the MIME boundary and
the body encoding may differ.
"""

from __future__ import annotations

import json
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from avestavard.services.mail_sender import MailSettings, compose, message_bytes
from tests.paths import TEST_DATA

FOLDER = TEST_DATA / "mail"
REFERENCE = json.loads((FOLDER / "cases.json").read_text(encoding="utf-8"))
CASES = REFERENCE["cases"]
# Written by the builder: their form may differ, their meaning may not (compared separately).
MIME_HEADERS = {"mime-version", "content-type", "content-transfer-encoding"}


def _built(case: dict[str, Any]) -> bytes:
    message = compose(
        MailSettings(**REFERENCE["settings"]),
        key=case["key"],
        to=case["to"],
        subject=case["subject"],
        text=case["text"],
        html=case["html"],
        headers=case["headers"],
        date=datetime.fromisoformat(REFERENCE["date"]),
    )
    return message_bytes(message)


def _parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _headers(message: EmailMessage) -> list[tuple[str, str]]:
    return [
        (name, str(value)) for name, value in message.items() if name.lower() not in MIME_HEADERS
    ]


def _text(part: EmailMessage) -> str:
    """The text of a part with LF line ends; a text part may gain a line end at its end.

    Base64 carries the text's own line ends (LF); in a 7bit or quoted-printable part the line
    ends are the message's (CRLF on the wire).
    """
    text = str(part.get_content())
    if part["Content-Transfer-Encoding"] == "base64":
        assert "\r" not in text
    return text.replace("\r\n", "\n").removesuffix("\n")


def _parts(message: EmailMessage) -> list[tuple[str, str | None, str]]:
    """(content type, charset, text) of each leaf part."""
    leaves = [p for p in message.walk() if not p.is_multipart()]
    return [(p.get_content_type(), p.get_content_charset(), _text(p)) for p in leaves]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_message_means_what_the_reference_means(case: dict[str, Any]) -> None:
    reference = _parsed((FOLDER / f"{case['name']}.eml").read_bytes())
    built = _parsed(_built(case))

    assert _headers(built) == _headers(reference)
    assert built.get_content_type() == reference.get_content_type()
    assert _parts(built) == _parts(reference)
    assert not built.defects and all(not p.defects for p in built.walk())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_message_is_folded_and_7bit_unless_the_address_needs_utf8(
    case: dict[str, Any],
) -> None:
    data = _built(case)
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends only
    header_block = data.split(b"\r\n\r\n", 1)[0]
    # 78 at most, unless a line is one word that cannot be folded (a long URL)
    assert all(len(line) <= 78 or b" " not in line.strip() for line in header_block.split(b"\r\n"))
    assert all(len(line) <= 998 for line in lines)
    if case["to"].isascii():
        assert data.isascii()
    else:
        assert case["to"].encode() in header_block  # RFC 6532: the address as it is


def test_rows_own_headers_replace_reply_to_and_auto_submitted_but_never_from() -> None:
    case = next(c for c in CASES if c["name"] == "row-replaces-reply-to")
    built = _parsed(_built({**case, "headers": {**case["headers"], "From": "x@example.org"}}))
    assert built["Reply-To"] == "Samordnare Åsa <asa@avesta.se>"
    assert built["Auto-Submitted"] == "auto-replied"
    assert built["From"] == REFERENCE["settings"]["mail_from"]
    assert len(built.get_all("Reply-To") or []) == 1
