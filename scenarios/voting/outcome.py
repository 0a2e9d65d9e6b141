"""How a count is told: the winner or the tie and the meeting's rule for it, and IRV beside a ranked count.

One wording for the CLI, the results page and the report, in Chinese and English, read from
``planning/locale/messages_voting.yaml``. It works on the published (JSON) form of a count,
:meth:`scenarios.voting.tally.TallyResult.to_dict`, so a result published by an older version
still reads. A shared first place is always told as a tie, never as a win.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from planning.base.errors import warning_text
from planning.base.text import LANGUAGES, pick


def say(code: str, lang: str, **params: Any) -> str:
    """The notice ``code`` of ``messages_voting.yaml`` in ``lang`` (``"zh"`` or ``"en"``)."""
    return pick(warning_text(code, **params), lang)


def option_namer(options: list[Mapping[str, Any]]) -> Callable[[str], str]:
    """``key → "A 方案甲 养老优先"`` for the published options (key alone for a key not among them)."""
    titles = {o["key"]: o["title"] for o in options}
    return lambda key: f"{key} {titles[key]}" if key in titles else str(key)


def published_outcome(tally: Mapping[str, Any], options: list[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The outcome sentences as published: ``{"zh": […], "en": […]}`` (IRV lines after the winner or tie)."""
    name = option_namer(options)
    return {lang: outcome_lines(tally, lang, name) + irv_lines(tally, lang, name) for lang in LANGUAGES}


def ballot_words(ballot: Mapping[str, Any], name: Callable[[str], str], lang: str) -> str:
    """One ballot in words, options by name: ``支持：A 方案甲、C 方案丙`` / ``Ranked: B … > A …`` / ``Scores: A … 5, …``."""
    if "approve" in ballot:
        return say("ballot_words_approval", lang, names=_join(list(ballot["approve"]), lang, name))
    if "ranking" in ballot:
        return say("ballot_words_ranked", lang, names=" > ".join(name(k) for k in ballot["ranking"]))
    items = [say("ballot_words_score_item", lang, name=name(k), score=v) for k, v in ballot["scores"].items()]
    return say("ballot_words_score", lang, items=_separator(lang).join(items))


def outcome_lines(tally: Mapping[str, Any], lang: str, name: Callable[[str], str] = str) -> list[str]:
    """Sentences telling who won: the winner, or the tie and the rule the meeting uses to break it.

    Parameters
    ----------
    tally
        A count in published form (``TallyResult.to_dict()``).
    lang
        ``"zh"`` or ``"en"``.
    name
        How to write an option key, e.g. ``lambda k: f"{k} {title[k]}"``; the key alone by default.

    Returns
    -------
    list of str
        ``["Winner: …"]``, ``["Tie for first: …", "<the meeting's rule>"]`` or ``["No ballots …"]``.
    """
    winners = list(tally["winners"])
    if not winners:
        return [say("outcome_no_ballots", lang)]
    if len(winners) > 1:
        return [say("outcome_tie", lang, names=_join(winners, lang, name)), say("outcome_tie_rule", lang)]
    return [say("outcome_winner", lang, name=name(winners[0]))]


def irv_lines(tally: Mapping[str, Any], lang: str, name: Callable[[str], str] = str) -> list[str]:
    """For a ranked count, IRV told beside Schulze (never as the winner), then why each round dropped whom.

    Empty for approval and score counts and when no ballots were cast. Arguments as :func:`outcome_lines`.
    """
    irv = tally.get("irv")
    if not irv or not irv.get("winners"):
        return []
    rounds, irv_winners, schulze = irv["rounds"], list(irv["winners"]), list(tally["winners"])
    if len(irv_winners) > 1:
        lines = [say("outcome_irv_tie", lang, names=_join(irv_winners, lang, name), round=len(rounds))]
    else:
        lines = [say("outcome_irv_majority", lang, name=name(irv_winners[0]), round=len(rounds))]
    if sorted(irv_winners) != sorted(schulze):
        lines.append(say("outcome_irv_differs", lang))
    drawn = False
    for number, past in enumerate(rounds, start=1):
        rule = past.get("rule")  # absent in results published before rules were recorded
        if rule is None:
            continue
        loser = past["eliminated"]
        lines.append(say(f"outcome_irv_{rule}", lang, round=number, name=name(loser), votes=past["counts"][loser],
                         tied=_join(past.get("tied", []), lang, name), earlier=past.get("rule_round")))
        drawn = drawn or rule == "lot"
    if drawn:
        lines.append(say("outcome_irv_lot_rule", lang, seed=irv["seed"]))
    return lines


def _join(keys: list[str], lang: str, name: Callable[[str], str]) -> str:
    return _separator(lang).join(name(k) for k in keys)


def _separator(lang: str) -> str:
    return pick(("、", ", "), lang)
