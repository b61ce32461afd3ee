"""Staff: members of a branch, their roles and tokens."""

from domain.staff.aggregate import Staff
from domain.staff.commands import (
    DeactivateStaff,
    GrantRole,
    IssueToken,
    RegisterStaff,
    RevokeRole,
    RevokeToken,
)

__all__ = [
    "DeactivateStaff",
    "GrantRole",
    "IssueToken",
    "RegisterStaff",
    "RevokeRole",
    "RevokeToken",
    "Staff",
]
