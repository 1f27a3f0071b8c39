"""The administrator's area: accounts and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from avestavard.blueprints import import_view_modules  # noqa: E402

import_view_modules(__name__, __path__)
