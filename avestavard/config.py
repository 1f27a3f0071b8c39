"""Configuration: TOML files under ``config/`` plus ``AVESTAVARD_*`` environment variables.

Order, later wins: ``config/default.toml``, ``config/<name>.toml``, environment variables,
then the ``overrides`` passed to :func:`avestavard.create_app`. Secrets only ever come from the
environment (or from overrides in tests).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
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
    if isinstance(current, list | dict):
        return json.loads(raw)
    return raw


def load_config(name: str | None = None, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """Return the merged settings for ``name`` (default: ``AVESTAVARD_CONFIG`` or development)."""
    name = name or os.environ.get(f"{ENV_PREFIX}CONFIG") or "development"
    if name not in CONFIG_NAMES:
        raise ConfigError(f"unknown configuration {name!r}; expected one of {CONFIG_NAMES}")
    settings: dict[str, Any] = {}
    for file_name in ("default.toml", f"{name}.toml"):
        with (config_dir / file_name).open("rb") as fh:
            settings.update(tomllib.load(fh))
    for key, raw in os.environ.items():
        if key.startswith(ENV_PREFIX) and key != f"{ENV_PREFIX}CONFIG":
            setting = key.removeprefix(ENV_PREFIX)
            settings[setting] = _parse_env_value(raw, settings.get(setting))
    settings["CONFIG_NAME"] = name
    return settings


def load_toml(file_name: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """Read one data file from ``config/`` (letters.toml, interests.toml ...)."""
    with (config_dir / file_name).open("rb") as fh:
        return tomllib.load(fh)
