"""Clients, supervised changes (freeze, close, four-eyes identity changes): given events,
when a command, then events or an error."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from domain import clients as c
from domain.clients.identity import DocumentType
from domain.errors import Code, ValidationError
from projections.clients import evolve
from tests.harness import VALID_ID
from tests.unit.client_branch import Branch


@pytest.fixture
def b() -> Branch:
    return Branch.new()


def test_a_frozen_client_signs_nothing_and_opens_nothing_until_unfrozen(b: Branch) -> None:
    cid = b.ready()
    b.run(c.FreezeClient(client_id=cid), b.supervisor, reason="court order")
    with pytest.raises(ValidationError, match="frozen"):
        b.sign(cid, c.AgreementType.ONLINE_TRADING)
    with pytest.raises(ValidationError, match="frozen"):
        b.open(cid)
    b.run(c.UnfreezeClient(client_id=cid), b.supervisor, reason="lifted")
    assert b.client(cid).status == "prospect"
    b.open(cid)


def test_freezing_needs_a_reason(b: Branch) -> None:
    error = b.refused(c.FreezeClient(client_id=b.ready()), b.supervisor)
    assert (error.field, error.reason) == ("reason", Code.REASON_REQUIRED)


def test_a_closed_client_accepts_nothing_more(b: Branch) -> None:
    cid = b.ready()
    b.run(c.CloseClient(client_id=cid), b.supervisor)
    with pytest.raises(ValidationError, match="closed"):
        b.run(c.AssessRisk(client_id=cid, level=c.RiskLevel.C2))


def request_change(cid: UUID, **kw: Any) -> c.RequestIdentityChange:
    return c.RequestIdentityChange(
        client_id=cid, request_id=uuid.uuid4(), evidence_ref="scan", **kw
    )


def test_an_identity_change_waits_for_another_supervisor(b: Branch) -> None:
    requester = b.d.staff("account_manager", "branch_manager")
    cid = b.identified()
    change = request_change(
        cid, document_type=DocumentType.RESIDENT_ID, document_number="110105194912310038"
    )
    b.run(change, requester, reason="typo")
    document = b.client(cid).document
    assert document is not None and document.number == VALID_ID
    approve = c.ApproveIdentityChange(client_id=cid, request_id=change.request_id)
    with pytest.raises(ValidationError, match="requester") as caught:
        b.run(approve, requester)
    assert caught.value.reason is Code.SAME_PERSON
    b.run(approve, b.supervisor)
    document = b.client(cid).document
    assert document is not None and document.number == "110105194912310038"


def test_a_rejection_needs_a_reason_and_clears_the_request(b: Branch) -> None:
    cid = b.identified()
    change = request_change(cid, real_name="张三丰")
    b.run(change, reason="new name")
    reject = c.RejectIdentityChange(client_id=cid, request_id=change.request_id)
    error = b.refused(reject, b.supervisor)
    assert error.reason is Code.REASON_REQUIRED
    b.run(reject, b.supervisor, reason="documents do not match")
    assert b.client(cid).pending_changes == {} and b.client(cid).name == "张三"


def test_the_client_row_follows_an_approved_change(b: Branch) -> None:
    cid = b.identified()
    change = request_change(cid, real_name="张三丰")
    b.run(change, reason="married")
    b.run(c.ApproveIdentityChange(client_id=cid, request_id=change.request_id), b.supervisor)
    row = None
    for position, event in enumerate(b.d.events(cid), start=1):
        row = evolve(row, event, position)
    assert row is not None
    assert row.name == "张三丰" and row.pending_changes == []
    assert row.document_number == VALID_ID and row.version == 4
