"""Resident participation: hearings, one-time ballot codes, secret ballots, counts, evaluation.

Start with :class:`~scenarios.voting.service.VotingService`; counting is in
:mod:`scenarios.voting.tally`, printable slips in :mod:`scenarios.voting.slips`.
"""
from scenarios.voting.service import PollInfo, PollOption, PollResult, VotingService
from scenarios.voting.tally import (
    TallyResult,
    instant_runoff,
    pairwise_matrix,
    schulze,
    tally,
)

__all__ = [
    "PollInfo", "PollOption", "PollResult", "TallyResult", "VotingService",
    "instant_runoff", "pairwise_matrix", "schulze", "tally",
]
