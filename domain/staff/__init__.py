"""Staff: members of a branch, their roles and tokens."""

from domain.staff.aggregate import Staff
from domain.staff.commands import (
    ApproveRoleGrant,
    DeactivateStaff,
    GrantRole,
    IssueToken,
    RegisterStaff,
    RejectRoleGrant,
    RevokeRole,
    RevokeToken,
)

__all__ = [
    "ApproveRoleGrant",
    "DeactivateStaff",
    "GrantRole",
    "IssueToken",
    "RegisterStaff",
    "RejectRoleGrant",
    "RevokeRole",
    "RevokeToken",
    "Staff",
]
