"""The vocabularies of expenses and budgets, and the rules more than one place computes: the
approval chain an amount needs under an authority matrix, who may approve which step, and
the natural keys of budget lines and invoice claims."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.access import Role


class ExpenseStatus(StrEnum):
    """Where an expense is in its life."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApprovalLevel(StrEnum):
    """A step of the authority matrix, lowest first."""

    DEPARTMENT_HEAD = "department_head"
    BRANCH_MANAGER = "branch_manager"
    HEAD_OFFICE_FINANCE = "head_office_finance"


class BudgetKind(StrEnum):
    """What a budget line plans: revenue, cost of business, or an expense."""

    REVENUE = "revenue"
    COST = "cost"
    EXPENSE = "expense"


class BudgetStatus(StrEnum):
    """Whether a budget line still takes expenses."""

    OPEN = "open"
    CLOSED = "closed"


class Currency(StrEnum):
    """The currency of an invoice (budgets and the authority matrix are in CNY)."""

    CNY = "CNY"
    HKD = "HKD"
    USD = "USD"


_ORDER = list(ApprovalLevel)


def rank(level: str) -> int:
    """0 for the lowest level of authority."""
    return _ORDER.index(ApprovalLevel(level))


def level_above(level: str) -> ApprovalLevel | None:
    """The next level of authority (None above head-office finance)."""
    i = rank(level) + 1
    return _ORDER[i] if i < len(_ORDER) else None


@dataclass(frozen=True)
class MatrixTerms:
    """The authority matrix: up to which amount (CNY) a department head alone and a branch
    manager alone approve; above that the branch manager and then ``top_approvers``
    different people of head-office finance."""

    department_head_limit: Decimal
    branch_manager_limit: Decimal
    top_approvers: int

    def chain(self, amount_cny: Decimal) -> list[str]:
        """The steps an expense of this amount needs, in order (one entry per approver)."""
        if amount_cny <= self.department_head_limit:
            return [ApprovalLevel.DEPARTMENT_HEAD.value]
        if amount_cny <= self.branch_manager_limit:
            return [ApprovalLevel.BRANCH_MANAGER.value]
        top = [ApprovalLevel.HEAD_OFFICE_FINANCE.value] * self.top_approvers
        return [ApprovalLevel.BRANCH_MANAGER.value, *top]


#: The matrix in force until head office records one (issue #12's defaults): version 0.
DEFAULT_TERMS = MatrixTerms(Decimal(5000), Decimal(50000), 2)


def qualifies(level: str, roles: Iterable[str], branch: str, expense_branch: str) -> bool:
    """True when a holder of ``roles`` in ``branch`` may approve a step of ``level`` of an
    expense of ``expense_branch``: department heads and branch managers of that branch;
    head-office finance is a member holding both head_office and finance."""
    held = set(roles)
    if level == ApprovalLevel.HEAD_OFFICE_FINANCE:
        return {Role.HEAD_OFFICE.value, Role.FINANCE.value} <= held
    role = Role.DEPARTMENT_HEAD if level == ApprovalLevel.DEPARTMENT_HEAD else Role.BRANCH_MANAGER
    return role.value in held and branch == expense_branch


def levels_of(roles: Iterable[str]) -> list[ApprovalLevel]:
    """The levels a holder of ``roles`` may approve at (in some branch)."""
    held = set(roles)
    found = []
    if Role.DEPARTMENT_HEAD.value in held:
        found.append(ApprovalLevel.DEPARTMENT_HEAD)
    if Role.BRANCH_MANAGER.value in held:
        found.append(ApprovalLevel.BRANCH_MANAGER)
    if {Role.HEAD_OFFICE.value, Role.FINANCE.value} <= held:
        found.append(ApprovalLevel.HEAD_OFFICE_FINANCE)
    return found


def escalation(chain: list[str], step: int) -> ApprovalLevel | None:
    """The level to add after an over-budget approval at ``chain[step]``: the next level up,
    unless a later step of the chain already has more authority (or it is the top)."""
    here = rank(chain[step])
    if any(rank(later) > here for later in chain[step + 1 :]):
        return None
    return level_above(chain[step])


def budget_id(branch: str, department: str, category: str, kind: str, period: str) -> UUID:
    """The id of a budget line: one per branch, department, category, kind and period."""
    key = "\x1f".join((branch, department, category, kind, period))
    return uuid5(NAMESPACE_URL, f"backoffice:budget:{key}")


def vendor_key(vendor: str) -> str:
    """A vendor's name compared case- and space-insensitively ("ACME  Ltd" = "acme ltd")."""
    return " ".join(unicodedata.normalize("NFKC", vendor).casefold().split())


def invoice_key(invoice_number: str) -> str:
    """An invoice number compared without spaces and case."""
    return re.sub(r"\s", "", invoice_number).upper()


def invoice_claim_id(vendor: str, invoice_number: str, generation: int) -> UUID:
    """The id of the ``generation``-th claim on one vendor's invoice (a claim released by a
    rejection or withdrawal is followed by the next generation)."""
    key = f"{vendor_key(vendor)}\x1f{invoice_key(invoice_number)}\x1f{generation}"
    return uuid5(NAMESPACE_URL, f"backoffice:invoice:{key}")
