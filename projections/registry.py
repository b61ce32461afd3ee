"""Every read model the service runs, by name."""

from __future__ import annotations

from projections.audit import AuditModel
from projections.base import ReadModel
from projections.budgets import BudgetModel
from projections.clients import ClientModel
from projections.complaints import ComplaintModel
from projections.expenses import ExpenseModel
from projections.instruments import InstrumentModel
from projections.matrix import AuthorityMatrixModel
from projections.orders import OrderModel
from projections.retention import RetentionModel
from projections.staff import StaffModel


def all_models() -> list[ReadModel]:
    """A fresh instance of each read model."""
    return [
        StaffModel(),
        ClientModel(),
        InstrumentModel(),
        OrderModel(),
        AuditModel(),
        RetentionModel(),
        ComplaintModel(),
        ExpenseModel(),
        BudgetModel(),
        AuthorityMatrixModel(),
    ]
