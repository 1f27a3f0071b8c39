"""Extension objects, created unbound and initialised in :func:`avestavard.create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from avestavard.models.base import Base

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    class ScopedSession(Session):
        """What ``db.session`` offers: a Session, plus the scoped session's own two methods."""

        def remove(self) -> None: ...

        def __call__(self) -> Session: ...


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, with ``db.session`` typed as the Session the services take.

    At run time ``db.session`` is a ``scoped_session``: it hands every call to the session of the
    current request, job or command, so it stands wherever a ``Session`` is expected.
    """

    if TYPE_CHECKING:
        session: ScopedSession  # type: ignore[assignment]


db = Database(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
