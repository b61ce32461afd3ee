"""The commands of retention: adopt presets, place and lift legal holds."""

from __future__ import annotations

from typing import Annotated

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.errors import Code, NotFound, ValidationError
from domain.fields import Text
from domain.retention.aggregate import POLICY_ID, LegalHold, RetentionPolicy, hold_id
from domain.retention.presets import parse_presets
from domain.values import RecordId

PresetName = Annotated[str, Text(30, "A retention preset: pboc-2007, cn-2025, us-17a-4, eu-mifid.")]


@command("set_retention_presets", Permission.MANAGE_RETENTION)
class SetRetentionPresets(Command):
    """Adopt the retention presets in force (the longest applies); nothing is recorded when
    they are in force already."""

    presets: list[PresetName]

    def decide(self, d: Decision[RetentionPolicy]) -> RetentionPolicy:
        chosen = parse_presets(self.presets)
        policy = d.find(RetentionPolicy, POLICY_ID)
        if policy is None:
            return d.new(
                RetentionPolicy, RetentionPolicy.Adopted, policy_id=POLICY_ID, presets=chosen
            )
        if chosen != policy.presets:
            d.record_on(policy, RetentionPolicy.Changed, presets=chosen)
        return policy


@command("place_legal_hold", Permission.LEGAL_HOLD, reason=True)
class PlaceLegalHold(Command):
    """Place a legal hold on a client or record: every retention clock of the subject stops
    until it is lifted; `reason` is required."""

    subject_id: RecordId

    def decide(self, d: Decision[LegalHold]) -> LegalHold:
        if not d.repository.exists(self.subject_id):
            raise NotFound(f"no record {self.subject_id}")
        hold = d.find(LegalHold, hold_id(self.subject_id))
        if hold is None:
            return d.new(
                LegalHold,
                LegalHold.Placed,
                hold_id=hold_id(self.subject_id),
                subject_id=self.subject_id,
            )
        if hold.active:
            raise ValidationError("a hold is already in place", "subjectId", Code.DUPLICATE)
        d.record_on(hold, LegalHold.Replaced)
        return hold


@command("lift_legal_hold", Permission.LEGAL_HOLD, reason=True)
class LiftLegalHold(Command):
    """Lift a legal hold; `reason` is required."""

    subject_id: RecordId

    def decide(self, d: Decision[LegalHold]) -> LegalHold:
        hold = d.find(LegalHold, hold_id(self.subject_id))
        if hold is None or not hold.active:
            raise ValidationError("no hold is in place", "subjectId", Code.INVALID_STATE)
        d.record_on(hold, LegalHold.Lifted)
        return hold
