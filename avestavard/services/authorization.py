"""Who may do what: the one coordinator check and the one host lookup the services share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.errors import PermissionDenied
from avestavard.models import Host
from avestavard.services.audit import Actor, SystemActor
from avestavard.services.i18n import translate as _


def is_coordinator(actor: Actor) -> bool:
    """A logged-in coordinator or administrator (they run the programme)."""
    return bool(getattr(actor, "is_coordinator", False))


def require_coordinator(actor: Actor, *, system: bool = False) -> None:
    """Refuse anyone but coordinators and administrators.

    With ``system=True`` the scheduler's and the commands' :class:`SystemActor` may act too, for
    the work they do on the coordinators' behalf (proposals, follow-ups, imports, retention).
    """
    if is_coordinator(actor) or (system and isinstance(actor, SystemActor)):
        return
    raise PermissionDenied(_("Bara samordnare får göra det här."))


def own_host(session: Session, actor: Actor) -> Host | None:
    """The host profile linked to a logged-in host's account (None when none is linked)."""
    if actor.id is None:
        return None
    return session.scalar(select(Host).where(Host.user_id == actor.id))
