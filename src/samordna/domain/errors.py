"""The refusals every interface shares; web maps them to status codes and Norwegian text."""

from __future__ import annotations

from dataclasses import dataclass, field

from samordna.i18n import gettext as _


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    status = 400


class NotAuthenticated(DomainError):
    status = 401


class NotAllowed(DomainError):
    """403: the actor's role (or unit) may not do this; `allowed_roles` names who may."""

    status = 403

    def __init__(self, message: str, allowed_roles: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.allowed_roles = allowed_roles


class NotFound(DomainError):
    """404: missing, or in an area the actor is not a member of (never says which)."""

    status = 404


@dataclass
class ConflictInfo:
    state: str | None = None
    current_version: int | None = None
    allowed_triggers: tuple[str, ...] = field(default_factory=tuple)


class Conflict(DomainError):
    """409: a stale version, or a trigger not allowed in the current state."""

    status = 409

    def __init__(
        self,
        message: str,
        *,
        state: str | None = None,
        current_version: int | None = None,
        allowed_triggers: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(message)
        self.state = state
        self.current_version = current_version
        self.allowed_triggers = allowed_triggers


class TooLarge(DomainError):
    status = 413


class UnsupportedType(DomainError):
    """415: a file of a kind that is not accepted; `accepted` names the kinds that are (their media types)."""

    status = 415

    def __init__(self, message: str, *, accepted: tuple[str, ...]) -> None:
        super().__init__(message)
        self.accepted = accepted


class Invalid(DomainError):
    """422: every invalid field at once."""

    status = 422

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        super().__init__(message or _("Noen felt må rettes."))
        self.errors = errors


class Throttled(DomainError):
    """429: too many failed log-ins for an account or an address; `retry_after` seconds until the next try."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(DomainError):
    """503: too much of one kind of work waiting in this process (a burst of log-ins); `retry_after` seconds."""

    status = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
