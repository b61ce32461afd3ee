"""Events stored under the topics used before the record kinds moved into packages (e.g.
``domain.clients:Client.Registered``) are still decoded, changed and projected."""

from __future__ import annotations

import dataclasses
import uuid

from api.database import Database
from api.runtime import Runtime
from domain import clients as c
from domain.clients.identity import DocumentType
from domain.envelope import LEGACY_TOPICS
from projections import clients as model
from tests.conftest import run, staff
from tests.harness import VALID_ID

OLD_TOPIC = "domain.clients:Client.Registered"
OLD_AGGREGATE_TOPIC = "domain.clients:Client"


def _store_under_old_topic(rt: Runtime, manager: uuid.UUID) -> uuid.UUID:
    """A prospect's registration as the code before the move stored it: the event's topic and
    the aggregate topic inside its state both name the old module ``domain.clients``."""
    cid = uuid.uuid4()
    context = rt.context(manager)
    event = c.Client.Registered(
        originator_id=cid,
        originator_version=1,
        timestamp=context.occurred_at,
        originator_topic=OLD_AGGREGATE_TOPIC,
        envelope=context.envelope("account_manager", "SH01"),
        client_id=cid,
        client_type=c.ClientType.INDIVIDUAL.value,
        name="王五",
        source_channel=c.SourceChannel.REFERRAL.value,
        account_manager=manager,
        branch="SH01",
    )
    stored = rt.app.mapper.to_stored_event(event)
    rt.app.recorder.insert_events([dataclasses.replace(stored, topic=OLD_TOPIC)])
    return cid


def _topics(database: Database, cid: uuid.UUID) -> list[str]:
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT topic FROM backoffice_events WHERE originator_id = %s"
            " ORDER BY originator_version",
            (cid,),
        ).fetchall()
    return [r[0] for r in rows]


def test_the_old_topic_is_the_one_the_aggregate_declares_it_was_formerly_stored_under() -> None:
    assert LEGACY_TOPICS[c.Client.Registered] == OLD_TOPIC


def test_a_client_stored_under_its_old_topic_is_still_loaded_and_changed(
    runtime: Runtime, database: Database
) -> None:
    manager = staff(runtime, "account_manager")
    cid = _store_under_old_topic(runtime, manager)
    client = runtime.app.get(c.Client, cid)
    assert (client.name, client.branch, client.account_manager) == ("王五", "SH01", manager)
    result = run(
        runtime,
        c.RecordIdentity(
            client_id=cid,
            real_name="王五",
            document_type=DocumentType.RESIDENT_ID,
            document_number=VALID_ID,
        ),
        manager,
    )
    assert result.version == 2
    old, new = _topics(database, cid)
    assert old == OLD_TOPIC and new == "domain.clients.aggregate:Client.IdentityRecorded"


def test_an_event_stored_under_its_old_topic_is_projected(runtime: Runtime) -> None:
    manager = staff(runtime, "account_manager")
    cid = _store_under_old_topic(runtime, manager)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, cid)
    assert row is not None
    assert (row.name, row.status, row.account_manager, row.version) == (
        "王五",
        "prospect",
        manager,
        1,
    )
