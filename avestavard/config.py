"""Configuration: TOML files plus ``AVESTAVARD_*`` environment variables.

Order, later wins: the packaged ``default.toml`` and ``<name>.toml``, the same two files in the
folder named by ``AVESTAVARD_CONFIG_DIR`` (the site's own settings, where present), environment
variables, then the ``overrides`` passed to :func:`avestavard.create_app`. Data files such as
``letters.toml`` are read from ``AVESTAVARD_CONFIG_DIR`` when the site has its own copy there.
Secrets only ever come from the environment (or from overrides in tests).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from avestavard.resources import resource_dir

CONFIG_DIR = resource_dir("config")
ENV_PREFIX = "AVESTAVARD_"
CONFIG_NAMES = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """The configuration cannot be used (unknown name, missing secret)."""


def _parse_env_value(raw: str, current: Any) -> Any:
    """Read an environment string with the type the TOML default has."""
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, list) and not raw.lstrip().startswith("["):
        # A plain list is easier to write in an environment file: admin,coordinator
        return [item.strip() for item in raw.split(",") if item.strip()]
    if isinstance(current, list | dict):
        return json.loads(raw)
    return raw


def site_config_dir() -> Path | None:
    """The folder of the site's own settings, from ``AVESTAVARD_CONFIG_DIR`` (None if unset)."""
    configured = os.environ.get(f"{ENV_PREFIX}CONFIG_DIR", "").strip()
    if not configured:
        return None
    folder = Path(configured)
    if not folder.is_dir():
        raise ConfigError(f"{ENV_PREFIX}CONFIG_DIR={configured!r} is not a folder")
    return folder


def config_layers(file_name: str, config_dir: Path = CONFIG_DIR) -> list[Path]:
    """The packaged file and, if the site has one, its own file of the same name."""
    layers = [config_dir / file_name]
    site = site_config_dir()
    if site is not None and (site / file_name).is_file():
        layers.append(site / file_name)
    return layers


def load_config(name: str | None = None, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """Return the merged settings for ``name`` (default: the ``AVESTAVARD_CONFIG`` variable).

    There is no silent default: a server started without saying which configuration it runs
    must not come up with the development one (debug, a public secret, cookies over http).
    """
    name = name or os.environ.get(f"{ENV_PREFIX}CONFIG", "").strip()
    if not name:
        raise ConfigError(
            f"{ENV_PREFIX}CONFIG is not set: name the configuration, e.g. "
            f"{ENV_PREFIX}CONFIG=production for the municipality's server or "
            f"{ENV_PREFIX}CONFIG=development for a demo on this machine "
            f"(one of {', '.join(CONFIG_NAMES)})"
        )
    if name not in CONFIG_NAMES:
        raise ConfigError(f"unknown configuration {name!r}; expected one of {CONFIG_NAMES}")
    settings: dict[str, Any] = {}
    for file_name in ("default.toml", f"{name}.toml"):
        for path in config_layers(file_name, config_dir):
            with path.open("rb") as fh:
                settings.update(tomllib.load(fh))
    for key, raw in os.environ.items():
        if key.startswith(ENV_PREFIX) and key not in {
            f"{ENV_PREFIX}CONFIG",
            f"{ENV_PREFIX}CONFIG_DIR",
        }:
            setting = key.removeprefix(ENV_PREFIX)
            settings[setting] = _parse_env_value(raw, settings.get(setting))
    settings["CONFIG_NAME"] = name
    return settings


MIN_SECRET_LENGTH = 32
KNOWN_SECRETS = {"development-only-not-secret", "testing-only-not-secret", "change-me"}


def check_production(settings: dict[str, Any]) -> None:
    """Refuse to run production with a guessable secret, no person-hash key or plain http."""
    problems = []
    secret = str(settings.get("SECRET_KEY") or "")
    if len(secret) < MIN_SECRET_LENGTH or secret in KNOWN_SECRETS or "change-me" in secret:
        problems.append(
            f"AVESTAVARD_SECRET_KEY must be a random string of at least {MIN_SECRET_LENGTH} "
            "characters (python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    hash_key = str(settings.get("PERSON_HASH_KEY") or "")
    if len(hash_key) < MIN_SECRET_LENGTH or "change-me" in hash_key:
        problems.append(
            f"AVESTAVARD_PERSON_HASH_KEY must be set (at least {MIN_SECRET_LENGTH} characters) "
            "and never changed"
        )
    if not str(settings.get("PUBLIC_BASE_URL") or "").startswith("https://"):
        problems.append("AVESTAVARD_PUBLIC_BASE_URL must be the https:// address of the site")
    if problems:
        raise ConfigError("production configuration refused: " + "; ".join(problems))


def check_two_factor(settings: dict[str, Any]) -> None:
    """``MFA_REQUIRED_ROLES`` must be a list of role names; a typo must not switch it off."""
    roles = settings.get("MFA_REQUIRED_ROLES", [])
    known = {"admin", "coordinator", "host"}
    if not isinstance(roles, list) or any(str(role) not in known for role in roles):
        raise ConfigError(
            f"MFA_REQUIRED_ROLES must be a list of roles from {sorted(known)}, e.g. "
            f"{ENV_PREFIX}MFA_REQUIRED_ROLES=admin,coordinator; got {roles!r}"
        )


def load_toml(file_name: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """Read one data file (letters.toml ...): the site's own copy if it has one, else ours."""
    with config_layers(file_name, config_dir)[-1].open("rb") as fh:
        return tomllib.load(fh)
