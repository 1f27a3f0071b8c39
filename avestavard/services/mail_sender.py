"""Delivering the outbox over SMTP: claim due rows, send them over one connection, record results.

API (the ``send-mail`` command, the scheduler's mail job and tests call this)::

    send_due_mail(bind, now, *, config=None, sender_id=None,
                  batch_size=None, limit=None, stop=None) -> SendReport

- ``bind``: an :class:`~sqlalchemy.engine.Engine`, or a session (``db.session``) whose engine
  is used. The sender works on its own connections and commits each step itself; the caller
  has nothing to commit. Call it after the transaction that queued the mail has committed.
- ``now``: aware UTC datetime. Rows with status queued/retry, ``next_attempt_at <= now`` and
  no hold after ``now`` (``held_until``) are due; cancelled rows never are. Claims older than
  the lease are measured from ``now``. Times recorded during the run are ``now`` plus the real
  time elapsed since the call (a test's fixed ``now`` stays consistent).
- ``config``: a mapping with the settings read by :class:`MailSettings` (``app.config``);
  default ``flask.current_app.config``.
- ``sender_id``: written to ``claimed_by``; default ``<hostname>:<pid>``.
- ``batch_size``: rows per claim (default ``MAIL_BATCH_SIZE``). The run claims batch after
  batch until nothing is due, ``limit`` messages were claimed, ``stop()`` returns True (the rest
  of the claimed batch is given back unsent) or the server cannot be used
  (``report.server_error``; the batch goes to retry).

What happens to one message, each step committed before the next:

1. Claim: status ``sending`` with a fresh claim token. On PostgreSQL the due rows are selected
   ``FOR UPDATE SKIP LOCKED`` in the claiming transaction, so two senders take different rows;
   SQLite runs one writer at a time. Either way only a row still due is updated.
2. MAIL FROM and RCPT TO over the run's one SMTP connection (the message itself is built
   by a helper thread while the one before it is with the server and the database).
3. The hand-over mark (``handed_over_at``), written only if the row still carries our claim
   token; otherwise the message is left alone (another sender took it back).
4. DATA and the message. 250 → ``sent``; 4xx, or the connection lost before DATA → ``retry``
   after 1, 2, 4 … minutes (capped, ``MAIL_RETRY_*``; ``failed`` after ``MAIL_MAX_ATTEMPTS``);
   5xx → ``failed`` with the server's reply; the connection lost or no reply during DATA →
   ``unknown``: the server may have the message, so it is never sent again on its own (a
   coordinator decides). Every result but ``sent`` adds a row to ``outbox_attempts`` with the
   reply code, the enhanced status code and the server's text.

Crash safety: a sender killed at any moment leaves its rows in ``sending``. When a claim is older
than the lease (``MAIL_CLAIM_LEASE_SECONDS``, default 10 minutes), the next run takes it back:
rows with the hand-over mark become ``unknown``, rows without it go back to ``retry``. A result
is recorded only on a row that still carries our claim token, so a sender that was merely slow
never sends what another one took back.

The Message-ID is derived from the idempotency key: a deliberate resend carries the same
Message-ID as the first copy, and mail programs can recognise it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.errors import MessageError
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, bindparam, case, insert, select, update
from sqlalchemy.orm import Session, scoped_session

from avestavard.models import OutboxAttempt, OutboxMessage, OutboxStatus
from avestavard.models.mail import DUE_STATUSES
from avestavard.services.figure_events import record_mail_failure
from avestavard.services.mail import RESERVED_HEADERS, reply_codes

log = logging.getLogger("avestavard.mail")

_ERROR_LENGTH = 500
_LONGEST_LINE = 78  # RFC 5322 2.1.1


# --------------------------------------------------------------------------- settings, report


@dataclass(frozen=True)
class MailSettings:
    """What the sender reads from the configuration (``config/*.toml`` and ``AVESTAVARD_*``)."""

    host: str = "localhost"
    port: int = 25
    use_ssl: bool = False
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    ca_file: str = ""  # extra CA bundle for a relay with a private certificate
    helo_name: str = ""  # default: this machine's name
    mail_from: str = "AvestaVärd <avestavard@avesta.se>"
    envelope_from: str = ""  # default: the address in mail_from
    reply_to: str = ""
    batch_size: int = 200
    max_attempts: int = 24
    retry_base: timedelta = timedelta(minutes=1)
    retry_cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=10)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """Read ``SMTP_*`` and ``MAIL_*`` settings; missing ones keep the defaults above."""
        d = cls()

        def get(key: str, default: Any) -> Any:
            value = config.get(key)
            return default if value is None else value

        mail_from = str(get("MAIL_FROM", d.mail_from))
        return cls(
            host=str(get("SMTP_HOST", d.host)),
            port=int(get("SMTP_PORT", d.port)),
            use_ssl=bool(get("SMTP_SSL", d.use_ssl)),
            starttls=bool(get("SMTP_STARTTLS", d.starttls)),
            username=str(get("SMTP_USERNAME", d.username)),
            password=str(get("SMTP_PASSWORD", d.password)),
            timeout=float(get("SMTP_TIMEOUT", d.timeout)),
            ca_file=str(get("SMTP_CA_FILE", d.ca_file)),
            helo_name=str(get("SMTP_HELO_NAME", d.helo_name)),
            mail_from=mail_from,
            envelope_from=str(get("MAIL_ENVELOPE_FROM", "")) or parseaddr(mail_from)[1],
            reply_to=str(get("MAIL_REPLY_TO", d.reply_to)),
            batch_size=max(1, int(get("MAIL_BATCH_SIZE", d.batch_size))),
            max_attempts=max(1, int(get("MAIL_MAX_ATTEMPTS", d.max_attempts))),
            retry_base=timedelta(seconds=float(get("MAIL_RETRY_BASE_SECONDS", 60))),
            retry_cap=timedelta(seconds=float(get("MAIL_RETRY_MAX_SECONDS", 3600))),
            lease=timedelta(seconds=float(get("MAIL_CLAIM_LEASE_SECONDS", 600))),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Wait after failed attempt number ``attempts``: base, 2×base, 4×base … at most the cap."""
        factor = 2 ** min(max(attempts - 1, 0), 20)
        return min(self.retry_base * factor, self.retry_cap)


@dataclass
class SendReport:
    """What one run did (counts of messages)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # temporary failure: will be tried again
    failed: int = 0  # permanent failure, or too many attempts
    unknown: int = 0  # connection lost after the data: may have arrived
    released: int = 0  # claimed but not tried because the run was stopped
    skipped: int = 0  # taken back from us (lease expired) before we handed it over
    recovered_retry: int = 0  # a dead sender's rows that were never handed over
    recovered_unknown: int = 0  # a dead sender's rows that may have been handed over
    server_error: str | None = None  # the run stopped: the server could not be used

    def as_dict(self) -> dict[str, Any]:
        """For logs and the scheduler's job record."""
        return dict(self.__dict__)


# --------------------------------------------------------------------------- the message


class _Folding:
    """How our headers are written: as they are when they fit on a line, else folded.

    A value that is ASCII and fits on one line needs no folding or encoding. Free text (Subject,
    List-Unsubscribe ...) is folded by :class:`email.header.Header`: the policies' own folder
    in Python 3.11 drops the space between two encoded-words at a fold (CPython gh-144156) and
    wraps a long URL in encoded-words, which List-Unsubscribe readers do not decode. ``Header``
    keeps ASCII as it is, folded at spaces, and writes anything else as UTF-8 encoded-words
    that never split a character. Addresses and MIME headers are folded by the policy.
    """

    name: str

    def fold(self, *, policy: Policy) -> str:
        value = str(self)
        line = f"{self.name}: {value}"
        fits = len(line) <= (policy.max_line_length or _LONGEST_LINE)
        if fits and value.isascii() and "=?" not in value:
            return line + policy.linesep
        if not isinstance(self, UnstructuredHeader):
            return str(super().fold(policy=policy))  # type: ignore[misc]
        charset = "us-ascii" if value.isascii() else "utf-8"
        folded = Header(value, charset, header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {folded}{policy.linesep}"


class _HeaderClasses(HeaderRegistry):
    """The standard header classes written by :class:`_Folding`, each class made once."""

    @functools.cache  # noqa: B019  (one registry for the life of the process)
    def __getitem__(self, name: str) -> type[BaseHeader]:
        header = super().__getitem__(name)
        return type(header.__name__, (_Folding, header), {})


# The message is written with the SMTP policy: CRLF line ends, every header line folded,
# non-ASCII header text RFC 2047 encoded. Bodies that are not plain ASCII go base64 (an ASCII
# body with overlong lines quoted-printable), so the message is 7bit and any relay takes it.
_SEND_POLICY = policy.SMTP.clone(cte_type="7bit", header_factory=_HeaderClasses())
# A non-ASCII address is written in UTF-8 (RFC 6532) and sent with SMTPUTF8.
_SEND_UTF8_POLICY = _SEND_POLICY.clone(utf8=True)
# Built with LF line ends: a text inside base64 keeps the line ends mail programs expect there.
_POLICY = _SEND_POLICY.clone(linesep="\n")
_UTF8_POLICY = _SEND_UTF8_POLICY.clone(linesep="\n")


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "avestavard.invalid"


def message_id_for(key: str, mail_from: str) -> str:
    """The Message-ID of the message queued under ``key``: the same for every copy sent."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<outbox.{digest}@{_domain_of(mail_from)}>"


def _header_fields(
    settings: MailSettings,
    key: str,
    to: str,
    subject: str,
    date: datetime,
    extra: Mapping[str, str],
) -> list[tuple[str, str]]:
    fields = [
        ("From", settings.mail_from),
        ("To", to),
        ("Subject", subject),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id_for(key, settings.mail_from)),
    ]
    if settings.reply_to:
        fields.append(("Reply-To", settings.reply_to))
    # RFC 3834: out-of-office replies should not answer automatic mail.
    fields.append(("Auto-Submitted", "auto-generated"))
    # A row may replace Reply-To or Auto-Submitted, and add its own (List-Unsubscribe ...).
    extras = {
        name.lower(): (name, value)
        for name, value in extra.items()
        if name.lower() not in RESERVED_HEADERS
    }
    fields = [extras.pop(name.lower(), (name, value)) for name, value in fields]
    fields.extend(extras.values())
    return fields


def _transfer_encoding(body: str) -> str | None:
    """base64 for a text that is not ASCII (its own line ends inside); else the policy's choice."""
    return None if body.isascii() else "base64"


def compose(
    settings: MailSettings,
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    headers: Mapping[str, str],
    date: datetime,
) -> EmailMessage:
    """The email for one outbox row: text, or text and HTML as multipart/alternative."""
    message = EmailMessage(policy=_POLICY if to.isascii() else _UTF8_POLICY)
    # The body first: setting it clears and moves the Content-* headers (Content-Language).
    message.set_content(text, cte=_transfer_encoding(text))
    if html is not None:
        # A boundary of our own: the generator would otherwise search the parts for its own.
        message.make_alternative(boundary=f"=_avestavard_{uuid.uuid4().hex}")
        message.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
    utf8 = message.policy is _UTF8_POLICY
    for name, value in _header_fields(settings, key, to, subject, date, headers):
        if name in _SETTINGS_HEADERS:
            message.set_raw(name, _folded_once(name, value, utf8))
        else:
            message[name] = value
    return message


# Headers whose value comes from the settings: encoded and folded once, not for every message.
_SETTINGS_HEADERS = frozenset({"From", "Reply-To"})


@functools.lru_cache(maxsize=16)
def _folded_once(name: str, value: str, utf8: bool) -> str:
    """The header's value as the policy writes it (``set_raw`` keeps it as it is)."""
    policy = _SEND_UTF8_POLICY if utf8 else _SEND_POLICY
    line = policy.header_factory(name, value).fold(policy=policy)
    return line.removeprefix(f"{name}: ").removesuffix(policy.linesep)


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it is sent: CRLF line ends, folded, 7bit unless it needs SMTPUTF8."""
    utf8 = message.policy is _UTF8_POLICY
    return message.as_bytes(policy=_SEND_UTF8_POLICY if utf8 else _SEND_POLICY)


# --------------------------------------------------------------------------- SMTP


class _Kind(Enum):
    SENT = "sent"
    TEMPORARY = "temporary"  # did not reach the server: may pass later
    PERMANENT = "permanent"
    UNKNOWN = "unknown"  # may have reached the server
    SKIPPED = "skipped"  # no longer ours: not handed over


@dataclass(frozen=True)
class _Outcome:
    kind: _Kind
    error: str = ""


class ServerUnavailable(Exception):
    """The SMTP server could not be reached or would not let us send (greeting, TLS, login)."""


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}"


def _describe(exc: BaseException, where: str) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = _reply_text(exc.smtp_code, exc.smtp_error)
    else:
        detail = str(exc) or type(exc).__name__
    return f"{type(exc).__name__} {where}: {detail}"


class _SmtpConnection:
    """The run's SMTP connection, opened when first needed and reused for every message.

    After the server closes it (421, a dropped connection) the next message opens a new one.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        """The open connection: connect, EHLO, STARTTLS and log in as configured."""
        if self.smtp is not None:
            return self.smtp
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file or None)
        helo = s.helo_name or None
        smtp: smtplib.SMTP | None = None
        try:
            if s.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, local_hostname=helo, timeout=s.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=helo, timeout=s.timeout)
            smtp.ehlo()
            if s.starttls and not s.use_ssl:
                smtp.starttls(context=context)  # never falls back to plain text
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password)
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                smtp.close()
            raise ServerUnavailable(_describe(exc, f"connecting to {s.host}:{s.port}")) from exc
        self.smtp = smtp
        return smtp

    def drop(self) -> None:
        """Forget a connection the server closed or that is in an unknown state."""
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def close(self) -> None:
        """QUIT at the end of the run."""
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self.drop()

    def send(
        self, envelope_from: str, to: str, payload: bytes, hand_over: Callable[[], bool]
    ) -> _Outcome:
        """Send one message; ``hand_over()`` runs before DATA and says whether it may go.

        Raises :class:`ServerUnavailable` if no connection can be opened.
        """
        smtp = self.open()
        options = []
        if not (envelope_from.isascii() and to.isascii()):
            if not smtp.has_extn("smtputf8"):
                return _Outcome(
                    _Kind.PERMANENT, "the address is not ASCII and the server lacks SMTPUTF8"
                )
            options.append("SMTPUTF8")
        try:
            code, reply = smtp.mail(envelope_from, options)
            if code != 250:
                return self._refused("MAIL FROM", code, reply)
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                return self._refused("RCPT TO", code, reply)
        except (OSError, smtplib.SMTPException) as exc:
            self.drop()
            return _Outcome(_Kind.TEMPORARY, _describe(exc, "before the message was sent"))
        if not hand_over():
            self._reset()
            return _Outcome(_Kind.SKIPPED)
        try:
            code, reply = smtp.data(payload)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing went out
            return self._refused("DATA", exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            # smtplib does not say whether the message had gone out: it may have arrived.
            self.drop()
            return _Outcome(
                _Kind.UNKNOWN,
                _describe(exc, "after the message was sent (or while it was), before the reply"),
            )
        if code == 250:
            return _Outcome(_Kind.SENT)
        return self._refused("end of DATA", code, reply)

    def _refused(self, stage: str, code: int, reply: bytes | str) -> _Outcome:
        """A refusal: 5xx will not pass, anything else (4xx) may pass later."""
        self._reset(code)
        kind = _Kind.PERMANENT if 500 <= code <= 599 else _Kind.TEMPORARY
        return _Outcome(kind, f"{stage}: {_reply_text(code, reply)}")

    def _reset(self, code: int | None = None) -> None:
        """Clear the SMTP transaction; after a 421 the server is closing the connection."""
        if code == 421 or self.smtp is None:
            self.drop()
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.drop()


# --------------------------------------------------------------------------- the database side


@dataclass(frozen=True)
class _Row:
    """What the sender reads of a claimed outbox row."""

    id: int
    key: str
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]
    attempts: int
    next_attempt_at: datetime


_M = OutboxMessage
# A row a coordinator already decided about (no longer our token) is left alone.
_OPEN = _M.status.in_((OutboxStatus.SENDING, OutboxStatus.UNKNOWN))


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued or to retry, its time come, not held (``held_until`` wins over the time)."""
    not_held = _M.held_until.is_(None) | (_M.held_until <= now)
    return _M.status.in_(DUE_STATUSES) & (_M.next_attempt_at <= now) & not_held


# The two statements run for every message, built once (values bound at each execution).
_OURS = (_M.id == bindparam("row_id")) & (_M.claim_token == bindparam("token"))
_MARK_HANDED_OVER = (
    update(_M)
    .where(_OURS, _M.status == OutboxStatus.SENDING)
    .values(handed_over_at=bindparam("at"), claimed_at=bindparam("at"))
)
# The SET clause comes from the column names among the parameters (see _result_values).
_WRITE_RESULT = update(_M).where(_OURS, _OPEN)


def _truncate(error: str) -> str:
    return error if len(error) <= _ERROR_LENGTH else error[: _ERROR_LENGTH - 1] + "…"


def recover_stale_claims(conn: Connection, now: datetime, *, lease: timedelta) -> tuple[int, int]:
    """Take back rows claimed longer than ``lease`` ago by a sender that stopped; commits.

    Rows that were handed over to the server become ``unknown`` (they keep the claim token, so
    a sender that was only slow can still record the real result); the others go back to
    ``retry``, due at once. Returns (back to retry, unknown).
    """
    stale = (_M.status == OutboxStatus.SENDING) & (_M.claimed_at < now - lease)
    with conn.begin():
        unknown = conn.execute(
            update(_M)
            .where(stale, _M.handed_over_at.is_not(None))
            .values(
                status=OutboxStatus.UNKNOWN,
                attempts=_M.attempts + 1,
                last_attempt_at=_M.handed_over_at,
                last_error="the sender stopped after handing the message to the server, "
                "before the reply was recorded",
            )
        ).rowcount
        requeued = conn.execute(
            update(_M)
            .where(stale, _M.handed_over_at.is_(None))
            .values(status=OutboxStatus.RETRY, claim_token=None, next_attempt_at=now)
        ).rowcount
    if unknown or requeued:
        log.warning("took back stale claims: %d to retry, %d unknown", requeued, unknown)
    return requeued, unknown


def _claim(
    conn: Connection, now: datetime, count: int, *, token: str, sender_id: str, at: datetime
) -> list[_Row]:
    """Claim up to ``count`` due rows under ``token``, oldest due first; commits."""
    due = select(_M.id).where(_due(now)).order_by(_M.next_attempt_at, _M.id).limit(count)
    if conn.dialect.name == "postgresql":
        # Two senders at once take different rows instead of waiting for each other.
        due = due.with_for_update(skip_locked=True)
    with conn.begin():
        # The ids first: as a subquery of the UPDATE, PostgreSQL may rerun the locking SELECT
        # for each row it updates, skip the rows just claimed and claim more than ``count``.
        ids = list(conn.execute(due).scalars())
        if not ids:
            return []
        claimed = conn.execute(
            update(_M)
            .where(_M.id.in_(ids), _due(now))  # still due: not cancelled or taken meanwhile
            .values(
                status=OutboxStatus.SENDING,
                claim_token=token,
                claimed_by=sender_id[:100],
                claimed_at=at,
                handed_over_at=None,
            )
            .returning(
                _M.id,
                _M.idempotency_key,
                _M.to_address,
                _M.subject,
                _M.body_text,
                _M.body_html,
                _M.headers,
                _M.attempts,
                _M.next_attempt_at,
            )
        ).all()
    return sorted((_Row(*r) for r in claimed), key=lambda r: (r.next_attempt_at, r.id))


def _mark_handed_over(writes: Connection, row: _Row, token: str, at: datetime) -> bool:
    """Write the hand-over mark of ``row`` (one statement); False if it is no longer ours."""
    marked = writes.execute(_MARK_HANDED_OVER, {"row_id": row.id, "token": token, "at": at})
    return marked.rowcount == 1


def _result_values(
    settings: MailSettings, row: _Row, outcome: _Outcome, at: datetime
) -> dict[str, Any]:
    """The columns to write for ``outcome`` (``status`` among them)."""
    attempts = row.attempts + 1
    if outcome.kind is _Kind.SENT:
        return {
            "status": OutboxStatus.SENT,
            "sent_at": at,
            "last_attempt_at": at,
            "attempts": attempts,
            "last_error": None,
            "claim_token": None,
        }
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": at,
        "last_error": _truncate(outcome.error),
    }
    if outcome.kind is _Kind.UNKNOWN:
        values["status"] = OutboxStatus.UNKNOWN
    elif outcome.kind is _Kind.TEMPORARY and attempts < settings.max_attempts:
        values.update(
            status=OutboxStatus.RETRY,
            next_attempt_at=at + settings.backoff(attempts),
            claim_token=None,
            handed_over_at=None,
        )
    else:
        if outcome.kind is _Kind.TEMPORARY:
            values["last_error"] = _truncate(
                f"gave up after {attempts} attempts; last: {outcome.error}"
            )
        values.update(status=OutboxStatus.FAILED, claim_token=None)
    return values


def _write_result(batch: _Batch, row: _Row, values: Mapping[str, Any], at: datetime) -> None:
    """Write a result on a row that is still ours, with its attempt unless it was sent."""
    status: OutboxStatus = values["status"]
    params = {**values, "row_id": row.id, "token": batch.token}
    if status is OutboxStatus.SENT:
        batch.writes.execute(_WRITE_RESULT, params)
        return
    conn = batch.conn
    with conn.begin():
        if not conn.execute(_WRITE_RESULT, params).rowcount:
            return
        code, enhanced = reply_codes(values["last_error"])
        conn.execute(
            insert(OutboxAttempt).values(
                message_id=row.id,
                at=at,
                outcome=status.value,
                reply_code=code,
                enhanced_status=enhanced,
                text=values["last_error"],
            )
        )
        if status is OutboxStatus.FAILED:
            record_mail_failure(conn, at)


def _release(writes: Connection, rows: Sequence[_Row], token: str) -> int:
    """Give back claimed rows that were not tried (the run was asked to stop)."""
    return writes.execute(
        update(_M)
        .where(
            _M.id.in_([r.id for r in rows]),
            _M.claim_token == token,
            _M.status == OutboxStatus.SENDING,
        )
        .values(
            status=case(
                (_M.attempts > 0, OutboxStatus.RETRY.value), else_=OutboxStatus.QUEUED.value
            ),
            claim_token=None,
            handed_over_at=None,
        )
    ).rowcount


# --------------------------------------------------------------------------- the run


class _Clock:
    """``now`` at the start of the run, moving on with the real time elapsed."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.start = now
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


@dataclass
class _Batch:
    """One claimed batch and what sending it needs."""

    conn: Connection  # for transactions
    writes: Connection  # autocommit: each statement durable when it returns
    smtp: _SmtpConnection
    settings: MailSettings
    token: str
    clock: _Clock
    report: SendReport


def default_sender_id() -> str:
    """Host name and process id: who holds a claim, for the outbox page and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _engine_of(bind: Engine | Session | scoped_session[Session]) -> Engine:
    if isinstance(bind, Engine):
        return bind
    engine = bind.get_bind()
    return engine.engine if isinstance(engine, Connection) else engine


def send_due_mail(
    bind: Engine | Session | scoped_session[Session],
    now: datetime,
    *,
    config: Mapping[str, Any] | None = None,
    sender_id: str | None = None,
    batch_size: int | None = None,
    limit: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> SendReport:
    """Send every message due at ``now`` (the module docstring gives the exact rules)."""
    if config is None:
        from flask import current_app

        config = current_app.config
    settings = MailSettings.from_config(config)
    sender_id = sender_id or default_sender_id()
    size = batch_size or settings.batch_size
    clock = _Clock(now)
    report = SendReport()
    smtp = _SmtpConnection(settings)
    engine = _engine_of(bind)
    # The writes made for every message are single statements: autocommit, one round trip each.
    with engine.connect() as conn, engine.connect() as writes:
        writes.execution_options(isolation_level="AUTOCOMMIT")
        try:
            report.recovered_retry, report.recovered_unknown = recover_stale_claims(
                conn, now, lease=settings.lease
            )
            while limit is None or report.claimed < limit:
                if stop is not None and stop():
                    break
                count = size if limit is None else min(size, limit - report.claimed)
                token = uuid.uuid4().hex
                rows = _claim(conn, now, count, token=token, sender_id=sender_id, at=clock())
                if not rows:
                    break
                report.claimed += len(rows)
                batch = _Batch(conn, writes, smtp, settings, token, clock, report)
                if not _send_batch(batch, rows, stop):
                    break
        finally:
            smtp.close()
    if report.claimed or report.recovered_retry or report.recovered_unknown:
        log.info("mail run: %s", report.as_dict())
    return report


def _send_batch(batch: _Batch, rows: Sequence[_Row], stop: Callable[[], bool] | None) -> bool:
    """Send one claimed batch; False when the run should end (stopped, server unusable)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-builder") as builder:
        # Each message is built while the one before it is with the server and the database.
        upcoming = builder.submit(_payload, batch.settings, rows[0], batch.clock())
        for index, row in enumerate(rows):
            payload = upcoming.result()
            if index + 1 < len(rows):
                upcoming = builder.submit(_payload, batch.settings, rows[index + 1], batch.clock())
            if stop is not None and stop():
                batch.report.released += _release(batch.writes, rows[index:], batch.token)
                return False
            try:
                outcome = _send(batch, row, payload)
            except ServerUnavailable as exc:
                # Nothing of the rest of the batch reached the server: all of it tries again.
                batch.report.server_error = str(exc)
                for rest in rows[index:]:
                    _record(batch, rest, _Outcome(_Kind.TEMPORARY, str(exc)))
                return False
            _record(batch, row, outcome)
    return True


def _payload(settings: MailSettings, row: _Row, date: datetime) -> bytes | _Outcome:
    """The bytes to send for ``row``, or the permanent failure that it cannot be built."""
    try:
        message = compose(
            settings,
            key=row.key,
            to=row.to,
            subject=row.subject,
            text=row.text,
            html=row.html,
            headers=row.headers or {},
            date=date,
        )
        return message_bytes(message)
    except (ValueError, TypeError, UnicodeError, MessageError) as exc:
        return _Outcome(_Kind.PERMANENT, f"the message could not be built: {exc}")


def _send(batch: _Batch, row: _Row, payload: bytes | _Outcome) -> _Outcome:
    """Send one message, marking it handed over just before DATA."""
    if isinstance(payload, _Outcome):
        return payload
    return batch.smtp.send(
        batch.settings.envelope_from,
        row.to,
        payload,
        lambda: _mark_handed_over(batch.writes, row, batch.token, batch.clock()),
    )


_COUNTERS = {
    OutboxStatus.SENT: "sent",
    OutboxStatus.RETRY: "retried",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.UNKNOWN: "unknown",
}


def _record(batch: _Batch, row: _Row, outcome: _Outcome) -> None:
    """Count the outcome of ``row`` and commit it to the row (a skipped row is not ours)."""
    if outcome.kind is _Kind.SKIPPED:
        batch.report.skipped += 1
        return
    at = batch.clock()
    values = _result_values(batch.settings, row, outcome, at)
    counter = _COUNTERS[values["status"]]
    setattr(batch.report, counter, getattr(batch.report, counter) + 1)
    if outcome.kind is not _Kind.SENT:
        log.warning("outbox message %d: %s: %s", row.id, outcome.kind.value, outcome.error)
    _write_result(batch, row, values, at)
