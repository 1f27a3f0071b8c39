"""Delivering the outbox over SMTP: claim, send over one connection, record each result.

API (the ``send-mail`` command, the scheduler's mail job and tests call this)::

    send_due_mail(bind, now, *, config=None, sender_id=None,
                  batch_size=None, limit=None, stop=None) -> SendReport

- ``bind``: an :class:`~sqlalchemy.engine.Engine`, or a session (``db.session``) whose engine
  is used. The sender works on its own connection in autocommit mode (every write is one
  statement, durable when it returns); the caller has nothing to commit. Call it after the
  transaction that queued the mail has committed.
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

What happens to one message:

1. Claim, durable before anything is sent: status ``sending`` with a fresh claim token, in one
   ``UPDATE ... WHERE id IN (due rows) AND status IN ('queued', 'retry') RETURNING ...``
   (PostgreSQL: the due rows are selected ``FOR UPDATE SKIP LOCKED``, so two senders take
   different rows; SQLite runs one writer at a time, and the status condition is the claim).
2. MAIL FROM and RCPT TO over the run's one SMTP connection.
3. DATA; while the server answers it, the hand-over mark (``handed_over_at``) is written, and
   the message data is only sent if the row still carries our claim token.
4. The result: 250 → ``sent``; 4xx, or the connection lost before the data went out → ``retry``
   after 1, 2, 4 … minutes (capped, ``MAIL_RETRY_*``; ``failed`` after ``MAIL_MAX_ATTEMPTS``);
   5xx → ``failed`` with the server's reply; no reply after the data → ``unknown``, which is
   never sent again on its own (a coordinator decides).

The result is written together with the next message's hand-over mark (one statement, one
round trip to the database per message), or as soon as the server is slow to answer (20 ms), or
at the end of the batch. So a sender killed while waiting on a slow server has recorded every
result it knew; killed within those milliseconds, the last sent message shows as ``unknown``
(never as sendable).

Crash safety: a sender killed at any moment leaves its rows in ``sending``. When a claim is older
than the lease (``MAIL_CLAIM_LEASE_SECONDS``, default 10 minutes), the next run takes it back:
rows with the hand-over mark become ``unknown`` (the server may have accepted them), rows without
it go back to ``retry``. A result is recorded only on a row that still carries our claim token,
so a sender that was merely slow never sends what another one took back.

The Message-ID is derived from the idempotency key: a deliberate resend carries the same
Message-ID as the first copy, and mail programs can recognise it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import select as io_select
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from enum import Enum
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Table,
    bindparam,
    case,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session, scoped_session

from avestavard.models import OutboxAttempt, OutboxMessage, OutboxStatus
from avestavard.models.mail import DUE_STATUSES
from avestavard.services.figure_events import record_mail_failure
from avestavard.services.mail import RESERVED_HEADERS, reply_codes

log = logging.getLogger("avestavard.mail")

_ERROR_LENGTH = 500


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


# --------------------------------------------------------------------------- outcomes


class _Kind(Enum):
    SENT = "sent"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class _Outcome:
    kind: _Kind
    error: str = ""


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}"


def _reply_outcome(stage: str, code: int, reply: bytes | str) -> _Outcome:
    """A server's refusal: 5xx will not pass, anything else (4xx) may pass later."""
    kind = _Kind.PERMANENT if 500 <= code <= 599 else _Kind.TEMPORARY
    return _Outcome(kind, f"{stage}: {_reply_text(code, reply)}")


def _describe(exc: BaseException, where: str) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = _reply_text(exc.smtp_code, exc.smtp_error)
    else:
        detail = str(exc) or type(exc).__name__
    return f"{type(exc).__name__} {where}: {detail}"


class ServerUnavailable(Exception):
    """The SMTP server could not be reached or would not let us send (greeting, TLS, login)."""


@dataclass(frozen=True)
class _Row:
    id: int
    key: str
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]
    attempts: int
    next_attempt_at: datetime


# --------------------------------------------------------------------------- composing


class _FoldedByHeader:
    """Free-text headers (Subject, List-Unsubscribe ...) folded by :class:`email.header.Header`.

    The policies' own folder in Python 3.11 drops the space between two encoded-words at a
    fold (CPython gh-144156) and wraps a long URL in encoded-words, which List-Unsubscribe
    readers do not decode. ``Header`` keeps ASCII as it is, folded at spaces, and writes anything
    else as UTF-8 encoded-words that never split a character.
    """

    name: str

    def fold(self, *, policy: Policy) -> str:
        value = str(self)
        charset = "us-ascii" if value.isascii() else "utf-8"
        folded = Header(value, charset, header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {folded}{policy.linesep}"


class _HeaderClasses(HeaderRegistry):
    """The standard header classes, free text folded by ``Header``; each class made once."""

    @functools.cache  # noqa: B019  (one registry for the life of the process)
    def __getitem__(self, name: str) -> type[BaseHeader]:
        header = super().__getitem__(name)
        if issubclass(header, UnstructuredHeader):
            return type(header.__name__, (_FoldedByHeader, header), {})
        return header


# The message is written with the SMTP policy: CRLF line ends, every header line folded,
# non-ASCII header text RFC 2047 encoded. Bodies that are not plain ASCII go quoted-printable or
# base64, so the message is 7bit and any relay takes it.
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
    for name, value in _header_fields(settings, key, to, subject, date, headers):
        message[name] = _address_header(name, value) if name in _SETTINGS_HEADERS else value
    return message


# Headers whose value comes from the settings: parsed once, not for every message.
_SETTINGS_HEADERS = frozenset({"From", "Reply-To"})


@functools.lru_cache(maxsize=16)
def _address_header(name: str, value: str) -> BaseHeader:
    return _POLICY.header_factory(name, value)


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it is sent: CRLF line ends, folded, 7bit unless it needs SMTPUTF8."""
    utf8 = message.policy is _UTF8_POLICY
    return message.as_bytes(policy=_SEND_UTF8_POLICY if utf8 else _SEND_POLICY)


_PLAIN_ADDRESS = re.compile(r'[^\s<>()",;:@]+@[^\s<>()",;:@]+')


def _quote_address(address: str) -> str:
    """``<address>`` for the envelope; smtplib's parser only for anything unusual."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _needs_smtputf8(*addresses: str) -> bool:
    return not all(a.isascii() for a in addresses)


_LEADING_DOT = re.compile(rb"(?m)^\.")


# --------------------------------------------------------------------------- SMTP


class _Hooks:
    """What :meth:`_SmtpConnection.deliver` calls while it waits for the server."""

    def waiting(self) -> None:
        """The server is taking a moment to answer: a good time to commit what is pending."""

    def hand_over(self) -> bool:
        """DATA has been sent, the message data has not: True if it may go."""
        return True

    def while_data(self) -> None:
        """The message data has been sent."""


# A reply that takes longer than this lets the sender commit pending results while it waits.
_PATIENCE = 0.02


def _reply(smtp: smtplib.SMTP, hooks: _Hooks) -> tuple[int, bytes]:
    """The server's reply; if it is not there at once, ``hooks.waiting()`` runs first."""
    sock = smtp.sock
    if sock is not None:
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not pending and not io_select.select([sock], [], [], _PATIENCE)[0]:
            hooks.waiting()
    return smtp.getreply()


class _SmtpConnection:
    """One SMTP connection, opened when first needed and reused for every message.

    After the server closes it (421, a dropped connection) the next message opens a new one.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        """The open connection, connecting and logging in first if needed."""
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
                # Never fall back to plain text when TLS was asked for.
                smtp.starttls(context=context)
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
        """Say goodbye politely at the end of the run."""
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self.drop()

    def _after_refusal(self, code: int) -> None:
        # 421: the server is closing the connection; otherwise clear the transaction.
        if code == 421 or self.smtp is None:
            self.drop()
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.drop()

    def deliver(self, envelope_from: str, to: str, payload: bytes, hooks: _Hooks) -> _Outcome:
        """Send one message and say what became of it.

        The outcome separates what certainly did not reach the server (anything before the
        message data went out) from what may have (the data went out, no reply came back).
        The hooks do the database work while the server is busy with a command, so that
        neither side sits idle waiting for the other.
        """
        smtp = self.open()
        if _needs_smtputf8(envelope_from, to):
            if not smtp.has_extn("smtputf8"):
                return _Outcome(
                    _Kind.PERMANENT, "the address is not ASCII and the server lacks SMTPUTF8"
                )
            smtp.command_encoding = "utf-8"
            options = " SMTPUTF8"
        else:
            smtp.command_encoding = "ascii"
            options = ""
        try:
            smtp.putcmd("mail", f"FROM:{_quote_address(envelope_from)}{options}")
            code, reply = _reply(smtp, hooks)
            if code != 250:
                self._after_refusal(code)
                return _reply_outcome("MAIL FROM", code, reply)
            smtp.putcmd("rcpt", f"TO:{_quote_address(to)}")
            code, reply = _reply(smtp, hooks)
            if code not in (250, 251):
                self._after_refusal(code)
                return _reply_outcome("RCPT TO", code, reply)
            smtp.putcmd("data")
            ours = hooks.hand_over()
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.drop()
            return _Outcome(_Kind.TEMPORARY, _describe(exc, "before the message was sent"))
        if not ours:
            # Taken back by another sender: leave without sending the data.
            self.drop()
            return _Outcome(_Kind.SKIPPED)
        if code != 354:
            self._after_refusal(code)
            return _reply_outcome("DATA", code, reply)
        # From here on the server may have the message: no answer means "unknown".
        data = _LEADING_DOT.sub(b"..", payload)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            smtp.send(data + b".\r\n")
            hooks.while_data()
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.drop()
            return _Outcome(
                _Kind.UNKNOWN, _describe(exc, "after the message was sent, before the reply")
            )
        if code == 250:
            return _Outcome(_Kind.SENT)
        self._after_refusal(code)
        return _reply_outcome("end of DATA", code, reply)


# --------------------------------------------------------------------------- the database side


class _Clock:
    """``now`` at the start of the run, moving on with the real time elapsed."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.start = now
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def _truncate(error: str) -> str:
    return error if len(error) <= _ERROR_LENGTH else error[: _ERROR_LENGTH - 1] + "…"


_TABLE = cast(Table, OutboxMessage.__table__)
_ATTEMPTS = cast(Table, OutboxAttempt.__table__)
_OURS = (_TABLE.c.id == bindparam("b_id")) & (_TABLE.c.claim_token == bindparam("b_token"))
# The two statements that run for every message, prepared once.
_MARK_HANDED_OVER = (
    update(_TABLE)
    .where(_OURS, _TABLE.c.status == OutboxStatus.SENDING)
    .values(handed_over_at=bindparam("b_at"), claimed_at=bindparam("b_at"))
)
# A row a coordinator already decided about (no longer our token) is left alone.
_OPEN = (_TABLE.c.status == OutboxStatus.SENDING) | (_TABLE.c.status == OutboxStatus.UNKNOWN)
_RECORD_SENT = (
    update(_TABLE)
    .where(_OURS, _OPEN)
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("b_at"),
        last_attempt_at=bindparam("b_at"),
        attempts=bindparam("b_attempts"),
        last_error=None,
        claim_token=None,
    )
)

# The usual case in one statement (one round trip): the previous message was sent, and this
# one is about to be handed over. RETURNING tells which of the two rows were still ours.
_IS_PREVIOUS = _TABLE.c.id == bindparam("p_id")
_SENT_AND_MARK = (
    update(_TABLE)
    .where(
        _TABLE.c.claim_token == bindparam("b_token"),
        (_IS_PREVIOUS & _OPEN)
        | ((_TABLE.c.id == bindparam("b_id")) & (_TABLE.c.status == OutboxStatus.SENDING)),
    )
    .values(
        status=case(
            (_IS_PREVIOUS, literal(OutboxStatus.SENT, _TABLE.c.status.type)),
            else_=_TABLE.c.status,
        ),
        sent_at=case(
            (_IS_PREVIOUS, bindparam("p_at", type_=_TABLE.c.sent_at.type)),
            else_=_TABLE.c.sent_at,
        ),
        last_attempt_at=case(
            (_IS_PREVIOUS, bindparam("p_at", type_=_TABLE.c.sent_at.type)),
            else_=_TABLE.c.last_attempt_at,
        ),
        attempts=case(
            (_IS_PREVIOUS, bindparam("p_attempts", type_=_TABLE.c.attempts.type)),
            else_=_TABLE.c.attempts,
        ),
        last_error=case((_IS_PREVIOUS, null()), else_=_TABLE.c.last_error),
        claim_token=case((_IS_PREVIOUS, null()), else_=_TABLE.c.claim_token),
        handed_over_at=case(
            (_IS_PREVIOUS, _TABLE.c.handed_over_at),
            else_=bindparam("b_at", type_=_TABLE.c.handed_over_at.type),
        ),
        claimed_at=case(
            (_IS_PREVIOUS, _TABLE.c.claimed_at),
            else_=bindparam("b_at", type_=_TABLE.c.claimed_at.type),
        ),
    )
    .returning(_TABLE.c.id)
)


class _Prepared:
    """A statement compiled once for the connection's dialect, run with the driver's execute.

    SQLAlchemy's ``execute`` costs more than the SQLite write itself, and the hand-over mark and
    the sent result run for every message. Values go through the columns' own bind processors
    (UTC datetimes, enums), exactly as ``execute`` would do.
    """

    def __init__(self, statement: Any, dialect: Any, variables: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order: Sequence[str] | None = compiled.positiontup
        self.variables = variables
        self.processors = {
            name: compiled.binds[name].type.bind_processor(dialect) for name in variables
        }
        constants = compiled.construct_params(dict.fromkeys(variables))
        for name in variables:
            del constants[name]
        self.constants = {
            name: self._process(compiled.binds[name].type.bind_processor(dialect), value)
            for name, value in constants.items()
        }

    @staticmethod
    def _process(processor: Callable[[Any], Any] | None, value: Any) -> Any:
        return value if processor is None else processor(value)

    def run(self, conn: Connection, values: Mapping[str, Any]) -> CursorResult[Any]:
        """Execute with ``values`` for the variables."""
        params = dict(self.constants)
        for name in self.variables:
            params[name] = self._process(self.processors[name], values[name])
        args: Any = params if self.order is None else tuple(params[n] for n in self.order)
        return conn.exec_driver_sql(self.sql, args)


def recover_stale_claims(conn: Connection, now: datetime, *, lease: timedelta) -> tuple[int, int]:
    """Take back rows claimed longer than ``lease`` ago by a sender that stopped.

    Rows that were handed over to the server become ``unknown`` (they keep the claim token, so
    a sender that was only slow can still record the real result); the others go back to
    ``retry``, due at once. Returns (back to retry, unknown). The caller commits.
    """
    stale = (_TABLE.c.status == OutboxStatus.SENDING) & (_TABLE.c.claimed_at < now - lease)
    unknown = conn.execute(
        update(_TABLE)
        .where(stale, _TABLE.c.handed_over_at.is_not(None))
        .values(
            status=OutboxStatus.UNKNOWN,
            attempts=_TABLE.c.attempts + 1,
            last_attempt_at=_TABLE.c.handed_over_at,
            last_error="the sender stopped after handing the message to the server, "
            "before the reply was recorded",
        )
    ).rowcount
    requeued = conn.execute(
        update(_TABLE)
        .where(stale, _TABLE.c.handed_over_at.is_(None))
        .values(status=OutboxStatus.RETRY, claim_token=None, next_attempt_at=now)
    ).rowcount
    if unknown or requeued:
        log.warning("took back stale claims: %d to retry, %d unknown", requeued, unknown)
    return requeued, unknown


def _not_held(now: datetime) -> Any:
    """A held row is not due before its ``held_until``, whatever ``next_attempt_at`` says."""
    return _TABLE.c.held_until.is_(None) | (_TABLE.c.held_until <= now)


def _claim(
    conn: Connection, now: datetime, count: int, *, token: str, sender_id: str, at: datetime
) -> list[_Row]:
    """Claim up to ``count`` due rows under ``token``, oldest due first; the caller commits."""
    due = (
        select(_TABLE.c.id)
        .where(_TABLE.c.status.in_(DUE_STATUSES), _TABLE.c.next_attempt_at <= now, _not_held(now))
        .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
        .limit(count)
    )
    if conn.dialect.name == "postgresql":
        # Two senders at once take different rows instead of waiting for each other.
        due = due.with_for_update(skip_locked=True)
    # The ids are read first and updated in a second statement. As a subquery of the UPDATE,
    # PostgreSQL may run the locking SELECT again for each row it updates; every rerun then
    # skips the rows just claimed and takes the next ones, claiming more than ``count``.
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    stmt = (
        update(_TABLE)
        .where(_TABLE.c.id.in_(ids))
        # The claim itself: only a row that is still due (not cancelled meanwhile) is taken.
        .where(_TABLE.c.status.in_(DUE_STATUSES), _not_held(now))
        .values(
            status=OutboxStatus.SENDING,
            claim_token=token,
            claimed_by=sender_id[:100],
            claimed_at=at,
            handed_over_at=None,
        )
        .returning(
            _TABLE.c.id,
            _TABLE.c.idempotency_key,
            _TABLE.c.to_address,
            _TABLE.c.subject,
            _TABLE.c.body_text,
            _TABLE.c.body_html,
            _TABLE.c.headers,
            _TABLE.c.attempts,
            _TABLE.c.next_attempt_at,
        )
    )
    rows = [_Row(*r) for r in conn.execute(stmt).all()]
    rows.sort(key=lambda r: (r.next_attempt_at, r.id))
    return rows


class _Recorder:
    """Writes the results and hand-over marks of one claimed batch.

    The connection is in autocommit mode: each write is one statement and durable when it
    returns. A message's result waits in memory until just before the next message's hand-over
    mark, or until the server is slow to answer, or the end of the batch. A sender killed in
    between leaves that message marked as handed over: it becomes ``unknown``, never sent twice.
    """

    def __init__(
        self,
        conn: Connection,
        settings: MailSettings,
        token: str,
        clock: Callable[[], datetime],
        report: SendReport,
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.token = token
        self.clock = clock
        self.report = report
        self.pending: list[tuple[_Row, _Outcome, datetime]] = []
        self.mark = _Prepared(_MARK_HANDED_OVER, conn.dialect, ("b_id", "b_token", "b_at"))
        self.sent = _Prepared(_RECORD_SENT, conn.dialect, ("b_id", "b_token", "b_at", "b_attempts"))
        self.sent_and_mark = _Prepared(
            _SENT_AND_MARK,
            conn.dialect,
            ("p_id", "p_at", "p_attempts", "b_id", "b_token", "b_at"),
        )

    def result(self, row: _Row, outcome: _Outcome) -> None:
        """Remember the outcome of ``row``; :meth:`flush` writes it."""
        self.pending.append((row, outcome, self.clock()))

    def flush(self) -> None:
        """Write the pending results."""
        self._write_pending()

    def hand_over(self, row: _Row) -> bool:
        """Write the pending results, then the hand-over mark of ``row``.

        False if the row is no longer ours.
        """
        if len(self.pending) == 1 and self.pending[0][1].kind is _Kind.SENT:
            previous, _, sent_at = self.pending.pop()
            self.report.sent += 1
            values = {
                "p_id": previous.id,
                "p_at": sent_at,
                "p_attempts": previous.attempts + 1,
                "b_id": row.id,
                "b_token": self.token,
                "b_at": self.clock(),
            }
            return row.id in self.sent_and_mark.run(self.conn, values).scalars().all()
        self._write_pending()
        values = {"b_id": row.id, "b_token": self.token, "b_at": self.clock()}
        return bool(self.mark.run(self.conn, values).rowcount)

    def release(self, rows: Sequence[_Row]) -> None:
        """Give back claimed rows that were not tried (the run was asked to stop)."""
        self._write_pending()
        for row in rows:
            self.report.released += self.conn.execute(
                update(_TABLE)
                .where(_OURS, _TABLE.c.status == OutboxStatus.SENDING)
                .values(
                    status=case(
                        (_TABLE.c.attempts > 0, OutboxStatus.RETRY.value),
                        else_=OutboxStatus.QUEUED.value,
                    ),
                    claim_token=None,
                    handed_over_at=None,
                ),
                {"b_id": row.id, "b_token": self.token},
            ).rowcount

    def _write_pending(self) -> None:
        for row, outcome, at in self.pending:
            self._write(row, outcome, at)
        self.pending.clear()

    def _write(self, row: _Row, outcome: _Outcome, at: datetime) -> None:
        report, settings = self.report, self.settings
        attempts = row.attempts + 1
        if outcome.kind is _Kind.SKIPPED:
            report.skipped += 1
            return
        if outcome.kind is _Kind.SENT:
            report.sent += 1
            self.sent.run(
                self.conn,
                {"b_id": row.id, "b_token": self.token, "b_at": at, "b_attempts": attempts},
            )
            return
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_attempt_at": at,
            "last_error": _truncate(outcome.error),
        }
        if outcome.kind is _Kind.UNKNOWN:
            values.update(status=OutboxStatus.UNKNOWN)
            report.unknown += 1
        elif outcome.kind is _Kind.TEMPORARY and attempts < settings.max_attempts:
            values.update(
                status=OutboxStatus.RETRY,
                next_attempt_at=at + settings.backoff(attempts),
                claim_token=None,
                handed_over_at=None,
            )
            report.retried += 1
        else:
            if outcome.kind is _Kind.TEMPORARY:
                values["last_error"] = _truncate(
                    f"gave up after {attempts} attempts; last: {outcome.error}"
                )
            values.update(status=OutboxStatus.FAILED, claim_token=None)
            report.failed += 1
        log.warning("outbox message %d: %s: %s", row.id, outcome.kind.value, outcome.error)
        written = self.conn.execute(
            update(_TABLE).where(_OURS, _OPEN).values(**values),
            {"b_id": row.id, "b_token": self.token},
        ).rowcount
        if written:
            code, enhanced = reply_codes(outcome.error)
            self.conn.execute(
                insert(_ATTEMPTS).values(
                    message_id=row.id,
                    at=at,
                    outcome=str(values["status"].value),
                    reply_code=code,
                    enhanced_status=enhanced,
                    text=_truncate(outcome.error),
                )
            )
            if values["status"] == OutboxStatus.FAILED:
                record_mail_failure(self.conn, at)


class _BatchHooks(_Hooks):
    """The database side of sending one message, done while the server works."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder
        self.row: _Row | None = None
        self.prepare_next: Callable[[], None] = lambda: None

    def waiting(self) -> None:
        # A slow server: do not keep the previous result uncommitted while we wait.
        self.recorder.flush()

    def hand_over(self) -> bool:
        assert self.row is not None
        return self.recorder.hand_over(self.row)

    def while_data(self) -> None:
        self.prepare_next()


# --------------------------------------------------------------------------- the run


def default_sender_id() -> str:
    """Host name and process id: who holds a claim, for the outbox page and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _engine_of(bind: Engine | Session | scoped_session[Session]) -> Engine:
    if isinstance(bind, Engine):
        return bind
    engine = bind.get_bind()
    if isinstance(engine, Connection):
        return engine.engine
    return engine


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
    connection = _SmtpConnection(settings)
    with _engine_of(bind).connect() as connected:
        # Every write is one statement that stands on its own: each commits by itself.
        conn = connected.execution_options(isolation_level="AUTOCOMMIT")
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
                recorder = _Recorder(conn, settings, token, clock, report)
                if not _send_batch(rows, connection, recorder, settings, clock, stop):
                    break
        finally:
            connection.close()
    if report.claimed or report.recovered_retry or report.recovered_unknown:
        log.info("mail run: %s", report.as_dict())
    return report


def _send_batch(
    rows: Sequence[_Row],
    connection: _SmtpConnection,
    recorder: _Recorder,
    settings: MailSettings,
    clock: Callable[[], datetime],
    stop: Callable[[], bool] | None,
) -> bool:
    """Send one claimed batch; False when the run should end (stopped, server unusable)."""
    prepared: dict[int, bytes | _Outcome] = {}

    def prepare(index: int) -> None:
        # Composing the next message while the server takes in this one.
        if index < len(rows) and index not in prepared:
            prepared[index] = _payload(settings, rows[index], clock())

    hooks = _BatchHooks(recorder)
    for index, row in enumerate(rows):
        if stop is not None and stop():
            recorder.release(rows[index:])
            return False
        prepare(index)
        payload = prepared.pop(index)
        if isinstance(payload, _Outcome):
            recorder.result(row, payload)
            continue
        hooks.row = row
        hooks.prepare_next = functools.partial(prepare, index + 1)
        try:
            outcome = connection.deliver(settings.envelope_from, row.to, payload, hooks)
        except ServerUnavailable as exc:
            # Nothing of the rest of the batch reached the server: all of it tries again later.
            recorder.report.server_error = str(exc)
            for rest in rows[index:]:
                recorder.result(rest, _Outcome(_Kind.TEMPORARY, str(exc)))
            recorder.flush()
            return False
        recorder.result(row, outcome)
    recorder.flush()
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
    except (ValueError, TypeError, UnicodeError) as exc:
        return _Outcome(_Kind.PERMANENT, f"the message could not be built: {exc}")
