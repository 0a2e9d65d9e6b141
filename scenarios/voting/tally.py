"""Counting stored ballots: approval, score (1–5), ranked (Schulze, with IRV alongside).

Pure functions over validated ballots; nothing here touches the database. A ballot is a
dict in one of three shapes: ``{"approve": [keys]}``, ``{"scores": {key: 1..5}}`` or
``{"ranking": [keys, best first]}`` (incomplete rankings allowed: unranked options share
the last place).

A shared first place is never broken: it is reported as a tie (``winners`` holds every tied
option and ``winner`` is None) and the meeting decides by its own rules. Only instant-runoff
needs to break ties, for last place, one option at a time: fewest first preferences, then the
most recent earlier round where the tied options differ, then a public lot (:func:`lot_value`)
with a public seed (the service passes the published ballots digest), so anyone re-running the
count with that seed draws the same.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scenarios.voting.ballots import canonical_json

METHODS = ("approval", "ranked", "score")


@dataclass(frozen=True)
class IrvRound:
    """One round of instant-runoff: first preferences among continuing options, and who leaves.

    Attributes
    ----------
    counts
        First preferences of each continuing option.
    exhausted
        Ballots with no continuing option left.
    eliminated
        The one option dropped after this round (None in the last round).
    rule
        Why it was dropped: ``"fewest"`` (last alone), ``"earlier_round"`` (last place shared,
        fewest in round ``rule_round``) or ``"lot"`` (level in every earlier round as well).
    tied
        The options that shared last place (empty when one option was last alone).
    rule_round
        For ``"earlier_round"``: the (1-based) earlier round that separated them.
    lot
        For ``"lot"``: each drawn option's lot value (:func:`lot_value`); the lowest is dropped.
    """

    counts: dict[str, int]
    exhausted: int
    eliminated: str | None = None
    rule: str | None = None
    tied: list[str] = field(default_factory=list)
    rule_round: int | None = None
    lot: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IrvResult:
    """Instant-runoff outcome: the winner (several when the last options are level), rounds and lot seed."""

    winners: list[str]
    rounds: list[IrvRound]
    seed: str

    @property
    def tie(self) -> bool:
        """True when the count ended with more than one option level in first place."""
        return len(self.winners) > 1


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
        Approvals, score sums, or (ranked) the number of options each one beats by Schulze (whole numbers).
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
    totals: dict[str, int]
    pairwise: pd.DataFrame | None = None
    strongest_paths: pd.DataFrame | None = None
    irv: IrvResult | None = None

    @property
    def tie(self) -> bool:
        """True when more than one option shares first place."""
        return len(self.winners) > 1

    @property
    def winner(self) -> str | None:
        """The one winning option, or None on a tie or without ballots."""
        return self.winners[0] if len(self.winners) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (matrices as nested ``{row: {column: count}}``)."""
        out: dict[str, Any] = {
            "method": self.method,
            "options": self.options,
            "ballots": self.ballots,
            "winner": self.winner,
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
                "tie": self.irv.tie,
                "seed": self.irv.seed,
                "rounds": [vars(r) for r in self.irv.rounds],
            }
        return out


def tally(
    method: str, options: Sequence[str], ballots: Sequence[Mapping[str, Any]], seed: str | None = None
) -> TallyResult:
    """Count ``ballots`` for ``options`` by ``method`` (``approval``, ``ranked`` or ``score``).

    ``seed`` seeds the IRV lot (ranked only); the service passes the published ballots digest.
    Without it the seed is derived from the options and ballots (:func:`default_seed`).
    """
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
        return schulze(options, rankings, seed)
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


def schulze(options: Sequence[str], rankings: Sequence[Sequence[str]], seed: str | None = None) -> TallyResult:
    """Schulze method (winning votes), with the pairwise matrix and an IRV count alongside.

    Options are placed in layers: the first holds every option no other beats by strongest
    path (the Schulze winners; more than one is a tie), the next those unbeaten once the first
    layer is set aside, and so on.
    """
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
    ranking = _unbeaten_layers(options, p)
    return TallyResult(
        method="ranked",
        options=options,
        ballots=len(rankings),
        winners=ranking[0] if rankings else [],
        ranking=ranking,
        totals={k: int(v) for k, v in beats.items()},
        pairwise=pd.DataFrame(d, index=options, columns=options),
        strongest_paths=pd.DataFrame(p, index=options, columns=options),
        irv=instant_runoff(options, rankings, seed),
    )


def instant_runoff(options: Sequence[str], rankings: Sequence[Sequence[str]], seed: str | None = None) -> IrvResult:
    """Instant-runoff voting: drop one last option per round until one has a majority of live ballots.

    A shared last place is settled by the earlier rounds (fewest first preferences in the most
    recent round where the tied options differ); if they were level in every round, by the lot
    of :func:`lot_value` with ``seed`` (default: :func:`default_seed`). Each round records which
    rule dropped whom. If every continuing option is level, they all share first place (a tie).
    """
    seed = default_seed(options, rankings) if seed is None else seed
    continuing = list(options)
    rounds: list[IrvRound] = []
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
        if live and best * 2 > live:
            rounds.append(IrvRound(counts, exhausted))
            return IrvResult([o for o in continuing if counts[o] == best], rounds, seed)
        if all(c == best for c in counts.values()):
            rounds.append(IrvRound(counts, exhausted))
            return IrvResult(continuing if live else [], rounds, seed)
        rounds.append(_eliminate(counts, exhausted, rounds, seed))
        continuing.remove(rounds[-1].eliminated)


def lot_value(seed: str, round_number: int, option: str) -> str:
    """The public lot of ``option`` in IRV round ``round_number``: ``sha256("{seed}:{round}:{option}")`` in hex.

    Of the options drawn, the one with the lowest value is dropped. Anyone can recompute it
    from the published seed, e.g. ``printf '%s' "<seed>:2:B" | sha256sum``.
    """
    return hashlib.sha256(f"{seed}:{round_number}:{option}".encode()).hexdigest()


def default_seed(options: Sequence[str], rankings: Sequence[Sequence[str]]) -> str:
    """sha256 of the options and the rankings in sorted order: the lot seed when none is given."""
    content = {"options": list(options), "rankings": sorted(list(r) for r in rankings)}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _eliminate(counts: dict[str, int], exhausted: int, earlier: list[IrvRound], seed: str) -> IrvRound:
    """This round with its one dropped option and the rule that chose it."""
    lowest = min(counts.values())
    tied = [o for o, c in counts.items() if c == lowest]
    if len(tied) == 1:
        return IrvRound(counts, exhausted, tied[0], "fewest")
    left = tied
    for number in range(len(earlier), 0, -1):
        past = earlier[number - 1].counts
        fewest = min(past[o] for o in left)
        left = [o for o in left if past[o] == fewest]
        if len(left) == 1:
            return IrvRound(counts, exhausted, left[0], "earlier_round", tied, rule_round=number)
    draws = {o: lot_value(seed, len(earlier) + 1, o) for o in left}
    return IrvRound(counts, exhausted, min(left, key=draws.__getitem__), "lot", tied, lot=draws)


def _unbeaten_layers(options: list[str], strongest: list[list[int]]) -> list[list[str]]:
    """Options in layers: each holds those no remaining option beats by strongest path."""
    left = list(range(len(options)))
    layers: list[list[str]] = []
    while left:
        top = [i for i in left if all(strongest[i][j] >= strongest[j][i] for j in left)]
        layers.append([options[i] for i in top])
        left = [i for i in left if i not in top]
    return layers


def _by_totals(method: str, options: list[str], n_ballots: int, totals: dict[str, int]) -> TallyResult:
    ranking = _groups(totals)
    return TallyResult(
        method=method,
        options=options,
        ballots=n_ballots,
        winners=ranking[0] if n_ballots else [],
        ranking=ranking,
        totals={k: int(v) for k, v in totals.items()},
    )


def _groups(values: Mapping[str, float]) -> list[list[str]]:
    """Options grouped by equal value, highest first, keeping option order inside a group."""
    levels = sorted(set(values.values()), reverse=True)
    return [[o for o, v in values.items() if v == level] for level in levels]


def _matrix_dict(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    return {str(r): {str(c): int(frame.loc[r, c]) for c in frame.columns} for r in frame.index}
