"""The ballot chain: every ballot appended to a hash chain that starts from the poll's seal.

A poll is sealed when it is created: ``seal = sha256(canonical settings)`` covers its title,
method, electorate, quorum, publication choices and each option with the sha256 digest of its
scenario file. The chain starts at ``genesis(seal)``; ballot number *i* adds

    commitment_i = sha256(canonical {"ballot": …, "nonce": …, "receipt": …})
    value_i      = sha256("<value_{i-1}>\\n<i>\\n<commitment_i>")

so changing, removing, adding or reordering any ballot changes every later value and the head.
The commitment hides the ballot while its random nonce stays secret (polls that do not publish
receipts); publishing ballot, receipt and nonce lets anyone recompute it. Standard library only:
``planning poll verify`` checks a chain without the database.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scenarios.voting.ballots import canonical_json

CHAIN_TAG = "shenghuoquan-poll-chain/1"
SEAL_FORMAT = "shenghuoquan-poll-seal/1"


def seal_settings(*, poll_id: int, title: str, method: str, electorate: str, quorum: int | None,
                  publish_receipts: bool, publish_comments: bool,
                  options: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The settings a seal covers, in the form published with the result."""
    return {
        "format": SEAL_FORMAT, "poll_id": int(poll_id), "title": title, "method": method,
        "electorate": electorate, "quorum": quorum, "publish_receipts": bool(publish_receipts),
        "publish_comments": bool(publish_comments),
        "options": [{"key": o["key"], "title": o["title"], "scenario_digest": o["scenario_digest"]} for o in options],
    }


def seal(settings: Mapping[str, Any]) -> str:
    """sha256 of the canonical settings (:func:`seal_settings`)."""
    return _sha256(canonical_json(dict(settings)))


def genesis(poll_seal: str) -> str:
    """The chain value before the first ballot."""
    return _sha256(f"{CHAIN_TAG}\n{poll_seal}")


def commitment(ballot: Mapping[str, Any], nonce: str, receipt: str) -> str:
    """sha256 binding one ballot to its receipt under a random nonce."""
    return _sha256(canonical_json({"ballot": ballot, "nonce": nonce, "receipt": receipt}))


def next_value(previous: str, position: int, entry_commitment: str) -> str:
    """The chain value after appending ``entry_commitment`` at ``position`` (1-based)."""
    return _sha256(f"{previous}\n{int(position)}\n{entry_commitment}")


@dataclass(frozen=True)
class ChainCheck:
    """Outcome of :func:`check_chain`: ``broken_at`` is the first position that does not verify (None: all do)."""

    head: str
    length: int
    broken_at: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def check_chain(poll_seal: str, entries: Sequence[Mapping[str, Any]]) -> ChainCheck:
    """Recompute the chain over ``entries`` (``position``, ``commitment``, ``value``, and, when
    present, ``ballot``/``nonce``/``receipt`` whose commitment is recomputed too), in order."""
    value = genesis(poll_seal)
    for expected, entry in enumerate(entries, start=1):
        if int(entry["position"]) != expected:
            return ChainCheck(value, expected - 1, expected)
        given = entry["commitment"]
        if "nonce" in entry and commitment(entry["ballot"], entry["nonce"], entry["receipt"]) != given:
            return ChainCheck(value, expected - 1, expected)
        value = next_value(value, expected, given)
        if entry["value"] != value:
            return ChainCheck(value, expected - 1, expected)
    return ChainCheck(value, len(entries))


def short(value: str | None, n: int = 16) -> str:
    """The first ``n`` hex digits in groups of four, as a person reads them aloud (``3f9a 07c2 …``)."""
    if not value:
        return ""
    head = value[:n]
    return " ".join(head[i:i + 4] for i in range(0, len(head), 4))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
