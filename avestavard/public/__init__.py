"""The public area: one blueprint, views spread over this package's modules."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from avestavard.blueprints import import_view_modules  # noqa: E402

import_view_modules(__name__, __path__)
