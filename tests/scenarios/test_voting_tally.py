"""Counting against published worked examples, ties and incomplete rankings."""
from __future__ import annotations

import hashlib

import pytest

from scenarios.voting.tally import instant_runoff, lot_value, tally

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
    assert [(r.eliminated, r.rule) for r in result.irv.rounds] == [
        ("Chattanooga", "fewest"), ("Nashville", "fewest"), (None, None)]
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


def test_irv_drops_one_of_two_tied_last_places_and_elects_c_in_the_45_voter_example():
    result = tally("ranked", list("ABCDE"), _expand(WIKIPEDIA_SCHULZE))
    irv = result.irv
    assert (irv.rounds[0].eliminated, irv.rounds[0].rule) == ("D", "fewest")
    assert irv.rounds[1].counts == {"A": 10, "B": 8, "C": 19, "E": 8}
    # B and E are level in round 1 as well (8 each): one of them is drawn, never both
    assert irv.rounds[1].rule == "lot" and irv.rounds[1].tied == ["B", "E"]
    assert irv.rounds[1].eliminated in ("B", "E") and len(irv.rounds) == 4
    assert irv.winners == ["C"] and not irv.tie
    assert result.winners == ["E"]  # Schulze, the published method, still elects E


@pytest.mark.parametrize("seed", ["0" * 64, "f" * 64, "新街口"])
def test_irv_elects_c_in_the_45_voter_example_whichever_of_b_and_e_is_drawn(seed):
    assert instant_runoff(list("ABCDE"), [list(r) for n, r in WIKIPEDIA_SCHULZE for _ in range(n)], seed).winners == ["C"]


def test_lot_is_reproducible_from_the_published_seed_and_drops_the_lowest_sha256():
    rankings = [list(r) for n, r in WIKIPEDIA_SCHULZE for _ in range(n)]
    draws = {seed: instant_runoff(list("ABCDE"), rankings, seed).rounds[1] for seed in ("seed-1", "seed-2", "seed-5")}
    for seed, drawn in draws.items():
        expected = {k: hashlib.sha256(f"{seed}:2:{k}".encode()).hexdigest() for k in ("B", "E")}
        assert drawn.lot == expected and lot_value(seed, 2, "B") == expected["B"]
        assert drawn.eliminated == min(expected, key=expected.get)
        assert instant_runoff(list("ABCDE"), rankings, seed).rounds[1] == drawn  # same seed, same draw
    assert {r.eliminated for r in draws.values()} == {"B", "E"}  # the seed decides, not the option order


def test_default_lot_seed_depends_on_the_ballots_not_their_order():
    rankings = [list(r) for n, r in WIKIPEDIA_SCHULZE for _ in range(n)]
    result = tally("ranked", list("ABCDE"), _expand(WIKIPEDIA_SCHULZE))
    assert instant_runoff(list("ABCDE"), rankings[::-1]).seed == result.irv.seed
    assert instant_runoff(list("ABCDE"), rankings[1:]).seed != result.irv.seed
    published = result.to_dict()["irv"]
    assert published["seed"] == result.irv.seed and published["rounds"][1]["rule"] == "lot"


def test_shared_last_place_goes_to_the_option_with_fewer_votes_in_an_earlier_round():
    # round 1: A 7, B 4, C 3, D 1; D's ballot moves to C, so round 2 has B 4 and C 4
    rankings = [["A"]] * 7 + [["B"]] * 4 + [["C", "B"]] * 3 + [["D", "C", "B"]]
    result = instant_runoff(list("ABCD"), rankings)
    assert result.rounds[1].counts == {"A": 7, "B": 4, "C": 4}
    assert (result.rounds[1].eliminated, result.rounds[1].rule, result.rounds[1].rule_round) == ("C", "earlier_round", 1)
    assert result.winners == ["B"]  # dropping B instead would elect A


def test_irv_that_ends_level_is_a_tie_not_a_win():
    level = instant_runoff(list("AB"), [["A"], ["B"], ["A", "B"], ["B", "A"]])
    assert level.tie and level.winners == ["A", "B"] and level.rounds[-1].eliminated is None
    # C is dropped (fewest); its voters split evenly, so A and B end level
    rankings = [["A"]] * 3 + [["B"]] * 3 + [["C", "A"], ["C", "B"]]
    result = tally("ranked", list("ABC"), [{"ranking": r} for r in rankings])
    assert result.irv.rounds[-1].counts == {"A": 4, "B": 4} and result.irv.winners == ["A", "B"]
    assert result.to_dict()["irv"]["tie"] is True


def test_schulze_winners_are_every_option_no_one_beats():
    # W is level with Y and Z; Y beats Z. Y beats more options than W, but W is not beaten either.
    ballots = _expand([(1, "WYZ"), (1, "YZW")])
    result = tally("ranked", list("WYZ"), ballots)
    assert result.tie and result.winners == ["W", "Y"] and result.winner is None
    assert result.ranking == [["W", "Y"], ["Z"]]
    assert result.to_dict()["winner"] is None and result.to_dict()["winners"] == ["W", "Y"]


def test_score_tie_is_reported_not_broken():
    ballots = [{"scores": {"A": 5, "B": 2}}, {"scores": {"A": 1, "B": 4}}, {"scores": {"C": 5}}]
    result = tally("score", list("ABC"), ballots)
    assert result.tie and result.winners == ["A", "B"] and result.winner is None
    assert result.to_dict()["winner"] is None


def test_outcome_of_a_result_published_before_irv_rules_were_recorded_still_reads():
    from scenarios.voting.outcome import irv_lines, outcome_lines

    old = {"winners": ["E"], "tie": False, "irv": {"winners": ["A"], "tied_elimination_rounds": [2], "rounds": [
        {"counts": {"A": 10, "B": 8, "C": 12, "D": 7, "E": 8}, "exhausted": 0, "eliminated": ["D"]},
        {"counts": {"A": 10, "B": 8, "C": 19, "E": 8}, "exhausted": 0, "eliminated": ["B", "E"]},
        {"counts": {"A": 26, "C": 19}, "exhausted": 0, "eliminated": []}]}}
    assert outcome_lines(old, "en") == ["Winner: E."]
    assert irv_lines(old, "en") == [
        "Instant runoff (IRV, for reference only; the published result is Schulze's): A has a majority in round 3.",
        "IRV and Schulze differ; the Schulze result stands."]
