"""Where the application finds the files it ships besides code.

``config/``, ``templates/``, ``static/`` and ``migrations/`` are top-level folders of the source
tree. A built wheel carries copies of them inside the package, under ``avestavard/_bundle/``
(``setup.py`` puts them there), so an installed application finds them without a checkout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

ResourceName = Literal["config", "templates", "static", "migrations"]
RESOURCE_NAMES: tuple[ResourceName, ...] = ("config", "templates", "static", "migrations")

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE_DIR = PACKAGE_DIR / "_bundle"
SOURCE_ROOT = PACKAGE_DIR.parent


def running_from_source() -> bool:
    """True in a checkout (also an editable install), False in an installed wheel."""
    return not BUNDLE_DIR.is_dir()


def resource_dir(name: ResourceName) -> Path:
    """The folder holding one kind of shipped file."""
    base = SOURCE_ROOT if running_from_source() else BUNDLE_DIR
    return base / name


def default_instance_path() -> Path | None:
    """``instance/`` beside the checkout; None lets Flask choose for an installed package."""
    return SOURCE_ROOT / "instance" if running_from_source() else None
