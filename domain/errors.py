"""Domain exceptions: the expected ways a command can fail."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Why input was refused: stable, machine-readable, for frontends to translate."""

    #: A value is missing or empty.
    REQUIRED = "required"
    #: Text or a list is longer than its field allows.
    TOO_LONG = "too_long"
    #: Text holds control characters, NUL, or is not valid Unicode.
    INVALID_TEXT = "invalid_text"
    #: A value does not have the shape its field expects (a phone, a code, a number).
    INVALID_FORMAT = "invalid_format"
    #: A value is not one of its field's choices.
    INVALID_CHOICE = "invalid_choice"
    #: A number, date or time is outside its field's range (or not finite).
    OUT_OF_RANGE = "out_of_range"
    #: A decimal has more decimal places than its field allows.
    TOO_PRECISE = "too_precise"
    #: A time was given without its time zone.
    TIME_ZONE_REQUIRED = "time_zone_required"
    #: A business time is in the future, or back-dated beyond what is allowed.
    IMPLAUSIBLE_TIME = "implausible_time"
    #: An identity document number fails its check digit or embeds an impossible date.
    INVALID_DOCUMENT = "invalid_document"
    #: The record is not in a state that allows this command.
    INVALID_STATE = "invalid_state"
    #: The record, number or key already exists.
    DUPLICATE = "duplicate"
    #: A record the command refers to does not exist.
    UNKNOWN_REFERENCE = "unknown_reference"
    #: The command needs a reason and none was given.
    REASON_REQUIRED = "reason_required"
    #: The same person may not do both (segregation of duties, four eyes).
    SAME_PERSON = "same_person"
    #: A limit of a rule was exceeded (shares above 100%, overfill, budget).
    LIMIT_EXCEEDED = "limit_exceeded"
    #: The idempotency key was used before for a different command or payload.
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    #: A business rule refused the command (the message says which).
    RULE = "rule"


class DomainError(Exception):
    """Base class of every expected, business-level failure."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input that breaks a rule; names the offending field when there is one."""

    code = "VALIDATION_ERROR"

    def __init__(self, message: str, field: str | None = None, reason: Code = Code.RULE) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason


class NotAllowed(DomainError):
    """The acting staff member may not do this."""

    code = "NOT_ALLOWED"


class NotFound(DomainError):
    """The record named does not exist (or is not visible to the caller: the same answer)."""

    code = "NOT_FOUND"


class ConcurrencyConflict(DomainError):
    """The record changed since the version the caller based its command on."""

    code = "CONCURRENCY_CONFLICT"

    def __init__(self, message: str, expected: int | None, actual: int | None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual
