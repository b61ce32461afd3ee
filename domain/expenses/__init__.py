"""Expenses and budgets: budget lines per branch, department, category and period; expenses
approved along the authority matrix, paid by finance; duplicate invoices refused."""

from domain.expenses.aggregate import Approval, Expense, InvoiceClaim
from domain.expenses.budget import MATRIX_ID, AuthorityMatrix, Budget
from domain.expenses.budget_commands import (
    CloseBudget,
    ReviseBudget,
    SetAuthorityMatrix,
    SetBudget,
)
from domain.expenses.commands import (
    AmendExpense,
    ApproveExpense,
    PayExpense,
    RejectExpense,
    SubmitExpense,
    WithdrawExpense,
    matrix_in_force,
)
from domain.expenses.rules import (
    DEFAULT_TERMS,
    ApprovalLevel,
    BudgetKind,
    BudgetStatus,
    Currency,
    ExpenseStatus,
    MatrixTerms,
    budget_id,
    invoice_claim_id,
    levels_of,
    qualifies,
)

__all__ = [
    "DEFAULT_TERMS",
    "MATRIX_ID",
    "AmendExpense",
    "Approval",
    "ApprovalLevel",
    "ApproveExpense",
    "AuthorityMatrix",
    "Budget",
    "BudgetKind",
    "BudgetStatus",
    "CloseBudget",
    "Currency",
    "Expense",
    "ExpenseStatus",
    "InvoiceClaim",
    "MatrixTerms",
    "PayExpense",
    "RejectExpense",
    "ReviseBudget",
    "SetAuthorityMatrix",
    "SetBudget",
    "SubmitExpense",
    "WithdrawExpense",
    "budget_id",
    "invoice_claim_id",
    "levels_of",
    "matrix_in_force",
    "qualifies",
]
