"""``backoffice staff``: staff members and their API tokens."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

import typer

from api.auth import new_token, token_hash
from api.cli.common import (
    JsonFlag,
    emit_json,
    err,
    fail,
    group,
    open_configured,
    os_user,
    out,
    table,
)
from api.runtime import Runtime
from domain.errors import DomainError
from domain.staff import IssueToken, RegisterStaff
from projections import staff as staff_model

staff_cli = group("staff", "Staff members and their API tokens.")


def _issue_token(runtime: Runtime, staff_id: UUID) -> str:
    token = new_token()
    result = runtime.system(
        IssueToken(staff_id=staff_id, token_hash=token_hash(token)),
        f"token issued on the command line by {os_user()}",
    )
    runtime.runner.sync(result.position or 0)
    return token


@staff_cli.command("add")
def staff_add(
    name: Annotated[str, typer.Argument(help="Full name, exactly as it should appear.")],
    role: Annotated[list[str], typer.Option("--role", help="A role; repeat for several.")],
    branch: Annotated[str, typer.Option(help="Branch code, e.g. SH01.")],
) -> None:
    """Register a staff member and print a bearer token (shown once, stored only hashed)."""
    runtime = open_configured()
    try:
        staff_id = uuid4()
        runtime.system(
            RegisterStaff(staff_id=staff_id, name=name, branch=branch, roles=role),  # type: ignore[arg-type]
            f"registered on the command line by {os_user()}",
        )
        token = _issue_token(runtime, staff_id)
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    err.print(f"staff {staff_id} registered; bearer token (shown once):")
    out.print(token)


@staff_cli.command("list")
def staff_list(
    branch: Annotated[str | None, typer.Option(help="Only this branch.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Staff members with their ids, branch and roles (from the staff read model); ids are
    always printed whole, whatever the terminal's width, so they can be copied."""
    runtime = open_configured()
    members = []
    try:
        runtime.runner.sync(runtime.runner.head())
        after = None
        while True:
            with runtime.cursor() as curs:
                found = staff_model.page(
                    curs,
                    staff_model.StaffFilter(branch=branch.upper() if branch else None),
                    200,
                    after,
                )
            members.extend(found.items)
            if not found.has_next_page:
                break
            after = found.end_cursor
    finally:
        runtime.close()
    if as_json:
        emit_json(members)
        return
    grid = table("id", "name", "branch", "roles", "active")
    # The id never shrinks (36 characters): the other columns wrap instead.
    grid.columns[0].no_wrap = True
    grid.columns[0].min_width = 36
    for s in members:
        grid.add_row(str(s.id), s.name, s.branch, ", ".join(s.roles), str(s.active))
    out.print(grid)


@staff_cli.command("token")
def staff_token(staff_id: Annotated[UUID, typer.Argument(help="The staff member's id.")]) -> None:
    """Issue another bearer token for a staff member."""
    runtime = open_configured()
    try:
        token = _issue_token(runtime, staff_id)
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    out.print(token)
