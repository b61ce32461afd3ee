"""Disclosures: every reconstruction package and personal-data export is recorded (who asked,
what left the system, why) — the record of what was shown to whom."""

from domain.disclosures.aggregate import Disclosure, DisclosureKind, RecordDisclosure

__all__ = ["Disclosure", "DisclosureKind", "RecordDisclosure"]
