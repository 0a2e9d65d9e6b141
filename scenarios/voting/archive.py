"""The published result as a file anyone can keep and check, without the database.

:func:`build_archive` makes a ZIP holding ``result.json`` (the signed result as published),
``result-zh.html`` and ``result-en.html`` (self-contained pages that open offline: no script,
no font, no image, no outside address, every user text escaped) and ``scenarios/<key>.yaml``
(each option's scenario as sealed). :func:`verify_archive` — ``planning poll verify`` — checks
the signature, the seal, the ballot chain, the ballots digest, the recount, the outcome, the
code counts and the scenario files, and reports each.
"""
from __future__ import annotations

import html
import io
import json
import zipfile

import yaml
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planning.base.errors import PlanningError
from planning.base.text import LANGUAGES, catalogue
from scenarios.voting import chain
from scenarios.voting.ballots import ballots_digest
from scenarios.voting.outcome import ballot_words, option_namer, published_outcome

RESULT_NAME = "result.json"
_MAX_MEMBER_BYTES = 64 * 2**20
_CHECKS = ("format", "signature", "key", "seal", "chain", "digest", "tally", "outcome", "codes", "scenarios")


def words(key: str, lang: str, /, **params: Any) -> str:
    """A word of ``planning/locale/poll.yaml``."""
    return catalogue("poll").text(key, lang, **params)


def log_words(entry: Mapping[str, Any], lang: str) -> str:
    """One organiser-log entry in words (``{"action", "detail"}`` as published)."""
    detail, action = dict(entry.get("detail") or {}), entry["action"]
    label = words("log_label", lang, label=detail["label"]) if detail.get("label") else ""
    if action == "codes":
        return words("log_codes_late" if detail.get("late") else "log_codes", lang, batch=detail.get("batch"),
                     count=detail.get("count"), label=label, reason=detail.get("reason", ""))
    if action == "create":
        return words("log_create", lang, title=detail.get("title", ""), n=len(detail.get("options", [])),
                     seal=chain.short(detail.get("seal")))
    if action in ("close", "publish"):
        return words(f"log_{action}", lang, ballots=detail.get("ballots", 0), head=chain.short(detail.get("chain_head")))
    if action == "setup":
        return words("log_setup", lang, via=words(f"via_{detail.get('via', 'cli')}", lang),
                     fingerprint=detail.get("fingerprint", ""))
    return words(f"log_{action}", lang, **detail)


# -- writing -------------------------------------------------------------------------------------

def build_archive(published: Mapping[str, Any], scenarios: Mapping[str, str]) -> bytes:
    """The ZIP of a published result: ``result.json``, the two offline pages and the sealed scenarios."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(RESULT_NAME, json.dumps(published, ensure_ascii=False, indent=2, sort_keys=True))
        for lang in LANGUAGES:
            archive.writestr(f"result-{lang}.html", result_html(published, lang))
        for key, text in sorted(scenarios.items()):
            archive.writestr(f"scenarios/{key}.yaml", text)
    return buffer.getvalue()


def result_html(published: Mapping[str, Any], lang: str) -> str:
    """A self-contained page of the published result in ``lang``; opens offline and fetches nothing."""
    e = html.escape
    w = lambda key, **params: e(words(key, lang, **params))  # noqa: E731
    name = option_namer(published["options"])
    tally = published["tally"]
    places = {key: place for place, group in enumerate(tally["ranking"], start=1) for key in group}
    count_rows = "".join(
        f"<tr><td>{places[k]}</td><td>{e(name(k))}</td><td class=n>{int(tally['totals'][k])}</td></tr>"
        for k in sorted(tally["options"], key=lambda k: (places[k], tally["options"].index(k))))
    receipts = bool(published["settings"]["publish_receipts"])
    values = {c["position"]: c["value"] for c in published["chain"]["entries"]}
    ballot_rows = "".join(
        (f"<tr><td class=n>{b['position']}</td><td class=mono>{e(b['receipt'])}</td>"
         f"<td>{e(ballot_words(b['ballot'], name, lang))}</td><td class=mono>{e(chain.short(values.get(b['position'])))}</td></tr>")
        if receipts else f"<tr><td>{e(ballot_words(b['ballot'], name, lang))}</td></tr>"
        for b in published["ballots"])
    ballot_head = (f"<tr><th>{w('html_col_position')}</th><th>{w('html_col_receipt')}</th><th>{w('html_col_ballot')}</th>"
                   f"<th>{w('html_col_chain')}</th></tr>") if receipts else f"<tr><th>{w('html_col_ballot')}</th></tr>"
    codes = published["codes"]
    batch_rows = "".join(
        f"<tr><td>{b['batch']}{e(words('log_label', lang, label=b['label'])) if b['label'] else ''}</td>"
        f"<td class=n>{b['issued']}</td><td class=n>{b['used']}</td>"
        f"<td>{w('html_yes') + '：' + e(b['reason']) if b['late'] else w('html_no')}</td></tr>"
        for b in codes["batches"])
    log_rows = "".join(f"<tr><td class=mono>{e(entry['at'])}</td><td>{e(log_words(entry, lang))}</td></tr>"
                       for entry in published.get("log", []))
    option_rows = "".join(f"<tr><td>{e(name(o['key']))}</td><td class=mono>{e(o['scenario_digest'])}</td></tr>"
                          for o in published["options"])
    comments = "".join(
        f"<li>{e(name(c['option']) if c['option'] else words('html_comment_all', lang))} · {e(c['date'])}："
        f"<span class=pre>{e(c['text'])}</span></li>" for c in published.get("comments") or [])
    signature = published.get("signature") or {}
    outcome = "".join(f"<p class=outcome>{e(line)}</p>" for line in published["outcome"][lang])
    return f"""<!doctype html>
<html lang="{w('html_lang')}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{w('html_heading')} · {e(published['title'])}</title>
<style>
body {{ font-family: sans-serif; font-size: 1.15rem; line-height: 1.6; max-width: 56rem; margin: 1rem auto; padding: 0 1rem; }}
h1 {{ font-size: 1.7rem; }} h2 {{ font-size: 1.35rem; margin-top: 2rem; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #999; padding: .3rem .5rem; text-align: left; }}
.n {{ text-align: right; }} .mono, .hash {{ font-family: monospace; }} .hash {{ word-break: break-all; }}
.outcome {{ font-size: 1.35rem; font-weight: bold; }} .pre {{ white-space: pre-wrap; }}
</style></head><body>
<h1>{w('html_heading')}</h1>
<p class=title>{e(published['title'])}</p>
<p>{w('html_poll', poll_id=published['poll_id'], method=words('method_' + published['method'], lang),
                  electorate=words('electorate_' + published['electorate'], lang))}</p>
<h2>{w('html_outcome')}</h2>{outcome}
<h2>{w('html_counts')}</h2>
<table><tr><th>{w('html_col_place')}</th><th>{w('html_col_option')}</th><th>{w('html_col_count_' + tally['method'])}</th></tr>
{count_rows}</table><p>{w('html_tie_note')}</p>
<h2>{w('html_ballots')}</h2><p>{w('html_ballots_receipts') if receipts else w('html_ballots_secret')}</p>
<table>{ballot_head}{ballot_rows}</table>
<h2>{w('html_codes')}</h2><p>{w('html_codes_line', issued=codes['issued'], used=codes['used'], ballots=len(published['ballots']))}</p>
<table><tr><th>{w('html_col_batch')}</th><th>{w('html_col_issued')}</th><th>{w('html_col_used')}</th><th>{w('html_col_late')}</th></tr>{batch_rows}</table>
<h2>{w('html_chain')}</h2>
<p>{w('html_chain_head', n=published['chain']['length'])}</p><p class=hash>{e(published['chain']['head'])}</p>
<p>{w('html_seal')}</p><p class=hash>{e(published['seal'])}</p>
<p>{w('html_digest')}</p><p class=hash>{e(published['ballots_digest'])}</p>
<h2>{w('html_scenarios')}</h2><table><tr><th>{w('html_col_option')}</th><th>{w('html_col_digest')}</th></tr>{option_rows}</table>
<h2>{w('html_signature')}</h2>
<p>{w('html_fingerprint')}</p><p class=hash>{e(signature.get('fingerprint', ''))}</p>
<p>{w('html_public_key')}</p><p class=hash>{e(signature.get('public_key', ''))}</p>
<h2>{w('html_log')}</h2><table><tr><th>{w('html_col_time')}</th><th>{w('html_col_action')}</th></tr>{log_rows}</table>
{f"<h2>{w('html_comments')}</h2><ul>{comments}</ul>" if published.get('comments') else ""}
<p>{w('html_verify')}</p>
</body></html>
"""


# -- checking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One check of :func:`verify_archive`: ``ok`` is None when it could not be made (see ``note``)."""

    name: str
    ok: bool | None
    note: str = ""


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_archive` found: every check, the key fingerprint and the recount."""

    checks: list[Check]
    fingerprint: str = ""
    recount: dict[str, Any] = field(default_factory=dict)
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def failed(self) -> list[str]:
        return [c.name for c in self.checks if c.ok is False]


def read_archive(source: str | Path | bytes) -> tuple[dict[str, Any], dict[str, str] | None]:
    """(published result, scenario YAML by option key) from a ZIP archive, or (result, None) from ``result.json``."""
    path = None if isinstance(source, bytes) else Path(source)
    try:
        data = source if isinstance(source, bytes) else path.read_bytes()
        if not zipfile.is_zipfile(io.BytesIO(data)):
            return _json(data), None
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {i.filename: i for i in archive.infolist()}
            if RESULT_NAME not in members:
                raise ValueError(f"no {RESULT_NAME} inside")
            if any(i.file_size > _MAX_MEMBER_BYTES for i in members.values()):
                raise ValueError("a member is too large")
            scenarios = {Path(n).stem: archive.read(n).decode("utf-8") for n in members
                         if n.startswith("scenarios/") and n.endswith(".yaml") and n.count("/") == 1}
            return _json(archive.read(RESULT_NAME)), scenarios
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise PlanningError("archive_unreadable", path=path or "<bytes>", reason=str(exc).splitlines()[0]) from None


def verify_archive(source: str | Path | bytes, expected_key: str | None = None) -> Verification:
    """Check a result archive without the database; every check is reported, none stops the others.

    ``expected_key`` is the organiser's public key (hex) or its fingerprint as printed on the
    slips' header sheet; when given, the archive's key must be that one.
    """
    published, scenarios = read_archive(source)
    if published.get("format") != "shenghuoquan-poll-result/2":
        return Verification([Check("format", False, str(published.get("format", "")))], published=published)
    results = {name: _guarded(globals()[f"_check_{name}"], published, scenarios, expected_key) for name in _CHECKS[1:]}
    recount = results["tally"][1] if isinstance(results["tally"], tuple) else {}
    checks = [Check("format", True)] + [
        (r[0] if isinstance(r, tuple) else r) for r in results.values()]
    signature = published.get("signature") or {}
    return Verification(checks, str(signature.get("fingerprint", "")), recount, published)


def _guarded(check, published, scenarios, expected_key):
    try:
        return check(published, scenarios, expected_key)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, yaml.YAMLError) as exc:
        name = check.__name__.removeprefix("_check_")
        return Check(name, False, f"{type(exc).__name__}: {exc}")


def _check_signature(published, _scenarios, _key) -> Check:
    from scenarios.voting.signing import fingerprint, signature_valid, signed_bytes

    signature = published.get("signature")
    if not signature:
        return Check("signature", False, "no signature")
    ok = signature_valid(signature["public_key"], signed_bytes(published), signature["value"])
    ok = ok and fingerprint(signature["public_key"]) == signature["fingerprint"]
    return Check("signature", ok)


def _check_key(published, _scenarios, expected_key) -> Check:
    from scenarios.voting.signing import fingerprint

    if not expected_key:
        return Check("key", None)
    public = published["signature"]["public_key"]
    given = "".join(expected_key.split()).lower()
    return Check("key", given in (public.lower(), "".join(fingerprint(public).split()).lower()))


def _check_seal(published, _scenarios, _key) -> Check:
    settings = published["settings"]
    same = (settings["title"] == published["title"] and settings["method"] == published["method"]
            and settings["poll_id"] == published["poll_id"] and settings["quorum"] == published["quorum"]
            and [(o["key"], o["title"], o["scenario_digest"]) for o in settings["options"]]
            == [(o["key"], o["title"], o["scenario_digest"]) for o in published["options"]])
    return Check("seal", same and chain.seal(settings) == published["seal"])


def _check_chain(published, _scenarios, _key) -> Check:
    block = published["chain"]
    checked = chain.check_chain(published["seal"], block["entries"])
    if not checked.ok:
        return Check("chain", False, str(checked.broken_at))
    ok = (block["genesis"] == chain.genesis(published["seal"]) and checked.head == block["head"]
          and checked.length == block["length"] == len(published["ballots"]))
    if published["settings"]["publish_receipts"]:
        commitments = {c["position"]: c["commitment"] for c in block["entries"]}
        positions = [b["position"] for b in published["ballots"]]
        ok = ok and sorted(positions) == list(range(1, len(positions) + 1)) and all(
            chain.commitment(b["ballot"], b["nonce"], b["receipt"]) == commitments.get(b["position"])
            for b in published["ballots"])
    return Check("chain", ok)


def _check_digest(published, _scenarios, _key) -> Check:
    return Check("digest", ballots_digest(published["ballots"]) == published["ballots_digest"])


def _check_tally(published, _scenarios, _key) -> tuple[Check, dict[str, Any]]:
    from scenarios.voting.tally import tally

    keys = [o["key"] for o in published["options"]]
    recount = tally(published["method"], keys, [b["ballot"] for b in published["ballots"]],
                    seed=published["ballots_digest"]).to_dict()
    recount = json.loads(json.dumps(recount))
    quorum = published["quorum"]
    quorum_ok = published["quorum_met"] == (None if quorum is None else len(published["ballots"]) >= quorum)
    return Check("tally", recount == published["tally"] and quorum_ok), recount


def _check_outcome(published, _scenarios, _key) -> Check:
    return Check("outcome", published_outcome(published["tally"], published["options"]) == published["outcome"])


def _check_codes(published, _scenarios, _key) -> Check:
    codes = published["codes"]
    ok = (codes["used"] == len(published["ballots"]) and sum(b["issued"] for b in codes["batches"]) == codes["issued"]
          and sum(b["used"] for b in codes["batches"]) == codes["used"] and codes["used"] <= codes["issued"])
    return Check("codes", ok)


def _check_scenarios(published, scenarios, _key) -> Check:
    from scenarios.scenario import Scenario

    if scenarios is None:
        return Check("scenarios", None, "json")
    for option in published["options"]:
        text = scenarios.get(option["key"])
        if text is None:
            return Check("scenarios", False, option["key"])
        scenario = Scenario.model_validate(yaml.safe_load(text))
        if not (scenario.digest == scenario.content_digest() == option["scenario_digest"]):
            return Check("scenarios", False, option["key"])
    return Check("scenarios", True)


def _json(data: bytes) -> dict[str, Any]:
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("not a result")
    return value

