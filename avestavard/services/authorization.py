"""Who may do what: the one coordinator check the services share."""

from __future__ import annotations

from avestavard.errors import PermissionDenied
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
