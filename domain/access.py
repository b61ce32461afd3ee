"""Who may do what: the roles, and a plain policy over them shared by the API and the CLI."""

from __future__ import annotations

from enum import StrEnum

from domain.envelope import SYSTEM_ROLE


class Role(StrEnum):
    """The roles of DESIGN §4 (Staff)."""

    MARKETING = "marketing"
    ACCOUNT_MANAGER = "account_manager"
    TRADER = "trader"
    CUSTOMER_SERVICE = "customer_service"
    RISK = "risk"
    FINANCE = "finance"
    #: Heads a department of a branch; approves the smallest expenses (issue #12).
    DEPARTMENT_HEAD = "department_head"
    BRANCH_MANAGER = "branch_manager"
    HEAD_OFFICE = "head_office"
    AUDITOR = "auditor"
    REGULATOR = "regulator"
    ADMIN = "admin"


class Permission(StrEnum):
    """An action a role may be allowed."""

    MANAGE_STAFF = "manage_staff"
    VIEW_STAFF = "view_staff"
    VIEW_ALL_BRANCHES = "view_all_branches"
    MAINTAIN_CLIENTS = "maintain_clients"
    SUPERVISE_CLIENTS = "supervise_clients"
    VIEW_CLIENTS = "view_clients"
    SEE_FULL_IDENTITY = "see_full_identity"
    MANAGE_INSTRUMENTS = "manage_instruments"
    TAKE_ORDERS = "take_orders"
    REVIEW_ORDERS = "review_orders"
    DECIDE_FLAGS = "decide_flags"
    VIEW_ORDERS = "view_orders"
    AUDIT = "audit"
    SEE_RESTRICTED_DATA = "see_restricted_data"
    MANAGE_RETENTION = "manage_retention"
    LEGAL_HOLD = "legal_hold"
    MANAGE_SIGNING_KEYS = "manage_signing_keys"
    HANDLE_COMPLAINTS = "handle_complaints"
    APPROVE_COMPLAINTS = "approve_complaints"
    VIEW_COMPLAINTS = "view_complaints"
    SET_COMPLAINT_DEADLINES = "set_complaint_deadlines"
    SUBMIT_EXPENSES = "submit_expenses"
    APPROVE_EXPENSES = "approve_expenses"
    PAY_EXPENSES = "pay_expenses"
    VIEW_EXPENSES = "view_expenses"
    MANAGE_BUDGETS = "manage_budgets"
    SET_AUTHORITY_MATRIX = "set_authority_matrix"


_GRANTS: dict[Permission, frozenset[str]] = {
    Permission.MANAGE_STAFF: frozenset({Role.ADMIN}),
    Permission.VIEW_STAFF: frozenset(
        {Role.ADMIN, Role.BRANCH_MANAGER, Role.HEAD_OFFICE, Role.AUDITOR, Role.REGULATOR}
    ),
    Permission.VIEW_ALL_BRANCHES: frozenset(
        {Role.ADMIN, Role.HEAD_OFFICE, Role.AUDITOR, Role.REGULATOR}
    ),
    # Marketing and account managers onboard and maintain clients (DESIGN §4, issue #3).
    Permission.MAINTAIN_CLIENTS: frozenset({Role.MARKETING, Role.ACCOUNT_MANAGER}),
    # Supervisors approve identity changes and freeze, unfreeze and close.
    Permission.SUPERVISE_CLIENTS: frozenset({Role.BRANCH_MANAGER}),
    # Every role of the branch reads its clients; the all-branch roles read every branch.
    Permission.VIEW_CLIENTS: frozenset(Role),
    # Who sees whole document numbers (everyone else sees the last four characters).
    Permission.SEE_FULL_IDENTITY: frozenset(
        {Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.AUDITOR, Role.REGULATOR}
    ),
    Permission.MANAGE_INSTRUMENTS: frozenset({Role.ADMIN, Role.HEAD_OFFICE}),
    # Counter, phone and online instructions are taken by front-office staff.
    Permission.TAKE_ORDERS: frozenset({Role.TRADER, Role.ACCOUNT_MANAGER, Role.CUSTOMER_SERVICE}),
    # Only traders review and fill (issue #4).
    Permission.REVIEW_ORDERS: frozenset({Role.TRADER}),
    # Only risk management clears or escalates flags.
    Permission.DECIDE_FLAGS: frozenset({Role.RISK}),
    Permission.VIEW_ORDERS: frozenset(Role),
    # History, state as of a moment, the audit trail, reconstructions: across all branches.
    Permission.AUDIT: frozenset({Role.AUDITOR, Role.REGULATOR, Role.HEAD_OFFICE}),
    # After an erasure request, a client's personal data is shown to these roles only.
    Permission.SEE_RESTRICTED_DATA: frozenset({Role.AUDITOR, Role.REGULATOR}),
    Permission.MANAGE_RETENTION: frozenset({Role.HEAD_OFFICE}),
    # Compliance (head office) places holds, as do auditors and regulators investigating.
    Permission.LEGAL_HOLD: frozenset({Role.HEAD_OFFICE, Role.AUDITOR, Role.REGULATOR}),
    # Keys are published and retired by the operator's command line (the system actor).
    Permission.MANAGE_SIGNING_KEYS: frozenset({Role.ADMIN}),
    # Customer service receives and works complaints; marketing analyses and assigns them;
    # the branch manager may work one too (and is the one who transfers an absent owner's).
    Permission.HANDLE_COMPLAINTS: frozenset(
        {Role.CUSTOMER_SERVICE, Role.MARKETING, Role.BRANCH_MANAGER}
    ),
    # The manager in charge approves or returns resolutions and chases late stages.
    Permission.APPROVE_COMPLAINTS: frozenset({Role.BRANCH_MANAGER}),
    # Like clients and orders, every role of the branch reads its complaints; auditors,
    # regulators and head office read every branch's.
    Permission.VIEW_COMPLAINTS: frozenset(Role),
    Permission.SET_COMPLAINT_DEADLINES: frozenset({Role.HEAD_OFFICE}),
    # Expenses (issue #12): staff of a branch submit; who approves which step is decided by
    # the authority matrix from the approver's roles (domain/expenses/rules.py); finance pays.
    Permission.SUBMIT_EXPENSES: frozenset(Role) - {Role.AUDITOR, Role.REGULATOR},
    Permission.APPROVE_EXPENSES: frozenset(
        {Role.DEPARTMENT_HEAD, Role.BRANCH_MANAGER, Role.HEAD_OFFICE}
    ),
    Permission.PAY_EXPENSES: frozenset({Role.FINANCE}),
    # Everyone else sees the expenses they submitted themselves.
    Permission.VIEW_EXPENSES: frozenset(
        {
            Role.DEPARTMENT_HEAD,
            Role.BRANCH_MANAGER,
            Role.FINANCE,
            Role.HEAD_OFFICE,
            Role.AUDITOR,
            Role.REGULATOR,
            Role.ADMIN,
        }
    ),
    Permission.MANAGE_BUDGETS: frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    Permission.SET_AUTHORITY_MATRIX: frozenset({Role.HEAD_OFFICE}),
}


def granting_role(roles: frozenset[str], permission: Permission) -> str | None:
    """The role (first by name) under which ``roles`` may act, or None if none may."""
    if SYSTEM_ROLE in roles:
        return SYSTEM_ROLE
    allowed = sorted(roles & _GRANTS[permission])
    return allowed[0] if allowed else None


def roles_with(permission: Permission) -> frozenset[str]:
    """The roles that hold ``permission`` (for documentation and error messages)."""
    return _GRANTS[permission]
