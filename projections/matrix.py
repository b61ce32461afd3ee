"""The authority matrix's versions, as approvers are shown them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.expenses import DEFAULT_TERMS, ApprovalLevel, AuthorityMatrix, MatrixTerms
from projections.base import ReadModel, col, on, upsert

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class MatrixTier:
    """Up to which amount which chain applies."""

    up_to: Decimal | None = col("The highest amount (CNY) of the tier (null: no limit).")
    chain: list[str] = col("The steps, one per approver.", enum=ApprovalLevel)


@dataclass(frozen=True)
class AuthorityMatrixRow:
    """One version of the authority matrix (version 0: the defaults, before any was set)."""

    version: int = col("The version (approvals record the one they were made under).")
    department_head_limit: Decimal = col("Up to this (CNY) a department head alone approves.")
    branch_manager_limit: Decimal = col("Up to this (CNY) a branch manager alone approves.")
    top_approvers: int = col("Head-office finance approvers needed above that.")
    set_by: UUID | None = col("Who recorded it (null for the defaults).", default=None)
    set_at: datetime | None = col("When.", default=None)
    reason: str | None = col("Why.", default=None)

    @property
    def tiers(self) -> list[MatrixTier]:
        """The chain each amount needs, lowest tier first."""
        terms = MatrixTerms(
            self.department_head_limit, self.branch_manager_limit, self.top_approvers
        )
        return [
            MatrixTier(terms.department_head_limit, terms.chain(terms.department_head_limit)),
            MatrixTier(terms.branch_manager_limit, terms.chain(terms.branch_manager_limit)),
            MatrixTier(None, terms.chain(terms.branch_manager_limit + _CENT)),
        ]


_MATRIX_COLUMNS = tuple(AuthorityMatrixRow.__dataclass_fields__)


class AuthorityMatrixModel(ReadModel):
    """Rows in ``authority_matrix``, one per version."""

    name = "authority_matrix"
    tables = ("authority_matrix",)

    @on(AuthorityMatrix.Adopted, AuthorityMatrix.Changed)
    def version(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """A new version of the matrix."""
        upsert(
            curs,
            "authority_matrix",
            {
                "version": event.originator_version,
                "department_head_limit": event.department_head_limit,
                "branch_manager_limit": event.branch_manager_limit,
                "top_approvers": event.top_approvers,
                "set_by": event.envelope.actor,
                "set_at": event.envelope.occurred_at,
                "reason": event.envelope.reason,
                "position": position,
            },
            key="version",
        )


def matrix(curs: Cursor[DictRow], version: int | None = None) -> AuthorityMatrixRow | None:
    """The matrix in force (or that version); version 0 is the defaults."""
    if version == 0:
        return _default()
    curs.execute(
        f"SELECT {', '.join(_MATRIX_COLUMNS)} FROM authority_matrix"  # noqa: S608
        " WHERE %(v)s::int IS NULL OR version = %(v)s ORDER BY version DESC LIMIT 1",
        {"v": version},
    )
    found = curs.fetchone()
    if found is None:
        return _default() if version is None else None
    return AuthorityMatrixRow(**found)


def _default() -> AuthorityMatrixRow:
    t = DEFAULT_TERMS
    return AuthorityMatrixRow(0, t.department_head_limit, t.branch_manager_limit, t.top_approvers)
