"""Blueprint packages whose views are split over several modules.

Each area package (``coordinator``, ``host``, ``public``) creates its ``bp`` in ``__init__.py``
and calls :func:`import_view_modules`, so every module in the package that registers routes on
``bp`` is loaded. Adding a page to an area means adding a module; nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable


def import_view_modules(package: str, path: Iterable[str]) -> None:
    """Import every module of ``package`` except forms (they are imported by the views)."""
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        if not info.name.startswith("_") and not info.name.endswith("forms"):
            importlib.import_module(f"{package}.{info.name}")
