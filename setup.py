"""Put what the application reads at run time, besides code, into the wheel.

``config/``, ``templates/``, ``static/`` and ``migrations/`` stay at the top of the source tree,
where people look for them; a wheel carries them as ``avestavard/_bundle/<name>/``, which
``avestavard.resources`` finds when the package is installed. The translation catalogs are
compiled to ``.mo`` files on the way. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("config", "templates", "static", "migrations")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


class BuildWithBundle(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "avestavard" / "_bundle"
        for name in BUNDLED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(root / name, target / name, ignore=IGNORED)
        for po_path in (root / "avestavard" / "translations").glob("*/*/LC_MESSAGES/messages.po"):
            relative = po_path.relative_to(root).with_suffix(".mo")
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with (Path(self.build_lib) / relative).open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithBundle})
