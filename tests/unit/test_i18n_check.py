"""``scripts/i18n.py check``: the catalogs are complete, and the check notices when they are not."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from tests.paths import REPO_ROOT


@pytest.fixture(scope="module")
def i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_script", REPO_ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogs_are_complete(i18n, capsys):
    assert i18n.check_all() == 0, capsys.readouterr().out


def test_a_missing_public_string_or_catalog_fails(i18n, monkeypatch, capsys):
    found = i18n.extracted()
    found["Ett nytt ord på startsidan"] = {"templates/public/index.html"}
    found["Bara för samordnare"] = {"templates/coordinator/index.html"}
    monkeypatch.setattr(i18n, "extracted", lambda: found)
    assert i18n.check_all() == 1
    out = capsys.readouterr().out
    public_languages = i18n._languages()[1]
    for lang in public_languages[1:]:
        assert f"{lang}: missing 'Ett nytt ord på startsidan'" in out
    assert "en: missing 'Bara för samordnare'" in out
    assert "ar: missing 'Bara för samordnare'" not in out

    monkeypatch.setattr(i18n, "_languages", lambda: (["sv", "en"], ["sv", "en", "xx"]))
    monkeypatch.setattr(i18n, "extracted", lambda: {})
    assert i18n.check_all() == 1
    assert "xx: no catalog" in capsys.readouterr().out
