"""``planning report``: a printable report (PDF, HTML) or its tables (Excel) for an area."""
from __future__ import annotations

import argparse
from pathlib import Path

from planning.cli.args import COUNT, SHARE
from planning.cli.common import Output, add_layer_args, add_walk_args, area_choice, area_from_args, print_notes
from planning.outputs.formats import MEETS_SHARE


def add_area_args(parser: argparse.ArgumentParser) -> None:
    """``--area`` or ``--network`` with the optional layers, ``--types``, ``--scenario`` and walking settings."""
    add_layer_args(parser)
    parser.add_argument("--scenario", type=Path, help="规划方案文件 / scenario file (scenarios/X.yaml)")
    add_walk_args(parser)
    parser.set_defaults(area_missing="report_area_missing")  # its hint shows the report command


def input_paths(args: argparse.Namespace) -> list[str | None]:
    """The files the command reads (an output must never be one of them)."""
    from planning.cli.common import input_files

    return [*input_files(args), str(args.scenario) if args.scenario else None, getattr(args, "db", None)]


def report_data(args: argparse.Namespace, poll: dict | None = None):
    """Coverage, clusters and walking areas for the command's arguments."""
    from planning.base.catalogue import load_catalogue, resolve_types
    from planning.outputs.reports import prepare_report_data
    from scenarios.scenario import load_scenario

    area, notes = area_from_args(args)
    print_notes(notes)
    types = resolve_types(args.types, load_catalogue())
    scenario = load_scenario(args.scenario) if args.scenario else None
    return prepare_report_data(area, types, tuple(args.minutes), args.speed_kmh, scenario, poll)


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("生成社区生活圈评估报告（PDF、HTML 或 Excel，按 --out 后缀）"
                     " / write a life-circle report (PDF, HTML or Excel, by the --out suffix)")
    add_area_args(p)
    p.add_argument("--poll", type=COUNT, help="附上已公示的投票结果 / include a published poll (id)")
    p.add_argument("--db", help="投票数据库 / voting database URL or SQLite path (with --poll)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="报告语言 / report language")
    p.add_argument("--share", type=SHARE, default=MEETS_SHARE,
                   help=f"达标所需覆盖比例 / share within the tier that counts as meeting it (default {MEETS_SHARE})")
    p.add_argument("--out", required=True, help="输出文件 .pdf/.html/.xlsx / output file")
    # set here, not in add_area_args: the poster shares those arguments but may take its area from --scenario
    p.set_defaults(handler=run, precheck=area_choice())


def run(args: argparse.Namespace) -> int:
    from planning.outputs.reports import report_format, write_report
    from scenarios.voting import VotingService

    report_format(args.out)  # refuse a bad suffix or output before the slow part
    out = Output(args.out, input_paths(args))
    poll = VotingService.connect(args.db).published_result(args.poll) if args.poll is not None else None
    data = report_data(args, poll)
    write_report(out.path, data, args.lang, args.share, out.inputs)
    print(out.written())
    return 0
