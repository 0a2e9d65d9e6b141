"""``planning poll …``: run a resident vote from the command line, without the UI.

Organiser sub-commands read the secret from ``PLANNING_ORGANISER_SECRET`` (or ask for it when
run in a terminal); ``setup`` stores it once, ``setup --rotate`` changes it (the new one from
``PLANNING_ORGANISER_NEW_SECRET`` or asked twice). ``vote`` enters a paper ballot with its code.
``verify`` checks a published result archive without any database. The database is ``--db`` or
``DATABASE_URL`` / ``PLANNING_DB`` (default ``planning.sqlite`` in the user folder, see
``planning info``).

Only the standard library and light modules are imported here: the voting service (SQLAlchemy),
the counting (pandas) and the slips (ReportLab) load inside the command that needs them, so
``planning poll vote --help`` answers at once and a paper ballot is entered quickly.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from planning.base.errors import PlanningError
from planning.base.text import catalogue
from planning.cli.args import COUNT, number
from scenarios.voting.rules import ELECTORATES, METHODS, STATE_ZH

SECRET_ENV = "PLANNING_ORGANISER_SECRET"
NEW_SECRET_ENV = "PLANNING_ORGANISER_NEW_SECRET"


def configure(poll: argparse.ArgumentParser) -> None:
    """The ``poll`` command's sub-commands."""
    poll.add_argument("--db", help="数据库 URL 或 SQLite 路径 / database URL or SQLite path")
    sub = poll.add_subparsers(dest="poll_command", required=True, metavar="子命令/subcommand",
                              parser_class=type(poll))

    def add(name: str, help_text: str, handler: Any, needs_poll: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        if needs_poll:
            parser.add_argument("--poll", type=COUNT, required=True, help="投票编号 / poll id")
        parser.set_defaults(handler=handler)
        return parser

    setup = add("setup", "设置或更换组织者口令 / store or change the organiser secret", _setup, needs_poll=False)
    setup.add_argument("--rotate", action="store_true",
                       help="更换口令（旧口令取自 PLANNING_ORGANISER_SECRET，新口令取自 PLANNING_ORGANISER_NEW_SECRET 或现场输入）"
                            " / change the secret (old from PLANNING_ORGANISER_SECRET, new from"
                            " PLANNING_ORGANISER_NEW_SECRET or typed)")
    create = add("create", "创建投票 / create a poll", _create, needs_poll=False)
    create.add_argument("--title", required=True, help="投票标题 / poll title")
    create.add_argument("--method", required=True, choices=METHODS, help="计票方式 / voting method")
    create.add_argument("--scenario", action="append", required=True, type=Path,
                        help="方案文件，可重复；给了 --area 时也可写已保存方案的名称 / scenario file, repeat for each "
                             "option; with --area also a saved scenario's name")
    create.add_argument("--area", help="区域名称：方案须属于该区域 / area name: every scenario must be a plan of it")
    create.add_argument("--electorate", default="residents", choices=list(ELECTORATES),
                        help="投票人：全体居民或居民代表 / who votes: residents or representatives")
    create.add_argument("--quorum", type=COUNT, help="法定最少票数 / minimum number of ballots")
    create.add_argument("--base-url", help="二维码中的投票网址（默认沿用上次的设定）/ voting address in the QR codes"
                                           " (default: the one set last time)")
    create.add_argument("--no-receipts", action="store_true",
                        help="不公示回执：选票不与回执并列，无人能证明自己投了什么 / publish ballots without receipts,"
                             " so no one can prove how they voted")
    create.add_argument("--publish-comments", action="store_true", help="随结果公示听证意见 / publish hearing comments")
    codes = add("codes", "生成一批选票码并打印选票条 / issue a batch of ballot codes and print slips", _codes)
    codes.add_argument("-n", "--count", type=number(1, 100_000, integer=True), required=True, help="选票码数量 / number of codes")
    codes.add_argument("--pdf", type=Path, required=True, help="选票条 PDF 路径 / slips PDF path")
    codes.add_argument("--batch-label", default="", help="批次名称，如“1号桌” / batch label, e.g. booth 1")
    codes.add_argument("--late-reason", help="投票开始后补发的原因（随结果公示）/ why a batch is issued after voting opened (published)")
    codes.add_argument("--base-url", help="更改本投票二维码中的网址 / change the poll's voting address for the QR codes")
    codes.add_argument("--codes-file", type=Path, help="另存明文选票码（慎用）/ also write the codes as text (handle with care)")
    add("hearing", "开始听证（民情恳谈）/ start the hearing", _transition("start_hearing"))
    comment = add("comment", "提交听证意见 / leave a hearing comment", _comment)
    comment.add_argument("--text", required=True, help="意见内容 / comment")
    comment.add_argument("--option", help="针对的方案（如 A）/ option the comment is about")
    add("comments", "查看听证意见（组织者）/ list the hearing comments (organiser)", _comments)
    add("open", "开始投票 / open voting", _transition("open_voting"))
    vote = add("vote", "录入纸质选票 / enter a paper ballot", _vote)
    vote.add_argument("--code", required=True, help="选票码 / ballot code")
    choice = vote.add_mutually_exclusive_group(required=True)
    choice.add_argument("--rank", help="排序，如 B,A,C / ranking, e.g. B,A,C")
    choice.add_argument("--approve", help="认可的方案，如 A,C / approved options, e.g. A,C")
    choice.add_argument("--score", help="评分，如 A=5,B=3 / scores, e.g. A=5,B=3")
    add("status", "投票进度：已用/已发选票码、各批次、选票链头 / turnout, batches and chain head", _status)
    add("close", "结束投票并打印选票链头 / close voting and print the chain head", _close)
    publish = add("publish", "公示结果（签名）/ publish the signed result", _publish)
    publish.add_argument("--json", type=Path, help="结果写入 JSON 文件 / write the result as JSON")
    publish.add_argument("--archive", type=Path, help="结果存档 .zip（JSON + 离线网页 + 方案）/ result archive .zip")
    tally = add("tally", "核对选票链并计票 / check the ballot chain and count the votes", _tally)
    tally.add_argument("--json", type=Path, help="结果写入 JSON 文件 / write the result as JSON")
    archive = add("archive", "下载已公示结果的存档 / write the published result's archive", _archive)
    archive.add_argument("--out", type=Path, required=True, help="存档 .zip 路径 / archive .zip path")
    verify = add("verify", "不用数据库核对结果存档 / check a result archive without the database", _verify, needs_poll=False)
    verify.add_argument("archive", type=Path, help="结果存档 .zip 或 result.json / result archive .zip or result.json")
    verify.add_argument("--public-key", help="选票条首页印的公钥或指纹 / public key or fingerprint from the slips' header sheet")
    add("log", "组织者操作记录 / the organiser's log", _log)
    add("evaluate", "开始成效评议 / start the evaluation", _transition("start_evaluation"))
    rate = add("rate", "成效评议打分 / rate the built facility", _rate)
    rate.add_argument("--stars", type=number(1, 5, integer=True), required=True, help="1–5 分 / 1–5 stars")
    rate.add_argument("--comment", default="", help="评价 / comment")


def _words(key: str, **params: Any) -> str:
    return catalogue("poll").both(key, **params)


def _service(args: argparse.Namespace):
    from scenarios.voting.service import VotingService

    return VotingService.connect(args.db)


def _organiser_secret(prompt: str = "cli_prompt_secret") -> str:
    """The organiser secret from ``PLANNING_ORGANISER_SECRET``, or typed when in a terminal."""
    secret = os.environ.get(SECRET_ENV, "")
    if not secret and sys.stdin.isatty():
        import getpass

        secret = getpass.getpass(catalogue("poll").text(prompt, "zh"))
    if not secret:
        raise PlanningError("organiser_secret_missing")
    return secret


def _new_secret(env: str) -> str:
    """A new secret from ``env``, or typed twice in a terminal."""
    secret = os.environ.get(env, "")
    if secret or not sys.stdin.isatty():
        if not secret:
            raise PlanningError("organiser_secret_missing")
        return secret
    import getpass

    first = getpass.getpass(catalogue("poll").text("cli_prompt_new", "zh"))
    if getpass.getpass(catalogue("poll").text("cli_prompt_again", "zh")) != first:
        raise PlanningError("organiser_secrets_differ")
    return first


def _setup(args: argparse.Namespace) -> int:
    svc = _service(args)
    if args.rotate:
        fingerprint = svc.rotate_secret(_organiser_secret("cli_prompt_old"), _new_secret(NEW_SECRET_ENV))
        print(_words("cli_rotated", fingerprint=fingerprint))
    else:
        print(_words("cli_setup_done", fingerprint=svc.setup_organiser(_new_secret(SECRET_ENV))))
    return 0


def _create(args: argparse.Namespace) -> int:
    scenarios = args.scenario
    if args.area:
        from planning.areas.store import area_title
        from scenarios.scenario import scenarios_of_area

        scenarios = scenarios_of_area(area_title(args.area), [str(s) for s in args.scenario])
    poll_id = _service(args).create_poll(
        _organiser_secret(), args.title, scenarios, args.method, args.electorate, args.quorum,
        publish_receipts=not args.no_receipts, publish_comments=args.publish_comments, base_url=args.base_url,
    )
    print(poll_id)
    return 0


def _codes(args: argparse.Namespace) -> int:
    from planning.io.write import check_output_path, write_text
    from scenarios.voting.links import DEFAULT_PORT, lan_base_url
    from scenarios.voting.slips import DEFAULT_BASE_URL, write_slips

    check_output_path(args.pdf, suffixes=(".pdf",))  # refuse a folder or another format before codes are issued
    if args.codes_file:
        check_output_path(args.codes_file)
    svc = _service(args)
    secret = _organiser_secret()
    if args.base_url:
        svc.set_base_url(secret, args.poll, args.base_url)
    issued = svc.generate_codes(secret, args.poll, args.count, args.batch_label, args.late_reason)
    info = svc.poll(args.poll)
    base_url = info.base_url or lan_base_url(DEFAULT_PORT) or DEFAULT_BASE_URL
    write_slips(args.pdf, args.poll, info.title, issued, base_url,
                options=[(o.key, o.title, o.scenario_digest) for o in info.options],
                public_key=svc.organiser_public_key(), batch=info.batches[-1].batch, label=args.batch_label)
    if args.codes_file:
        write_text(args.codes_file, "\n".join(issued) + "\n", inputs=[args.pdf])
    print(_words("cli_codes_written", batch=info.batches[-1].batch, count=len(issued), path=args.pdf))
    return 0


def _transition(method_name: str) -> Any:
    def handler(args: argparse.Namespace) -> int:
        svc = _service(args)
        getattr(svc, method_name)(_organiser_secret(), args.poll)
        _print_state(svc.poll(args.poll))
        return 0

    return handler


def _print_state(info) -> None:
    print(f"{catalogue('poll').text('cli_state', 'zh', poll_id=info.id, state=STATE_ZH[info.state])} / "
          f"{catalogue('poll').text('cli_state', 'en', poll_id=info.id, state=info.state)}")


def _status(args: argparse.Namespace) -> int:
    from scenarios.voting.chain import short

    info = _service(args).poll(args.poll)
    _print_state(info)
    print(_words("cli_turnout", used=info.codes_used, issued=info.codes_issued))
    words = catalogue("poll")
    for b in info.batches:
        label = {lang: words.text("log_label", lang, label=b.label) if b.label else "" for lang in ("zh", "en")}
        late = {lang: words.text("cli_batch_late", lang, reason=b.reason) if b.late else "" for lang in ("zh", "en")}
        print(" / ".join(words.text("cli_batch", lang, batch=b.batch, label=label[lang], issued=b.issued, used=b.used,
                                    late=late[lang]) for lang in ("zh", "en")))
    print(_words("cli_chain_head", n=info.chain_length, head=info.chain_head))
    print(_words("cli_chain_head_read", short=short(info.chain_head, 16)))
    return 0


def _close(args: argparse.Namespace) -> int:
    from scenarios.voting.chain import short

    info = _service(args).close(_organiser_secret(), args.poll)
    _print_state(info)
    print(_words("cli_turnout", used=info.codes_used, issued=info.codes_issued))
    print(_words("cli_chain_head", n=info.chain_length, head=info.chain_head))
    print(_words("cli_chain_head_read", short=short(info.chain_head, 16)))
    return 0


def _comment(args: argparse.Namespace) -> int:
    _service(args).add_comment(args.poll, args.text, args.option)
    print(_words("cli_comment_stored"))
    return 0


def _comments(args: argparse.Namespace) -> int:
    svc = _service(args)
    svc.check_organiser(_organiser_secret())
    rows = svc.comments(args.poll)
    if not rows:
        print(_words("cli_no_comments"))
    for row in rows:
        print(_words("cli_comment_line", at=row["created_at"], option=row["option_key"] or "—", text=row["text"]))
    return 0


def _log(args: argparse.Namespace) -> int:
    from scenarios.voting.archive import log_words

    for entry in _service(args).organiser_log(args.poll):
        print(f"[{entry['at']}] {log_words(entry, 'zh')} / {log_words(entry, 'en')}")
    return 0


def _vote(args: argparse.Namespace) -> int:
    receipt = _service(args).cast_ballot(args.poll, args.code, _paper_ballot(args))
    print(_words("cli_receipt", position=receipt.position, value=receipt.chain_value))
    if receipt.published:
        print(_words("cli_receipt_code", receipt=receipt.receipt))
    return 0


def _rate(args: argparse.Namespace) -> int:
    _service(args).rate(args.poll, args.stars, args.comment)
    print(_words("cli_rating_stored"))
    return 0


def _paper_ballot(args: argparse.Namespace) -> dict[str, Any]:
    if args.rank is not None:
        return {"ranking": _keys(args.rank)}
    if args.approve is not None:
        return {"approve": _keys(args.approve)}
    scores: dict[str, int] = {}
    for part in _keys(args.score):
        key, _, value = part.partition("=")
        if not value.strip().isdigit():
            raise PlanningError("cli_bad_ballot", text=args.score)
        scores[key.strip().upper()] = int(value)
    return {"scores": scores}


def _keys(text: str) -> list[str]:
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def _publish(args: argparse.Namespace) -> int:
    from planning.io.write import check_output_path, write_bytes

    for path, suffix in ((args.json, ".json"), (args.archive, ".zip")):
        if path is not None:
            check_output_path(path, suffixes=(suffix,))
    svc = _service(args)
    result = svc.publish(_organiser_secret(), args.poll)
    _print_tally(result)
    print(_words("cli_digest", digest=result.ballots_digest))
    published = svc.published_result(args.poll)
    print(_words("cli_chain_head", n=published["chain"]["length"], head=published["chain"]["head"]))
    _write_json(args.json, published)
    if args.archive is not None:
        write_bytes(args.archive, svc.archive(args.poll))
        print(_words("cli_written", path=args.archive))
    return 0


def _tally(args: argparse.Namespace) -> int:
    from planning.io.write import check_output_path

    if args.json is not None:
        check_output_path(args.json, suffixes=(".json",))
    result = _service(args).result(args.poll)
    _print_tally(result)
    print(_words("cli_chain_head", n=len(result.entries), head=result.entries[-1]["value"] if result.entries else ""))
    _write_json(args.json, result.to_dict())
    return 0


def _archive(args: argparse.Namespace) -> int:
    from planning.io.write import check_output_path, write_bytes

    check_output_path(args.out, suffixes=(".zip",))
    write_bytes(args.out, _service(args).archive(args.poll))
    print(_words("cli_written", path=args.out))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from scenarios.voting.archive import verify_archive

    found = verify_archive(args.archive, args.public_key)
    words = catalogue("poll")
    for check in found.checks:
        state = {True: "check_ok", False: "check_failed", None: "check_skipped"}[check.ok]
        note = f" ({check.note})" if check.note else ""
        print(f"{words.both('check_' + check.name)}: {words.both(state)}{note}")
    if found.fingerprint:
        print(_words("verify_fingerprint", fingerprint=found.fingerprint))
    if found.recount:
        counts = ", ".join(f"{k}={v}" for k, v in found.recount["totals"].items())
        print(_words("verify_recount", counts=counts))
    if any(c.name == "scenarios" and c.ok is None for c in found.checks):
        print(_words("verify_no_scenarios"))
    if not found.ok:
        failed = "、".join(words.text("check_" + name, "zh") for name in found.failed())
        failed_en = ", ".join(words.text("check_" + name, "en") for name in found.failed())
        raise PlanningError("archive_not_verified", failed=f"{failed} / {failed_en}")
    print(_words("verify_passed"))
    return 0


def _print_tally(result) -> None:
    """The count: ballots, quorum, the outcome (a tie is never called a win), ranking, pairwise and IRV."""
    from scenarios.voting.outcome import irv_lines, option_namer, outcome_lines

    counted = result.tally
    name = option_namer([vars(o) for o in result.poll.options])
    print(_words("cli_ballots", n=counted.ballots))
    if result.quorum_met is not None:
        print(_words("cli_quorum_met" if result.quorum_met else "cli_quorum_not_met"))
    published = counted.to_dict()
    _print_both(outcome_lines(published, "zh", name), outcome_lines(published, "en", name))
    print(_words("cli_ranking"))
    for place, group in enumerate(counted.ranking, start=1):
        print(f"  {place}. {' = '.join(f'{name(k)} ({counted.totals[k]})' for k in group)}")
    if counted.pairwise is not None and counted.irv is not None:
        print(_words("cli_pairwise"))
        print(counted.pairwise.to_string())
    _print_both(irv_lines(published, "zh", name), irv_lines(published, "en", name))


def _print_both(zh: list[str], en: list[str]) -> None:
    for line_zh, line_en in zip(zh, en, strict=True):
        print(f"{line_zh} / {line_en}")


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is not None:
        import json

        from planning.io.write import write_text

        write_text(path, json.dumps(payload, ensure_ascii=False, indent=2))
        print(_words("cli_written", path=path))
