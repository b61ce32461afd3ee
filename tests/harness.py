"""Given events, when a command, then events or an error: the application on an in-memory
event store (the library's POPO recorder), with a fixed clock, for tests of the domain."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain import clients as c
from domain.access import Role
from domain.application import BackOffice, CommandResult
from domain.clients.identity import DocumentType
from domain.commands import Command
from domain.envelope import SYSTEM_ACTOR, CommandContext
from domain.instruments import Board, ProductRisk, UpsertInstrument
from domain.staff import RegisterStaff

#: Noon in Shanghai on a Monday: business dates and UTC dates agree.
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
VALID_ID = "11010519491231002X"
USCC = "91350100M000100Y43"


class Domain:
    """The back office on an in-memory store: register staff, run commands, read events."""

    def __init__(self, now: datetime = NOW) -> None:
        self.app = BackOffice()
        self.now = now

    def context(
        self,
        actor: UUID = SYSTEM_ACTOR,
        *,
        reason: str | None = None,
        key: str | None = None,
        expected: int | None = None,
        at: datetime | None = None,
    ) -> CommandContext:
        """A command context given by ``actor`` at ``at`` (default: the harness's now)."""
        when = at or self.now
        corr = uuid.uuid4()
        return CommandContext(
            actor=actor,
            occurred_at=when,
            business_date=when.date(),
            correlation_id=corr,
            causation_id=corr,
            reason=reason,
            idempotency_key=key,
            expected_version=expected,
        )

    def run(self, command: Command, actor: UUID = SYSTEM_ACTOR, **context: Any) -> CommandResult:
        """Execute ``command`` as ``actor``."""
        return self.app.execute(command, self.context(actor, **context))

    def staff(self, *roles: str, branch: str = "SH01", name: str = "职员") -> UUID:
        """A registered, active staff member holding ``roles``."""
        sid = uuid.uuid4()
        self.run(
            RegisterStaff(staff_id=sid, name=name, branch=branch, roles=[Role(r) for r in roles])
        )
        return sid

    def events(self, aggregate_id: UUID) -> list[DomainEventProtocol[Any]]:
        """Every event stored for one record, in order."""
        return [
            self.app.mapper.to_domain_event(s)
            for s in self.app.recorder.select_events(aggregate_id)
        ]

    def last(self, aggregate_id: UUID) -> Any:
        """The newest event of one record."""
        return self.events(aggregate_id)[-1]

    def onboard(self, manager: UUID, account: str = "10000001", level: str = "C3") -> UUID:
        """A client from prospect to an open account, by an account manager."""
        cid = uuid.uuid4()
        for command in (
            c.RegisterClient(
                client_id=cid,
                client_type=c.ClientType.INDIVIDUAL,
                name="张三",
                source_channel=c.SourceChannel.WALK_IN,
                account_manager=manager,
            ),
            c.RecordIdentity(
                client_id=cid,
                real_name="张三",
                document_type=DocumentType.RESIDENT_ID,
                document_number=VALID_ID,
            ),
            c.RecordContact(
                client_id=cid,
                mobile="13812345678",
                id_address="北京市朝阳区",
                mailing_address="上海市浦东新区",
            ),
            c.AssessRisk(client_id=cid, level=c.RiskLevel(level)),
            c.SignAgreement(
                client_id=cid, agreement_type=c.AgreementType.CLIENT_AGREEMENT, version="2026.1"
            ),
            c.OpenAccount(client_id=cid, account_number=account),
        ):
            self.run(command, manager)
        return cid

    def instrument(
        self, code: str = "600519.SH", risk: str = "R3", board: str = "main", lot: int = 100
    ) -> str:
        """An instrument in the catalogue."""
        self.run(
            UpsertInstrument(
                code=code,
                name="贵州茅台",
                board=Board(board),
                risk_level=ProductRisk(risk),
                board_lot=lot,
            )
        )
        return code

    def later(self, **delta: float) -> Domain:
        """Move the clock forward."""
        self.now += timedelta(**delta)
        return self


def money(value: str | int) -> Decimal:
    """A Decimal amount."""
    return Decimal(str(value))
