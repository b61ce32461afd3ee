"""The address that opens GraphiQL, as ``backoffice serve`` prints it (no web imports here)."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote


def ide_url(host: str, port: int, token: str | None = None) -> str:
    """The address that opens GraphiQL; a token rides in the fragment, which is never sent."""
    shown = host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_unspecified:
        # Listening on every interface: this machine reaches it over loopback.
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        shown = str(address)
    if address is not None and address.version == 6:
        shown = f"[{address}]"
    url = f"http://{shown}:{port}/graphql"
    if token:
        url += "#token=" + quote(token, safe="")
    return url


def serve_banner(enabled: bool, host: str, port: int, token: str | None) -> str:
    """What ``serve`` prints about GraphiQL: a URL that opens it ready (with ``token``)."""
    if not enabled:
        return f"GraphQL: http://{host}:{port}/graphql  (GraphiQL is off: GRAPHIQL=false)"
    line = f"GraphiQL: [bold]{ide_url(host, port, token)}[/bold]"
    if token is None:
        line += "  (it asks for a bearer token)"
    return line
