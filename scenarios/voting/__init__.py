"""Resident participation: hearings, one-time ballot codes, secret ballots, counts, evaluation.

Start with :class:`~scenarios.voting.service.VotingService`; counting is in
:mod:`scenarios.voting.tally`, the ballot chain in :mod:`scenarios.voting.chain`, the published
archive and its check in :mod:`scenarios.voting.archive`, printable slips in
:mod:`scenarios.voting.slips`.

The names below are imported on first use, so that ``planning poll …`` starts without loading
SQLAlchemy, pandas or ReportLab until a command needs them.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "PollInfo": "service", "PollOption": "service", "PollResult": "service", "Receipt": "service",
    "VotingService": "service",
    "TallyResult": "tally", "instant_runoff": "tally", "pairwise_matrix": "tally", "schulze": "tally", "tally": "tally",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'scenarios.voting' has no attribute {name!r}")
    return getattr(importlib.import_module(f"scenarios.voting.{module}"), name)
