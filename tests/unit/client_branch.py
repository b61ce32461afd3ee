"""A branch for client tests: an account manager, a supervisor and clients at each stage of
onboarding, on the harness's in-memory store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from domain import clients as c
from domain.clients import Client, ClientType
from domain.clients.identity import DocumentType
from domain.errors import ValidationError
from tests.harness import USCC, VALID_ID, Domain


@dataclass
class Branch:
    """A branch with an account manager and a supervisor, on an in-memory store."""

    d: Domain
    manager: UUID
    supervisor: UUID

    def run(self, command: Any, actor: UUID | None = None, **context: Any) -> None:
        """Run a command as the account manager unless ``actor`` is given."""
        self.d.run(command, actor or self.manager, **context)

    def client(self, cid: UUID) -> Client:
        """The client as stored now."""
        found: Client = self.d.app.get(Client, cid)
        return found

    def prospect(self, kind: ClientType = ClientType.INDIVIDUAL) -> UUID:
        """A registered prospect."""
        cid = uuid.uuid4()
        self.run(
            c.RegisterClient(
                client_id=cid,
                client_type=kind,
                name="张三",
                source_channel=c.SourceChannel.WALK_IN,
                account_manager=self.manager,
            )
        )
        return cid

    def identified(self, kind: ClientType = ClientType.INDIVIDUAL) -> UUID:
        """A prospect whose real-name identity is recorded."""
        cid = self.prospect(kind)
        if kind is ClientType.INDIVIDUAL:
            doc = ("张三", DocumentType.RESIDENT_ID, VALID_ID)
        else:
            doc = ("华信投资有限公司", DocumentType.USCC, USCC)
        self.run(
            c.RecordIdentity(
                client_id=cid, real_name=doc[0], document_type=doc[1], document_number=doc[2]
            )
        )
        return cid

    def ready(self) -> UUID:
        """An identified prospect with a current risk assessment and the client agreement."""
        cid = self.identified()
        self.run(c.AssessRisk(client_id=cid, level=c.RiskLevel.C3))
        self.sign(cid, c.AgreementType.CLIENT_AGREEMENT)
        return cid

    def sign(self, cid: UUID, agreement: c.AgreementType) -> None:
        """The client signs an agreement."""
        self.run(c.SignAgreement(client_id=cid, agreement_type=agreement, version="1"))

    def open(self, cid: UUID, account: str = "10000001") -> None:
        """Open the client's account."""
        self.run(c.OpenAccount(client_id=cid, account_number=account))

    def refused(self, command: Any, actor: UUID | None = None, **ctx: Any) -> ValidationError:
        """The ValidationError running ``command`` raises."""
        with pytest.raises(ValidationError) as caught:
            self.run(command, actor, **ctx)
        return caught.value

    @classmethod
    def new(cls) -> Branch:
        """A fresh store with an account manager and a branch manager (the supervisor)."""
        d = Domain()
        return cls(d, d.staff("account_manager"), d.staff("branch_manager"))
