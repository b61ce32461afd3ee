"""Every closed vocabulary of the domain as a GraphQL enum (in inputs, outputs and filters).

The enums are the domain's own (``StrEnum``s): registering them here gives the schema their
names and descriptions, and a value outside the vocabulary is refused by GraphQL itself."""

from __future__ import annotations

import inspect
from enum import Enum

import strawberry

from api.clocks import Clock
from domain.access import Role
from domain.clients import (
    AgreementType,
    ClientStatus,
    ClientType,
    InvestorClass,
    RiskLevel,
    SourceChannel,
)
from domain.clients.identity import DocumentType
from domain.complaints import (
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintStage,
    ComplaintStatus,
    ResponsibleDepartment,
)
from domain.errors import Code
from domain.expenses import ApprovalLevel, BudgetKind, BudgetStatus, Currency, ExpenseStatus
from domain.instruments import Board, InstrumentStatus, ProductRisk
from domain.orders import (
    AbnormalRule,
    CancelCause,
    FlagStatus,
    OrderChannel,
    OrderStatus,
    OrderType,
    ReasonCode,
    ReviewerCode,
    Side,
)
from domain.periods import PeriodKind
from domain.retention import RecordClass
from projections.client_list import ClientSort
from projections.instruments import InstrumentSort
from projections.order_list import OrderSort
from projections.staff import StaffSort

VOCABULARIES: list[type[Enum]] = [
    Role,
    ClientType,
    SourceChannel,
    ClientStatus,
    RiskLevel,
    InvestorClass,
    AgreementType,
    DocumentType,
    Board,
    ProductRisk,
    InstrumentStatus,
    OrderStatus,
    FlagStatus,
    Side,
    OrderType,
    OrderChannel,
    CancelCause,
    ReasonCode,
    ReviewerCode,
    AbnormalRule,
    RecordClass,
    ComplaintChannel,
    ComplaintCategory,
    ComplaintCause,
    ResponsibleDepartment,
    ComplaintStatus,
    ComplaintStage,
    Clock,
    OrderSort,
    ClientSort,
    StaffSort,
    InstrumentSort,
    ExpenseStatus,
    ApprovalLevel,
    BudgetKind,
    BudgetStatus,
    Currency,
    PeriodKind,
]

for vocabulary in VOCABULARIES:
    strawberry.enum(vocabulary, description=inspect.cleandoc(vocabulary.__doc__ or ""))
strawberry.enum(Code, name="ValidationCode", description=(Code.__doc__ or "").strip())
