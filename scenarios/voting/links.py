"""Addresses printed in the QR codes: the voting page and the result, on the meeting laptop's LAN address.

A slip's QR code must open on a resident's phone, so ``localhost`` is no use: the organiser sets
the base address once (the laptop's address on the meeting room's network is detected and
offered) and it is kept with the poll. Standard library only.
"""
from __future__ import annotations

import socket
from urllib.parse import urlencode, urlsplit

from planning.base.errors import PlanningError
from scenarios.voting.rules import MAX_URL_CHARS

DEFAULT_PORT = 8501


def vote_url(base_url: str, poll_id: int, code: str) -> str:
    """``{base_url}/vote?poll=<id>&code=<code>``: opens the voting page with the code filled in."""
    return f"{base_url.rstrip('/')}/vote?{urlencode({'poll': poll_id, 'code': code})}"


def survey_url(base_url: str, survey_id: int, code: str | None = None) -> str:
    """``{base_url}/needs?survey=<id>[&code=<code>]``: the 民情征集 page, with the slip's code filled in."""
    query = {"survey": survey_id, **({"code": code} if code else {})}
    return f"{base_url.rstrip('/')}/needs?{urlencode(query)}"


def result_url(base_url: str, poll_id: int) -> str:
    """``{base_url}/results?poll=<id>``: the published result."""
    return f"{base_url.rstrip('/')}/results?{urlencode({'poll': poll_id})}"


def lan_address() -> str | None:
    """This machine's address on the local network (the interface a LAN route would use), or None.

    A UDP ``connect`` sends nothing; it only asks the system which interface it would use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.168.0.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith(("127.", "0.")) else address


def lan_base_url(port: int = DEFAULT_PORT) -> str | None:
    """``http://<LAN address>:<port>`` for the QR codes, or None without a network."""
    address = lan_address()
    return None if address is None else f"http://{address}:{port}"


def check_base_url(url: str) -> str:
    """``url`` without a trailing slash, or ``base_url_invalid`` (http/https with a host, no spaces)."""
    url = str(url).strip()
    parts = urlsplit(url)
    if (len(url) > MAX_URL_CHARS or parts.scheme not in ("http", "https") or not parts.hostname
            or any(ch.isspace() for ch in url) or parts.query or parts.fragment):
        raise PlanningError("base_url_invalid", url=url[:MAX_URL_CHARS], maximum=MAX_URL_CHARS)
    return url.rstrip("/")
