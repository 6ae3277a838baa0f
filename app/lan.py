"""This machine's addresses on the local network (for the join URL the students type)."""

from __future__ import annotations

import socket


def lan_addresses() -> list[str]:
    """This machine's LAN addresses, for the URL students type (no packet is sent)."""
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    try:  # the address of the default route: connect() on UDP sends nothing
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            found.insert(0, s.getsockname()[0])
    except OSError:
        pass
    unique = [a for i, a in enumerate(found) if a not in found[:i] and not a.startswith("127.")]
    return unique
