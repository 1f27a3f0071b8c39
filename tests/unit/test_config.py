"""Settings: no silent default configuration, and the site's own folder over the packaged files."""

from __future__ import annotations

from pathlib import Path

import pytest

from avestavard.config import ConfigError, check_two_factor, load_config, load_toml


def test_defect_13_no_configuration_named_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AVESTAVARD_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="AVESTAVARD_CONFIG=production"):
        load_config()
    monkeypatch.setenv("AVESTAVARD_CONFIG", "development")
    assert load_config()["CONFIG_NAME"] == "development"


def test_site_folder_lies_over_the_packaged_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "production.toml").write_text('MUNICIPALITY_NAME = "Hjulsta kommun"\n')
    (tmp_path / "letters.toml").write_text("[schedule]\nstages = []\n")
    monkeypatch.setenv("AVESTAVARD_CONFIG_DIR", str(tmp_path))
    settings = load_config("production")
    assert settings["MUNICIPALITY_NAME"] == "Hjulsta kommun"
    assert settings["SESSION_COOKIE_SECURE"] is True  # the rest of the packaged file still holds
    assert load_toml("letters.toml") == {"schedule": {"stages": []}}
    assert "AREAS" in load_toml("default.toml")  # no site copy: the packaged file


def test_a_site_folder_that_does_not_exist_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVESTAVARD_CONFIG_DIR", "/nonexistent/avestavard")
    with pytest.raises(ConfigError, match="not a folder"):
        load_config("testing")


def test_two_factor_roles_per_environment_and_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_config("production")["MFA_REQUIRED_ROLES"] == ["admin", "coordinator"]
    assert load_config("development")["MFA_REQUIRED_ROLES"] == []  # the demo logins work
    assert load_config("testing")["MFA_REQUIRED_ROLES"] == []
    monkeypatch.setenv("AVESTAVARD_MFA_REQUIRED_ROLES", "admin, coordinator,host")
    assert load_config("production")["MFA_REQUIRED_ROLES"] == ["admin", "coordinator", "host"]
    monkeypatch.setenv("AVESTAVARD_MFA_REQUIRED_ROLES", '["admin"]')
    assert load_config("production")["MFA_REQUIRED_ROLES"] == ["admin"]


def test_a_role_that_does_not_exist_in_the_two_factor_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="MFA_REQUIRED_ROLES=admin,coordinator"):
        check_two_factor({"MFA_REQUIRED_ROLES": ["admin", "cordinator"]})
    with pytest.raises(ConfigError):
        check_two_factor({"MFA_REQUIRED_ROLES": "admin"})
    check_two_factor({"MFA_REQUIRED_ROLES": []})
