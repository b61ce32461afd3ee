"""The rebuild's quicker decoding gives exactly what the library's gives, errors included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder, Mapper, UUIDAsHex

from domain.application import BackOffice
from projections.decoding import QuickJSONTranscoder, QuickUUIDAsHex, quick_mapper

_ID = uuid.UUID("0123456789abcdef0123456789ABCDEF")


@pytest.mark.parametrize(
    "text",
    [
        _ID.hex,
        "0123456789ABCDEF0123456789abcdef",
        "0x23456789abcdef0123456789abcdef",  # int() takes the prefix, so does UUID()
        "0123456789abcdef0123456789abcdeg",  # not hex
        "0123456789abcdef0123456789abcde",  # too short
        str(_ID),  # hyphens
        "{" + str(_ID) + "}",
        "urn:uuid:" + str(_ID),
        "0123456789abcdef0123456789abcdé1",
        "٠١٢٣٤٥٦٧٨٩abcdef0123456789abcdef",  # other digits int() reads
        "",
    ],
)
def test_a_quick_uuid_is_the_librarys_uuid_or_the_same_error(text: str) -> None:
    def outcome(decode: Any) -> Any:
        try:
            found = decode(text)
        except Exception as exc:  # noqa: BLE001 - the very error is what is compared
            return type(exc), str(exc)
        return type(found), found, found.is_safe

    assert outcome(QuickUUIDAsHex().decode) == outcome(UUIDAsHex().decode)


def test_the_quick_mapper_decodes_every_registered_type_as_the_library_does() -> None:
    library = Mapper(JSONTranscoder())
    BackOffice.register_transcodings(object.__new__(BackOffice), library.transcoder)  # type: ignore[arg-type]
    quick = quick_mapper(library)
    assert isinstance(quick.transcoder, QuickJSONTranscoder)
    state = {
        "ids": [uuid.uuid4() for _ in range(3)],
        "at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        "price": Decimal("12.3400"),
        "nested": {"_type_": "plain", "other": 1},
        "two": {"_type_": 1, "_data_x": 2},
    }
    encoded = library.transcoder.encode(state)
    assert quick.transcoder.decode(encoded) == library.transcoder.decode(encoded)
    unknown = b'{"x": {"_type_": "nonesuch", "_data_": 1}}'
    with pytest.raises(Exception) as theirs:
        library.transcoder.decode(unknown)
    with pytest.raises(type(theirs.value), match="nonesuch"):
        quick.transcoder.decode(unknown)
