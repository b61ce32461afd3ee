"""Field types shared by the record kinds: each is a type with its limits and description
(see ``domain.fields``). A record kind's own types live in its package."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from domain.fields import Amount, Day, Int, Moment, Ref, Text

PersonName = Annotated[
    str, Text(200, "A person's or organisation's name, exactly as on their document.")
]
BranchCode = Annotated[
    str,
    Text(
        16,
        "A branch code, e.g. SH01.",
        min_length=2,
        pattern=r"[A-Z0-9][A-Z0-9_-]{1,15}",
        shape="2-16 letters, digits, '-' or '_'",
        upper=True,
    ),
]
Reference = Annotated[str, Text(100, "A reference to a document kept outside the system.")]
Label = Annotated[str, Text(100, "A short label.")]
Note = Annotated[str, Text(2000, "Free text, up to 2,000 characters.", multiline=True)]
Address = Annotated[str, Text(300, "A postal address.")]

StaffId = Annotated[UUID, Ref("The id of a staff member.")]
ClientId = Annotated[UUID, Ref("The id of a client.")]
OrderId = Annotated[UUID, Ref("The id of an order.")]
RecordId = Annotated[UUID, Ref("The id of any record (client, order, complaint, …).")]

At = Annotated[datetime, Moment("A time with its zone (ISO 8601).")]
OnDay = Annotated[date, Day("A calendar date.")]

Money = Annotated[
    Decimal,
    Amount(Decimal(0), Decimal("1000000000000"), 2, "An amount of money (CNY, 2 places)."),
]
Percent = Annotated[
    Decimal, Amount(Decimal("0.0001"), Decimal(100), 4, "A percentage above 0, at most 100.")
]
Years = Annotated[int, Int(0, 100, "A number of years.")]
