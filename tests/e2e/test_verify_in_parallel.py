"""``backoffice verify --jobs N`` checks signatures in worker processes and reports exactly
what the in-line check reports: the same problems, in notification order, whichever chunk of
signatures finishes first."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.database import Database
from api.integrity import Report, state_decoder
from api.runtime import Runtime
from api.signature_pool import SignaturePool
from api.verification import verify_record
from tests.e2e.test_cli_integrity import invoke
from tests.integration.test_signatures import as_superuser, seed

MISMATCH = "signature does not match the row"
CHAIN = "chain hash does not match the row and its predecessor"


def flip_signature(nid: int) -> str:
    return (
        "UPDATE backoffice_event_signatures"
        " SET signature = set_byte(signature, 5, get_byte(signature, 5) # 1)"
        f" WHERE notification_id = {nid}"
    )


def edit_state(nid: int) -> str:
    """A change to the row alone: its chain hash and its signature no longer match it."""
    return (
        "UPDATE backoffice_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        f" '王芳', '李四'), 'UTF8') WHERE notification_id = {nid}"
    )


def verify_json(jobs: int) -> tuple[int, dict[str, Any]]:
    code, output = invoke("verify", "--json", "--jobs", str(jobs))
    return code, json.loads(output[output.index("{") :])


def problems(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [(p["notification_id"], p["problem"]) for p in report["problems"]]


def test_parallel_verify_proves_an_intact_record_like_the_in_line_one(runtime: Runtime) -> None:
    for _ in range(3):
        seed(runtime)
    code, output = invoke("verify", "--jobs", "2")
    assert code == 0, output
    assert "signatures: 7 valid, by 1 trusted key(s)" in output
    assert verify_json(2) == verify_json(1)


@pytest.mark.parametrize(
    ("tamper", "first", "found"),
    [
        (flip_signature(4), MISMATCH, [(4, MISMATCH)]),
        (edit_state(4), CHAIN, [(4, CHAIN), (4, MISMATCH)]),
    ],
    ids=["signature", "state"],
)
def test_parallel_verify_names_tampering_at_its_position(
    runtime: Runtime, database: Database, tamper: str, first: str, found: list[tuple[int, str]]
) -> None:
    for _ in range(3):
        seed(runtime)
    as_superuser(database, tamper)
    code, output = invoke("verify", "--jobs", "2")
    assert code == 1
    assert f"record broken at notification id 4: {first}" in output
    code, report = verify_json(2)
    assert code == 1 and (code, report) == verify_json(1)
    assert problems(report) == found
    assert report["signed"] == 6  # the six others


def _report(rt: Runtime, pool: SignaturePool | None) -> Report:
    return verify_record(
        rt.database,
        anchors=rt.keys.public_keys(),
        decode=state_decoder(rt.settings.cipher_key),
        store=None,
        pool=pool,
    )


def test_failures_from_many_chunks_come_back_in_notification_order(
    runtime: Runtime, database: Database
) -> None:
    for _ in range(5):
        seed(runtime)
    # Signatures at 2, 6 and 11 and a row at 8: the in-line check's order interleaves them.
    as_superuser(database, flip_signature(2), edit_state(8), flip_signature(6), flip_signature(11))
    in_line = _report(runtime, None)
    with SignaturePool(3, chunk=2) as pool:  # many small chunks, finishing in any order
        parallel = _report(runtime, pool)
    assert [(p.notification_id, p.text) for p in parallel.problems] == [
        (2, MISMATCH),
        (6, MISMATCH),
        (8, CHAIN),
        (8, MISMATCH),
        (11, MISMATCH),
    ]
    assert parallel.problems == in_line.problems
    assert (parallel.count, parallel.signed, parallel.head) == (
        in_line.count,
        in_line.signed,
        in_line.head,
    )
