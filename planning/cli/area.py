"""``planning area add|list|show|remove``: named areas saved in the user folder.

``add`` copies the office's files into the area's folder, derives every layer they leave out
(as the demo does) and prints where each layer came from; every other command then takes
``--area NAME``.
"""
from __future__ import annotations

import argparse

from planning.cli.args import SHARE, number
from planning.cli.common import COORD_SYSTEMS, add_layer_choice_arg


def configure(area: argparse.ArgumentParser) -> None:
    """The ``area`` command's sub-commands."""
    sub = area.add_subparsers(dest="area_command", required=True, metavar="子命令/subcommand",
                              parser_class=type(area))
    add = sub.add_parser("add", help="新建区域 / create an area", description=(
        "用本单位的文件新建区域，缺少的图层按示例区域的规则推算 / create an area from the office's files;"
        " every layer they leave out is derived as for the demo areas"))
    add.add_argument("name", help="区域名称，如 燕园街道 / the area's name")
    source = add.add_mutually_exclusive_group()
    source.add_argument("--osm", help="OSM 数据 .osm.pbf / .osm（或 .graphml 路网）/ OSM extract (or a .graphml network)")
    source.add_argument("--place", help="按地名下载（需联网），如 北京市海淀区燕园街道 / download by place name (online)")
    add.add_argument("--boundaries", help="社区边界（面，含名称/代码）/ 社区 polygons (name, code)")
    add.add_argument("--population", help="社区人口表 .csv/.xlsx（社区、常住人口、60岁以上人口）/ residents per 社区 table")
    add.add_argument("--demand", help="居民点（含 population 列）/ resident points with population")
    add.add_argument("--facilities", help="本单位设施清单（类型、名称、经纬度）/ the office's facility list (type, name, lon/lat)")
    add.add_argument("--facility-type", help="整个设施文件的类型 / type of every facility in the file")
    add.add_argument("--candidates", help="候选用地（点）/ candidate sites (points)")
    add.add_argument("--coord-system", default="auto", choices=COORD_SYSTEMS,
                     help="表格坐标（auto：按列名识别高德/百度）/ coordinates of the tables (auto: from the column names)")
    add_layer_choice_arg(add)
    add.add_argument("--replace", action="store_true", help="替换同名区域 / replace an area of the same name")
    add.add_argument("--levels", type=number(1, 100), help="未标层数的住宅按几层计（默认 6）/ levels of housing without building:levels (default 6)")
    add.add_argument("--floor-m2", type=number(1, 500), help="人均住房面积 m²（默认 40）/ floor area per person in m² (default 40)")
    add.add_argument("--elderly-share", type=SHARE, help="60 岁以上占比（表中没有时，默认 0.19）/ share aged 60+ where not given (default 0.19)")
    add.add_argument("--community-population", type=number(100, 1_000_000),
                     help="推算社区的目标人口（没有社区边界时，默认 5000）/ target residents of a derived community (default 5000)")
    add.set_defaults(handler=_add)
    sub.add_parser("list", help="列出区域 / list the areas").set_defaults(handler=_list)
    show = sub.add_parser("show", help="查看区域 / describe an area")
    show.add_argument("name", help="区域名称 / the area's name")
    show.set_defaults(handler=_show)
    remove = sub.add_parser("remove", help="删除已保存的区域 / delete a saved area")
    remove.add_argument("name", help="区域名称 / the area's name")
    remove.set_defaults(handler=_remove)


def _add(args: argparse.Namespace) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from planning.areas.build import AreaInputs
    from planning.areas.store import check_name, save_area
    from planning.base.errors import PlanningError
    from planning.base.paths import areas_dir
    from planning.base.text import catalogue
    from planning.cli.common import chosen_layers, print_notes

    words = catalogue("cli")
    name = check_name(args.name)  # a bad name is refused before any download or derivation
    if (areas_dir() / name).exists() and not args.replace:
        raise PlanningError("area_exists", name=name)
    files = {role: getattr(args, role) for role in ("boundaries", "population", "demand", "facilities", "candidates")}
    download = None
    try:
        if args.place:
            from planning.areas.place import download_place

            print(words.both("area_downloading", place=args.place))
            download = Path(tempfile.mkdtemp(prefix="planning-place-"))
            source, _ = download_place(args.place, download)
        elif args.osm:
            source = Path(args.osm)
        else:
            raise PlanningError("area_source_missing")
        layers = chosen_layers(args.layer, files)
        inputs = AreaInputs(source=source, coord_system=args.coord_system, facility_type=args.facility_type,
                            **{role: Path(path) if path else None for role, path in files.items()},
                            **{f"{role}_layer": layer for role, layer in layers.items()})
        settings = {"default_levels": args.levels, "floor_m2_per_person": args.floor_m2,
                    "elderly_share": args.elderly_share, "community_population": args.community_population}
        area = save_area(name, inputs, settings, replace_existing=args.replace, place=args.place)
    finally:
        if download is not None:
            shutil.rmtree(download, ignore_errors=True)
    print(words.both("area_saved", name=name, path=areas_dir() / name))
    print_origins(area.origins)
    print_notes(area.notes)
    print_summary(_summary(area))
    return 0


def _summary(area) -> dict:
    from planning.areas.store import summary

    return summary(area)


def print_origins(origins) -> None:
    """One line per layer: where it came from and by which rule."""
    from planning.base.text import catalogue

    words = catalogue("cli")
    for layer, origin in origins.items():
        where = words.both(f"origin_{origin.kind}", file=origin.file)
        print(f"  {words.both(f'layer_{layer}')}: {where}")
        if any(origin.rule):
            print(f"      {origin.rule[0]}")
            print(f"      {origin.rule[1]}")


def print_summary(summary: dict) -> None:
    from planning.base.catalogue import load_catalogue
    from planning.base.formatting import count_text
    from planning.base.text import catalogue

    words, types = catalogue("cli"), load_catalogue()
    print(words.both("area_summary", residents=count_text(summary["residents"]),
                     elderly=count_text(summary.get("residents_60plus")), communities=summary["communities"],
                     candidates=summary["candidates"]))
    facilities = summary.get("facilities", {})
    items_zh = "、".join(f"{types[k].name_zh} {n}" for k, n in facilities.items() if k in types) or "—"
    items_en = ", ".join(f"{types[k].name_en} {n}" for k, n in facilities.items() if k in types) or "—"
    print(f"{words.text('area_facilities', 'zh', items=items_zh)} / {words.text('area_facilities', 'en', items=items_en)}")


def _list(args: argparse.Namespace) -> int:
    from planning.areas.build import demo_areas
    from planning.areas.store import manifest, saved_names
    from planning.base.errors import PlanningError
    from planning.base.formatting import count_text
    from planning.base.text import catalogue

    words = catalogue("cli")
    names = saved_names()
    print(words.both("area_list_saved"))
    if not names:
        print("  " + words.both("area_list_empty"))
    for name in names:
        try:
            record = manifest(name)
        except PlanningError as err:  # one damaged area is said on its line; the others are still listed
            print(f"  {name}  {err.one_line()}")
            continue
        summary = record.get("summary", {})
        print(f"  {name}  " + words.both("area_list_line", residents=count_text(summary.get("residents")),
                                          communities=summary.get("communities", "—"), created=record.get("created", "")))
    print(words.both("area_list_demos"))
    for key, spec in demo_areas().items():
        print(f"  {key}  {spec['name_zh']} / {spec['name_en']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from planning.areas.build import demo_areas
    from planning.areas.store import load_area, manifest, origins_of, saved_names
    from planning.base.paths import areas_dir
    from planning.base.text import catalogue
    from planning.cli.common import print_notes

    words = catalogue("cli")
    if args.name in demo_areas() and args.name not in saved_names():
        area = load_area(args.name)
        print(f"{area.name_zh} / {area.name_en} ({words.both('area_list_demos')})")
        print_origins(area.origins)
        print_summary(_summary(area))
        return 0
    record = manifest(args.name)
    print(words.both("area_show_head", name=record["name"], path=areas_dir() / record["name"],
                     created=record.get("created", "")))
    if record.get("place"):
        print(words.both("area_show_place", place=record["place"]))
    for role, original in record.get("originals", {}).items():
        print(f"  {words.both(f'role_{role}')} — {words.both('area_show_file')}: {original}")
    print_origins(origins_of(record))
    print_notes([tuple(n) for n in record.get("notes", [])])
    print_summary(record.get("summary", {}))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from planning.areas.store import remove_area
    from planning.base.text import catalogue

    folder = remove_area(args.name)
    print(catalogue("cli").both("area_removed", name=args.name, path=folder))
    return 0
