"""Identity documents as value objects, validated (DESIGN §4, Clients).

Pure: "today" is passed in, never read from a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.errors import Code, ValidationError

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"  # indexed by the weighted sum mod 11 (ISO 7064 MOD 11-2)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class DocumentType(StrEnum):
    """The identity documents a client may present."""

    RESIDENT_ID = "resident_id"  # 18-digit PRC resident identity card
    RESIDENT_ID_LEGACY = "resident_id_legacy"  # 15-digit, issued before 1999
    PASSPORT = "passport"
    HK_MACAU_PERMIT = "hk_macau_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    USCC = "uscc"  # unified social credit code (institutions)
    BUSINESS_LICENCE = "business_licence"  # legacy registration number (institutions)


def resident_id_check_char(first17: str) -> str:
    """The check character of an 18-digit resident ID (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015, mod 31)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _birth_date(text: str, today: date, field: str) -> date:
    try:
        born = date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ValidationError(
            f"birth date {text} in the ID number is not a real date", field, Code.INVALID_DOCUMENT
        ) from None
    if born > today:
        raise ValidationError(
            f"birth date {born.isoformat()} is in the future", field, Code.INVALID_DOCUMENT
        )
    if born.year < 1880:
        raise ValidationError(
            f"birth date {born.isoformat()} is implausibly early", field, Code.INVALID_DOCUMENT
        )
    return born


@dataclass(frozen=True)
class IdentityDocument:
    """A validated document: its type, its number normalised, and the birth date it encodes."""

    type: DocumentType
    number: str
    birth_date: date | None = None

    @property
    def masked(self) -> str:
        """The number with all but its last four characters hidden."""
        return "*" * (len(self.number) - 4) + self.number[-4:]


_PATTERNS: dict[DocumentType, tuple[re.Pattern[str], str]] = {
    DocumentType.PASSPORT: (re.compile(r"^[A-Z0-9]{5,17}$"), "5-17 letters or digits"),
    DocumentType.HK_MACAU_PERMIT: (
        re.compile(r"^[HM]\d{8}(\d{2})?$"),
        "H or M followed by 8 or 10 digits",
    ),
    DocumentType.TAIWAN_PERMIT: (re.compile(r"^\d{8}(\d{2})?$"), "8 or 10 digits"),
    DocumentType.BUSINESS_LICENCE: (re.compile(r"^\d{15}$"), "15 digits"),
}


def parse_document(
    kind: str, number: str, today: date, field: str = "documentNumber"
) -> IdentityDocument:
    """Validate ``number`` as a document of type ``kind``; a ValidationError names the field."""
    try:
        doc_type = DocumentType(kind)
    except ValueError:
        valid = ", ".join(t.value for t in DocumentType)
        raise ValidationError(
            f"unknown document type {kind!r}; valid: {valid}", "documentType", Code.INVALID_CHOICE
        ) from None
    value = re.sub(r"\s+", "", number).upper()
    if not value:
        raise ValidationError("document number must not be empty", field, Code.INVALID_DOCUMENT)
    if doc_type is DocumentType.RESIDENT_ID:
        if not re.fullmatch(r"\d{17}[\dX]", value):
            raise ValidationError(
                "an 18-digit ID is 17 digits and a digit or X", field, Code.INVALID_DOCUMENT
            )
        born = _birth_date(value[6:14], today, field)
        if resident_id_check_char(value[:17]) != value[17]:
            raise ValidationError(
                "the ID number's check digit is wrong", field, Code.INVALID_DOCUMENT
            )
        return IdentityDocument(doc_type, value, born)
    if doc_type is DocumentType.RESIDENT_ID_LEGACY:
        if not re.fullmatch(r"\d{15}", value):
            raise ValidationError("a 15-digit ID is 15 digits", field, Code.INVALID_DOCUMENT)
        return IdentityDocument(doc_type, value, _birth_date("19" + value[6:12], today, field))
    if doc_type is DocumentType.USCC:
        if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
            raise ValidationError(
                "a unified social credit code is 18 characters of 0-9 and A-Y without I, O, S, V",
                field,
                Code.INVALID_DOCUMENT,
            )
        if uscc_check_char(value[:17]) != value[17]:
            raise ValidationError(
                "the credit code's check character is wrong", field, Code.INVALID_DOCUMENT
            )
        return IdentityDocument(doc_type, value)
    pattern, shape = _PATTERNS[doc_type]
    if not pattern.match(value):
        raise ValidationError(
            f"a {doc_type.value.replace('_', ' ')} number is {shape}", field, Code.INVALID_DOCUMENT
        )
    return IdentityDocument(doc_type, value)
