"""Domain exceptions: the expected ways a command can fail."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every expected, business-level failure."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input that breaks a rule; names the offending field when there is one."""

    code = "VALIDATION_ERROR"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(DomainError):
    """The acting staff member may not do this."""

    code = "NOT_ALLOWED"


class NotFound(DomainError):
    """The record named does not exist."""

    code = "NOT_FOUND"


class ConcurrencyConflict(DomainError):
    """The record changed since the version the caller based its command on."""

    code = "CONCURRENCY_CONFLICT"

    def __init__(self, message: str, expected: int | None, actual: int | None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual
