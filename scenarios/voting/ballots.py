"""Checking a ballot against its poll and writing it in one canonical form."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from planning.base.errors import PlanningError

_FIELD = {"approval": "approve", "ranked": "ranking", "score": "scores"}
SCORE_RANGE = range(1, 6)


def validate_ballot(method: str, options: Sequence[str], ballot: Mapping[str, Any]) -> dict[str, Any]:
    """The ballot in canonical form, or a :class:`PlanningError` saying what is wrong.

    Shapes: ``{"approve": [keys]}``, ``{"ranking": [keys, best first]}`` (may be
    incomplete, no repeats), ``{"scores": {key: 1..5}}`` (blank options allowed).
    """
    field = _FIELD[method]
    if not isinstance(ballot, Mapping) or set(ballot) != {field}:
        raise PlanningError("ballot_wrong_method", method=method, reason=f"expected only {field!r}")
    value = ballot[field]
    if method == "score":
        if not isinstance(value, Mapping):
            raise PlanningError("ballot_wrong_method", method=method, reason="scores must map option to score")
        _known(options, list(value))
        for key, score in value.items():
            if isinstance(score, bool) or not isinstance(score, int) or score not in SCORE_RANGE:
                raise PlanningError("ballot_bad_score", option=key, score=score)
        return {field: {k: value[k] for k in options if k in value}}
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise PlanningError("ballot_wrong_method", method=method, reason=f"{field} must be a list")
    _known(options, list(value))
    seen: set[str] = set()
    for key in value:
        if key in seen:
            raise PlanningError("ballot_duplicate_option", option=key)
        seen.add(key)
    if method == "approval":
        return {field: [k for k in options if k in seen]}
    return {field: list(value)}


def canonical_json(value: Any) -> str:
    """Sorted-key, compact, UTF-8 JSON: the same content always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def ballots_digest(entries: Sequence[Mapping[str, Any]]) -> str:
    """sha256 of all ``{"receipt", "ballot"}`` entries ordered by receipt, as published.

    A poll that does not publish receipts publishes its ballots alone: their receipt counts as
    ``""`` and they are ordered by their canonical text, so the digest does not depend on order.
    """
    ordered = sorted(({"receipt": e.get("receipt", ""), "ballot": e["ballot"]} for e in entries),
                     key=lambda e: (e["receipt"], canonical_json(e["ballot"])))
    return hashlib.sha256(canonical_json(ordered).encode("utf-8")).hexdigest()


def _known(options: Sequence[str], keys: list[Any]) -> None:
    if not keys:
        raise PlanningError("ballot_empty")
    for key in keys:
        if key not in options:
            raise PlanningError("ballot_unknown_option", option=key, choices=", ".join(options))
