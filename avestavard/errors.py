"""Domain errors raised by services; :func:`register_error_handlers` maps them to pages."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a service raises for a person to read."""

    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it does."""

    status_code = 404


class PermissionDenied(DomainError):
    """The actor's role does not allow this."""

    status_code = 403


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``errors`` maps field names to messages."""

    status_code = 422

    def __init__(self, message: str = "", errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class Conflict(DomainError):
    """The change collides with the current state (capacity full, already decided ...)."""

    status_code = 409
