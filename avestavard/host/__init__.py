"""The host area: one blueprint, views spread over this package's modules."""

from flask import Blueprint

bp = Blueprint("host", __name__)

from avestavard.blueprints import import_view_modules  # noqa: E402

import_view_modules(__name__, __path__)
