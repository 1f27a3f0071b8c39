"""The README's Production section and ``deploy/`` name every setting production needs, and
the example environment file is one a server starts from once its placeholders are replaced."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import tomllib
from pathlib import Path

import pytest

from avestavard import create_app
from avestavard.config import ConfigError, check_production, load_config
from tests.paths import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "avestavard.env.example"
NAME = re.compile(r"AVESTAVARD_[A-Z_]+[A-Z]")
# Settings with a production default in config/production.toml that each site should see, and
# the mail settings: neither is checked at start, both decide how the service behaves.
SITE_SETTINGS = ("PROXY_FIX_HOPS", "HSTS_SECONDS", "MFA_REQUIRED_ROLES")
MAIL_SETTINGS = (
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "MAIL_FROM",
    "MAIL_REPLY_TO",
)


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = " ".join(shlex.split(value))  # systemd strips the quotes
    return values


def _production_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index("## Production")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end > 0 else None]


def _required(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """What production cannot run without, read from the code that refuses to start, the
    secrets production.toml asks for, and the site and mail settings."""
    monkeypatch.delenv("AVESTAVARD_CONFIG", raising=False)
    with pytest.raises(ConfigError) as no_name:
        load_config()
    with pytest.raises(ConfigError) as refused:
        check_production({})
    production_toml = (REPO_ROOT / "config" / "production.toml").read_text()
    required = set(NAME.findall(str(no_name.value))) | set(NAME.findall(str(refused.value)))
    required |= set(NAME.findall(production_toml))
    required |= {f"AVESTAVARD_{name}" for name in (*SITE_SETTINGS, *MAIL_SETTINGS)}
    # The site settings really are production's own (so the example shows the values in use).
    assert set(SITE_SETTINGS) <= set(tomllib.loads(production_toml))
    return required


def test_every_required_setting_is_in_the_env_example_and_the_readme(monkeypatch):
    required = _required(monkeypatch)
    assert {
        "AVESTAVARD_CONFIG",
        "AVESTAVARD_SECRET_KEY",
        "AVESTAVARD_PERSON_HASH_KEY",
        "AVESTAVARD_PUBLIC_BASE_URL",
        "AVESTAVARD_DATABASE_URL",
    } <= required
    example = _env_example()
    section = _production_section()
    assert required - set(example) == set(), "missing from deploy/avestavard.env.example"
    assert {name for name in required if name not in section} == set(), "missing from README"
    # The rules the code applies are the ones the README states.
    assert "32 characters" in section and "change-me" in section and "https://" in section


def test_the_env_example_starts_production_once_its_placeholders_are_replaced(
    monkeypatch, tmp_path: Path
):
    example = _env_example()
    for name in [n for n in os.environ if n.startswith("AVESTAVARD_")]:
        monkeypatch.delenv(name)
    for name, value in example.items():
        monkeypatch.setenv(name, value)
    # Here: no site folder, a throw-away database and rate-limit store.
    monkeypatch.delenv("AVESTAVARD_CONFIG_DIR")
    monkeypatch.setenv("AVESTAVARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("AVESTAVARD_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("AVESTAVARD_RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "AVESTAVARD_SECRET_KEY" in str(refused.value)
    assert "AVESTAVARD_PERSON_HASH_KEY" in str(refused.value)
    for name, value in example.items():
        if "change-me" in value:
            monkeypatch.setenv(name, secrets.token_urlsafe(48))
    app = create_app()
    assert app.config["CONFIG_NAME"] == "production"
    assert app.config["PUBLIC_BASE_URL"] == example["AVESTAVARD_PUBLIC_BASE_URL"]
    # The site settings as the example gives them are production's own defaults.
    production = load_config("production")
    for name in SITE_SETTINGS:
        assert app.config[name] == production[name], name
    assert app.config["PROXY_FIX_HOPS"] == 1
    assert app.config["MFA_REQUIRED_ROLES"] == ["admin", "coordinator"]
    assert app.config["MAIL_FROM"] == "AvestaVärd <avestavard@avesta.se>"
    assert (
        app.test_client()
        .get("/")
        .headers["Strict-Transport-Security"]
        .startswith(f"max-age={example['AVESTAVARD_HSTS_SECONDS']}")
    )


def test_systemd_units_match_the_readme():
    env_file = ENV_EXAMPLE.read_text().splitlines()[0].split()[1]
    assert env_file == "/etc/avestavard/avestavard.env" and env_file in _production_section()
    web = (DEPLOY / "avestavard-web.service").read_text()
    scheduler = (DEPLOY / "avestavard-scheduler.service").read_text()
    for unit in (web, scheduler):
        assert f"EnvironmentFile={env_file}" in unit
    [exec_start] = [line for line in web.splitlines() if line.startswith("ExecStart=")]
    section = " ".join(_production_section().replace("\\\n", " ").split())
    [readme_gunicorn] = re.findall(
        r"gunicorn --workers[^\n`]*?'avestavard:create_app\(\)'", section
    )
    assert " ".join(exec_start.split()).endswith(readme_gunicorn.removeprefix("gunicorn "))
    assert "ExecStart=/opt/avestavard/venv/bin/avestavard scheduler" in scheduler
