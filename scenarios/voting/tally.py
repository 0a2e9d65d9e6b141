"""Counting stored ballots: approval, score (1–5), ranked (Schulze, with IRV alongside).

Pure functions over validated ballots; nothing here touches the database. A ballot is a
dict in one of three shapes: ``{"approve": [keys]}``, ``{"scores": {key: 1..5}}`` or
``{"ranking": [keys, best first]}`` (incomplete rankings allowed: unranked options share
the last place). Ties are never broken by chance; they are reported as ties.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

METHODS = ("approval", "ranked", "score")


@dataclass(frozen=True)
class IrvRound:
    """One round of instant-runoff: first preferences among continuing options."""

    counts: dict[str, int]
    exhausted: int
    eliminated: list[str]


@dataclass(frozen=True)
class IrvResult:
    """Instant-runoff outcome; ``tied_elimination`` names rounds where the last place was shared."""

    winners: list[str]
    rounds: list[IrvRound]
    tied_elimination: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TallyResult:
    """The count of one poll.

    Attributes
    ----------
    winners
        Best option(s); more than one means a tie.
    ranking
        Groups of equally placed options, best first.
    totals
        Approvals, score sums, or (ranked) the number of options each one beats by Schulze.
    pairwise
        Ranked only: ``pairwise.loc[x, y]`` voters preferring x to y.
    strongest_paths
        Ranked only: Schulze strongest path strengths.
    irv
        Ranked only: instant-runoff rounds and winner(s).
    """

    method: str
    options: list[str]
    ballots: int
    winners: list[str]
    ranking: list[list[str]]
    totals: dict[str, float]
    pairwise: pd.DataFrame | None = None
    strongest_paths: pd.DataFrame | None = None
    irv: IrvResult | None = None

    @property
    def tie(self) -> bool:
        """True when more than one option shares first place."""
        return len(self.winners) > 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (matrices as nested ``{row: {column: count}}``)."""
        out: dict[str, Any] = {
            "method": self.method,
            "options": self.options,
            "ballots": self.ballots,
            "winners": self.winners,
            "tie": self.tie,
            "ranking": self.ranking,
            "totals": self.totals,
        }
        if self.pairwise is not None and self.strongest_paths is not None:
            out["pairwise"] = _matrix_dict(self.pairwise)
            out["strongest_paths"] = _matrix_dict(self.strongest_paths)
        if self.irv is not None:
            out["irv"] = {
                "winners": self.irv.winners,
                "tied_elimination_rounds": self.irv.tied_elimination,
                "rounds": [vars(r) for r in self.irv.rounds],
            }
        return out


def tally(method: str, options: Sequence[str], ballots: Sequence[Mapping[str, Any]]) -> TallyResult:
    """Count ``ballots`` for ``options`` by ``method`` (``approval``, ``ranked`` or ``score``)."""
    options = list(options)
    if method == "approval":
        totals = {o: 0 for o in options}
        for ballot in ballots:
            for key in ballot["approve"]:
                totals[key] += 1
        return _by_totals(method, options, len(ballots), totals)
    if method == "score":
        totals = {o: 0 for o in options}
        for ballot in ballots:
            for key, score in ballot["scores"].items():
                totals[key] += score
        return _by_totals(method, options, len(ballots), totals)
    if method == "ranked":
        rankings = [list(b["ranking"]) for b in ballots]
        return schulze(options, rankings)
    raise ValueError(f"unknown method {method!r}")


def pairwise_matrix(options: Sequence[str], rankings: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Voters preferring row to column; an unranked option is below every ranked one."""
    index = {o: i for i, o in enumerate(options)}
    counts = [[0] * len(options) for _ in options]
    for ranking in rankings:
        ranked = [index[o] for o in ranking]
        seen = set(ranked)
        unranked = [i for i in range(len(options)) if i not in seen]
        for pos, better in enumerate(ranked):
            for worse in [*ranked[pos + 1 :], *unranked]:
                counts[better][worse] += 1
    return pd.DataFrame(counts, index=list(options), columns=list(options))


def schulze(options: Sequence[str], rankings: Sequence[Sequence[str]]) -> TallyResult:
    """Schulze method (winning votes), with the pairwise matrix and an IRV count alongside."""
    options = list(options)
    d = pairwise_matrix(options, rankings).to_numpy()
    n = len(options)
    p = [[int(d[i][j]) if d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            for k in range(n):
                if k not in (i, j):
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    beats = {options[i]: sum(p[i][j] > p[j][i] for j in range(n)) for i in range(n)}
    ranking = _groups(beats)
    return TallyResult(
        method="ranked",
        options=options,
        ballots=len(rankings),
        winners=ranking[0] if rankings else [],
        ranking=ranking,
        totals={k: float(v) for k, v in beats.items()},
        pairwise=pd.DataFrame(d, index=options, columns=options),
        strongest_paths=pd.DataFrame(p, index=options, columns=options),
        irv=instant_runoff(options, rankings),
    )


def instant_runoff(options: Sequence[str], rankings: Sequence[Sequence[str]]) -> IrvResult:
    """Instant-runoff voting: drop the last option until one has a majority of live ballots.

    A shared last place is settled by the earlier rounds (fewest votes in the most recent
    round where they differ); if still shared, all of them drop together and the round is
    listed in ``tied_elimination``. If every continuing option is level, they all win (a tie).
    """
    continuing = list(options)
    rounds: list[IrvRound] = []
    tied_rounds: list[int] = []
    while True:
        counts = {o: 0 for o in continuing}
        exhausted = 0
        for ranking in rankings:
            top = next((o for o in ranking if o in counts), None)
            if top is None:
                exhausted += 1
            else:
                counts[top] += 1
        live = sum(counts.values())
        best = max(counts.values())
        leaders = [o for o in continuing if counts[o] == best]
        if live and best * 2 > live:
            rounds.append(IrvRound(counts, exhausted, []))
            return IrvResult([leaders[0]], rounds, tied_rounds)
        if len(leaders) == len(continuing):
            rounds.append(IrvRound(counts, exhausted, []))
            return IrvResult(leaders if live else [], rounds, tied_rounds)
        losers = _last_place(counts, rounds)
        if len(losers) > 1:
            tied_rounds.append(len(rounds) + 1)
        rounds.append(IrvRound(counts, exhausted, losers))
        continuing = [o for o in continuing if o not in losers]


def _last_place(counts: dict[str, int], earlier: list[IrvRound]) -> list[str]:
    lowest = min(counts.values())
    losers = [o for o, c in counts.items() if c == lowest]
    for past in reversed(earlier):
        if len(losers) == 1:
            break
        fewest = min(past.counts[o] for o in losers)
        losers = [o for o in losers if past.counts[o] == fewest]
    return losers


def _by_totals(method: str, options: list[str], n_ballots: int, totals: dict[str, int]) -> TallyResult:
    ranking = _groups(totals)
    return TallyResult(
        method=method,
        options=options,
        ballots=n_ballots,
        winners=ranking[0] if n_ballots else [],
        ranking=ranking,
        totals={k: float(v) for k, v in totals.items()},
    )


def _groups(values: Mapping[str, float]) -> list[list[str]]:
    """Options grouped by equal value, highest first, keeping option order inside a group."""
    levels = sorted(set(values.values()), reverse=True)
    return [[o for o, v in values.items() if v == level] for level in levels]


def _matrix_dict(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    return {str(r): {str(c): int(frame.loc[r, c]) for c in frame.columns} for r in frame.index}
