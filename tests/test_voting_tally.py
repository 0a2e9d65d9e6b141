"""Counting against published worked examples, ties and incomplete rankings."""
from __future__ import annotations

from scenarios.voting.tally import instant_runoff, tally

# Wikipedia, "Schulze method", example with 45 voters and candidates A–E.
WIKIPEDIA_SCHULZE = [(5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
                     (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC")]
# Wikipedia, "Instant-runoff voting", Tennessee capital election (percent of voters).
TENNESSEE = [(42, ["Memphis", "Nashville", "Chattanooga", "Knoxville"]),
             (26, ["Nashville", "Chattanooga", "Knoxville", "Memphis"]),
             (15, ["Chattanooga", "Knoxville", "Nashville", "Memphis"]),
             (17, ["Knoxville", "Chattanooga", "Nashville", "Memphis"])]
CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def _expand(groups):
    return [{"ranking": list(r)} for n, r in groups for _ in range(n)]


def test_schulze_wikipedia_example_elects_e_with_published_matrices():
    result = tally("ranked", list("ABCDE"), _expand(WIKIPEDIA_SCHULZE))
    assert result.winners == ["E"] and not result.tie
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert result.pairwise.loc["A"].tolist() == [0, 20, 26, 30, 22]
    assert result.pairwise.loc["E"].tolist() == [23, 27, 21, 31, 0]
    assert result.strongest_paths.loc["E"].tolist() == [25, 28, 28, 31, 0]
    assert result.strongest_paths.loc["A"].tolist() == [0, 28, 28, 30, 24]


def test_tennessee_knoxville_wins_irv_but_nashville_wins_schulze():
    result = tally("ranked", CITIES, _expand(TENNESSEE))
    assert result.winners == ["Nashville"]
    assert result.pairwise.loc["Nashville", "Memphis"] == 58
    assert result.pairwise.loc["Nashville", "Knoxville"] == 68
    assert result.irv.winners == ["Knoxville"]
    assert [r.eliminated for r in result.irv.rounds] == [["Chattanooga"], ["Nashville"], []]
    assert result.irv.rounds[-1].counts == {"Memphis": 42, "Knoxville": 58}


def test_incomplete_rankings_put_unranked_options_last():
    ballots = [{"ranking": ["A"]}, {"ranking": ["A"]}, {"ranking": ["B", "C"]}]
    result = tally("ranked", ["A", "B", "C"], ballots)
    assert result.pairwise.loc["A", "B"] == 2 and result.pairwise.loc["B", "A"] == 1
    assert result.pairwise.loc["B", "C"] == 1 and result.pairwise.loc["C", "B"] == 0
    assert result.winners == ["A"]
    # IRV: A has 2 of 3 first preferences, a majority in round one
    assert result.irv.winners == ["A"] and len(result.irv.rounds) == 1


def test_exhausted_ballots_do_not_count_toward_the_irv_majority():
    rankings = [["A"]] * 4 + [["B"]] * 3 + [["C", "B"]] * 2 + [["D"]] * 1
    result = instant_runoff(list("ABCD"), rankings)
    assert result.rounds[1].exhausted == 1  # the D ballot has no further choice
    assert result.winners == ["B"]


def test_ranked_cycle_is_reported_as_a_tie():
    ballots = _expand([(1, "ABC"), (1, "BCA"), (1, "CAB")])
    result = tally("ranked", list("ABC"), ballots)
    assert result.tie and result.winners == ["A", "B", "C"]
    assert result.irv.winners == ["A", "B", "C"]


def test_approval_tie_is_reported_not_broken():
    ballots = [{"approve": ["A", "B"]}, {"approve": ["B"]}, {"approve": ["A"]}, {"approve": ["C"]}]
    result = tally("approval", ["A", "B", "C"], ballots)
    assert result.tie and result.winners == ["A", "B"]
    assert result.ranking == [["A", "B"], ["C"]]
    assert result.totals == {"A": 2, "B": 2, "C": 1}


def test_score_sums_scores_and_blank_counts_as_nothing():
    ballots = [{"scores": {"A": 5, "B": 3}}, {"scores": {"A": 1, "B": 4}}, {"scores": {"B": 2, "C": 5}}]
    result = tally("score", ["A", "B", "C"], ballots)
    assert result.totals == {"A": 6, "B": 9, "C": 5}
    assert result.winners == ["B"] and result.ranking == [["B"], ["A"], ["C"]]


def test_no_ballots_means_no_winner():
    assert tally("approval", ["A", "B"], []).winners == []
    assert tally("ranked", ["A", "B"], []).winners == []
