"""Resident participation: hearings, one-time ballot codes, secret ballots, counts, evaluation.

Start with :class:`~planning.voting.service.VotingService`; counting is in
:mod:`planning.voting.tally`, printable slips in :mod:`planning.voting.slips`.
"""
from planning.voting.service import PollInfo, PollOption, PollResult, VotingService
from planning.voting.tally import TallyResult, instant_runoff, pairwise_matrix, schulze, tally

__all__ = [
    "PollInfo", "PollOption", "PollResult", "TallyResult", "VotingService",
    "instant_runoff", "pairwise_matrix", "schulze", "tally",
]
