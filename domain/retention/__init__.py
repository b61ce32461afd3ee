"""Retention: presets per record class, the policy in force, legal holds."""

from domain.retention.aggregate import POLICY_ID, LegalHold, RetentionPolicy, hold_id
from domain.retention.commands import LiftLegalHold, PlaceLegalHold, SetRetentionPresets
from domain.retention.presets import (
    PRESETS,
    Clock,
    RecordClass,
    Rule,
    earliest_removal,
    parse_presets,
)

__all__ = [
    "POLICY_ID",
    "PRESETS",
    "Clock",
    "LegalHold",
    "LiftLegalHold",
    "PlaceLegalHold",
    "RecordClass",
    "RetentionPolicy",
    "Rule",
    "SetRetentionPresets",
    "earliest_removal",
    "hold_id",
    "parse_presets",
]
