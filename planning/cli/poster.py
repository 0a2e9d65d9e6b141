"""``planning poster``: the one-page 公示 poster of a plan (一表一图), A3 or A2 PDF."""
from __future__ import annotations

import argparse
from pathlib import Path

from planning.base.errors import PlanningError
from planning.cli.args import COUNT
from planning.cli.common import area_from_args
from planning.cli.report import add_area_args


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("生成规划方案公示海报（一表一图：规划图、任务清单、受益居民、投票二维码或结果）"
                     " / write the plan's public-notice poster (map, task table, who gains, vote QR code or result)")
    add_area_args(p)
    p.add_argument("--poll", type=COUNT, help="投票编号：投票中印二维码，公示后印结果 / poll id: QR code while open, "
                                              "result once published")
    p.add_argument("--db", help="投票数据库 / voting database URL or SQLite path (with --poll)")
    p.add_argument("--base-url", default="http://localhost:8501",
                   help="投票网页地址（二维码指向 <base-url>/vote?poll=ID）/ voting site address for the QR code")
    p.add_argument("--dates", default="", help="投票时间，原样印出 / voting dates, printed as given "
                                               "(例如 “6 月 1 日至 6 月 15 日”)")
    p.add_argument("--size", default="A3", choices=["A3", "A2"], help="纸张 / paper size (default A3)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="语言 / language")
    p.add_argument("--out", required=True, help="输出 PDF / output PDF file")
    p.set_defaults(handler=run)


def _area(args: argparse.Namespace, scenario):
    """The area named on the command line, else the demo area the scenario was planned on."""
    from planning.areas.store import load_area

    if args.area or args.network:
        return area_from_args(args)[0]
    named = next((s.path.split(":", 1)[1] for s in scenario.data_sources if s.path.startswith(("demo:", "area:"))), None)
    if named is None:
        raise PlanningError("poster_area_missing")
    return load_area(named)  # a demo key or a saved area's name


def _poll(args: argparse.Namespace, scenario):
    from planning.outputs.poster import poster_poll
    from scenarios.voting import VotingService

    if args.poll is None:
        return None
    return poster_poll(VotingService.connect(args.db), args.poll, scenario, args.base_url, args.dates)


def run(args: argparse.Namespace) -> int:
    from planning.io.write import write_bytes
    from planning.outputs.poster import render_poster
    from scenarios.scenario import load_scenario

    if args.scenario is None:
        raise PlanningError("poster_scenario_missing")
    if Path(args.out).suffix.lower() != ".pdf":
        raise PlanningError("report_format_unknown", path=args.out, known=".pdf")
    scenario = load_scenario(args.scenario)
    poll = _poll(args, scenario)
    payload = render_poster(_area(args, scenario), scenario, size=args.size, lang=args.lang, poll=poll)
    path = write_bytes(args.out, payload, inputs=[args.scenario, args.network, args.facilities, args.demand,
                                                  args.boundaries])
    print(f"已写入 / written: {path}")
    return 0
