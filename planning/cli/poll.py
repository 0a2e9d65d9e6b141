"""``planning poll …``: run a resident vote from the command line, without the UI.

Organiser sub-commands read the secret from ``PLANNING_ORGANISER_SECRET``; ``vote``
enters a paper ballot with its code. The database is ``--db`` or ``DATABASE_URL`` /
``PLANNING_DB`` (default ``planning.sqlite`` in the user folder, see ``planning info``).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from planning.base.errors import PlanningError
from planning.cli.args import COUNT, number
from planning.io.write import check_output_path, write_text
from scenarios.voting.organiser import secret_from_env
from scenarios.voting.outcome import irv_lines, outcome_lines
from scenarios.voting.service import ELECTORATES, STATE_ZH, PollResult, VotingService
from scenarios.voting.tally import METHODS


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

    add("setup", "设置组织者口令 / store the organiser secret (from PLANNING_ORGANISER_SECRET)", _setup, needs_poll=False)
    create = add("create", "创建投票 / create a poll", _create, needs_poll=False)
    create.add_argument("--title", required=True, help="投票标题 / poll title")
    create.add_argument("--method", required=True, choices=METHODS, help="计票方式 / voting method")
    create.add_argument("--scenario", action="append", required=True, type=Path,
                        help="方案文件，可重复 / scenario file, repeat for each option")
    create.add_argument("--electorate", default="residents", choices=list(ELECTORATES),
                        help="投票人：全体居民或居民代表 / who votes: residents or representatives")
    create.add_argument("--quorum", type=COUNT, help="法定最少票数 / minimum number of ballots")
    codes = add("codes", "生成选票码并打印选票条 / generate ballot codes and print slips", _codes)
    codes.add_argument("-n", "--count", type=number(1, 100_000, integer=True), required=True, help="选票码数量 / number of codes")
    codes.add_argument("--pdf", type=Path, required=True, help="选票条 PDF 路径 / slips PDF path")
    codes.add_argument("--base-url", default=os.environ.get("PLANNING_BASE_URL", "http://localhost:8501"),
                       help="投票网页地址 / voting site base URL")
    codes.add_argument("--codes-file", type=Path, help="另存明文选票码（慎用）/ also write the codes as text (handle with care)")
    add("hearing", "开始听证（民情恳谈）/ start the hearing", _transition("start_hearing"))
    comment = add("comment", "提交听证意见 / leave a hearing comment", _comment)
    comment.add_argument("--text", required=True, help="意见内容 / comment")
    comment.add_argument("--option", help="针对的方案（如 A）/ option the comment is about")
    add("open", "开始投票 / open voting", _transition("open_voting"))
    vote = add("vote", "录入纸质选票 / enter a paper ballot", _vote)
    vote.add_argument("--code", required=True, help="选票码 / ballot code")
    choice = vote.add_mutually_exclusive_group(required=True)
    choice.add_argument("--rank", help="排序，如 B,A,C / ranking, e.g. B,A,C")
    choice.add_argument("--approve", help="认可的方案，如 A,C / approved options, e.g. A,C")
    choice.add_argument("--score", help="评分，如 A=5,B=3 / scores, e.g. A=5,B=3")
    add("close", "结束投票 / close voting", _transition("close"))
    publish = add("publish", "公示结果 / publish the result", _publish)
    publish.add_argument("--json", type=Path, help="结果写入 JSON 文件 / write the result as JSON")
    tally = add("tally", "计票 / count the votes", _tally)
    tally.add_argument("--json", type=Path, help="结果写入 JSON 文件 / write the result as JSON")
    add("evaluate", "开始成效评议 / start the evaluation", _transition("start_evaluation"))
    rate = add("rate", "成效评议打分 / rate the built facility", _rate)
    rate.add_argument("--stars", type=number(1, 5, integer=True), required=True, help="1–5 分 / 1–5 stars")
    rate.add_argument("--comment", default="", help="评价 / comment")


def _service(args: argparse.Namespace) -> VotingService:
    return VotingService.connect(args.db)


def _setup(args: argparse.Namespace) -> int:
    _service(args).setup_organiser(secret_from_env())
    print("组织者口令已设置 / organiser secret stored")
    return 0


def _create(args: argparse.Namespace) -> int:
    poll_id = _service(args).create_poll(
        secret_from_env(), args.title, args.scenario, args.method, args.electorate, args.quorum
    )
    print(poll_id)
    return 0


def _codes(args: argparse.Namespace) -> int:
    from scenarios.voting.slips import write_slips

    check_output_path(args.pdf)  # refuse a folder before codes are issued
    if args.codes_file:
        check_output_path(args.codes_file)
    svc = _service(args)
    issued = svc.generate_codes(secret_from_env(), args.poll, args.count)
    write_slips(args.pdf, args.poll, svc.poll(args.poll).title, issued, args.base_url)
    if args.codes_file:
        write_text(args.codes_file, "\n".join(issued) + "\n")
    print(f"已生成 {len(issued)} 个选票码 / {len(issued)} codes written to {args.pdf}")
    return 0


def _transition(method_name: str) -> Any:
    def handler(args: argparse.Namespace) -> int:
        svc = _service(args)
        getattr(svc, method_name)(secret_from_env(), args.poll)
        state = svc.poll(args.poll).state
        print(f"投票 {args.poll}：{STATE_ZH[state]} / poll {args.poll}: {state}")
        return 0

    return handler


def _comment(args: argparse.Namespace) -> int:
    _service(args).add_comment(args.poll, args.text, args.option)
    print("意见已记录 / comment stored")
    return 0


def _vote(args: argparse.Namespace) -> int:
    receipt = _service(args).cast_ballot(args.poll, args.code, _paper_ballot(args))
    print(f"回执 / receipt: {receipt}")
    return 0


def _rate(args: argparse.Namespace) -> int:
    _service(args).rate(args.poll, args.stars, args.comment)
    print("评价已记录 / rating stored")
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
    result = _service(args).publish(secret_from_env(), args.poll)
    _print_tally(result)
    print(f"选票摘要 / ballots sha256: {result.ballots_digest}")
    _write_json(args.json, result.to_dict())
    return 0


def _tally(args: argparse.Namespace) -> int:
    result = _service(args).result(args.poll)
    _print_tally(result)
    _write_json(args.json, result.to_dict())
    return 0


def _print_tally(result: PollResult) -> None:
    """The count: ballots, quorum, the outcome (a tie is never called a win), ranking, pairwise and IRV."""
    counted, titles = result.tally, {o.key: o.title for o in result.poll.options}

    def name(key: str) -> str:
        return f"{key} {titles[key]}"

    print(f"有效票 / ballots: {counted.ballots}")
    if result.quorum_met is not None:
        print(f"法定人数 / quorum: {'达到 / met' if result.quorum_met else '未达到 / not met'}")
    published = counted.to_dict()
    _print_both(outcome_lines(published, "zh", name), outcome_lines(published, "en", name))
    print("排名 / ranking:")
    for place, group in enumerate(counted.ranking, start=1):
        print(f"  {place}. {' = '.join(f'{name(k)} ({counted.totals[k]:g})' for k in group)}")
    if counted.pairwise is not None and counted.irv is not None:
        print("两两比较（行优于列的票数）/ pairwise (voters preferring row to column):")
        print(counted.pairwise.to_string())
    _print_both(irv_lines(published, "zh", name), irv_lines(published, "en", name))


def _print_both(zh: list[str], en: list[str]) -> None:
    for line_zh, line_en in zip(zh, en, strict=True):
        print(f"{line_zh} / {line_en}")


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is not None:
        write_text(path, json.dumps(payload, ensure_ascii=False, indent=2))
        print(f"已写入 / written: {path}")
