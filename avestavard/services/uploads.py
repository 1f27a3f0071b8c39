"""Uploaded files kept between their dry-run report and the coordinator's confirm.

Both imports (the population register's extract and the coordinators' old Excel database)
read the file, show what importing it would do, and import it only when the coordinator
confirms. Between the two steps the file waits in the database under a random token that the
confirm form carries; nothing else the browser sends says which file or what it held. A file
is taken once (imported and deleted), and the nightly retention job deletes what nobody
confirmed.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound
from avestavard.models import PendingUpload
from avestavard.services.audit import Actor
from avestavard.services.i18n import translate as _

# How long a report may be confirmed; retention purges with UPLOAD_MAX_AGE_HOURS as well.
PENDING_UPLOAD_MAX_AGE = timedelta(days=1)


class UploadKind(enum.StrEnum):
    """Which import a file was uploaded for."""

    INMOVERS = "inmovers"  # the population register's extract (welcome letters)
    LEGACY = "legacy"  # the coordinators' Excel database


def stage_upload(
    session: Session,
    kind: UploadKind,
    data: bytes,
    file_name: str,
    actor: Actor,
    now: datetime,
) -> PendingUpload:
    """Keep an uploaded file until the coordinator confirms it; stale uploads go. Flushes."""
    session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < now - PENDING_UPLOAD_MAX_AGE)
    )
    pending = PendingUpload(
        kind=kind.value,
        token=secrets.token_urlsafe(32),
        # as shown on the page: no NUL (PostgreSQL refuses it) nor other control characters
        file_name="".join(ch for ch in file_name if ch.isprintable())[:200],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
        created_at=now,
    )
    session.add(pending)
    session.flush()
    return pending


def take_upload(session: Session, kind: UploadKind, token: str, now: datetime) -> tuple[bytes, str]:
    """The bytes and file name of a staged upload, which is deleted: it is imported once."""
    pending = session.scalar(
        select(PendingUpload).where(
            PendingUpload.kind == kind.value,
            PendingUpload.token == token,
            PendingUpload.created_at >= now - PENDING_UPLOAD_MAX_AGE,
        )
    )
    if pending is None:
        raise NotFound(_("Filen finns inte längre. Ladda upp den igen."))
    data, name = pending.data, pending.file_name
    if hashlib.sha256(data).hexdigest() != pending.sha256:
        raise Conflict(_("Filen har ändrats sedan den lästes. Ladda upp den igen."))
    session.delete(pending)
    session.flush()
    return data, name
