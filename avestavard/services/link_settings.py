"""What every service that mails signed links reads from the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict


class SiteValues(TypedDict):
    """The two settings of :class:`LinkSettings`, as keyword arguments."""

    secret_key: str
    public_base_url: str


@dataclass(frozen=True)
class LinkSettings:
    """The key links are signed with and the site's public address (no trailing slash); the
    settings of accounts, registration, "Min anmälan" and matches extend it."""

    secret_key: str
    public_base_url: str

    @staticmethod
    def site_values(config: Mapping[str, Any]) -> SiteValues:
        """Both settings read from a Flask config, for a ``from_config`` to pass on."""
        return SiteValues(
            secret_key=str(config["SECRET_KEY"]),
            public_base_url=str(config["PUBLIC_BASE_URL"]).rstrip("/"),
        )
