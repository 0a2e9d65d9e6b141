"""Arguments and printing shared by the CLI commands (standard library only at import)."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from planning.base.walking import DEFAULT_SPEED_KMH, ELDERLY_SPEED_KMH, TIERS_MINUTES
from planning.cli.args import SPEED_KMH, minutes_list, unique_list

COORD_SYSTEMS = ("auto", "wgs84", "cgcs2000", "gcj02", "bd09")
LAYER_ROLES = ("boundaries", "population", "demand", "facilities", "candidates")


def add_walk_args(parser: argparse.ArgumentParser, tiers: bool = True) -> None:
    """``--speed-kmh``, ``--coord-system`` and (optionally) ``--minutes``."""
    parser.add_argument("--speed-kmh", type=SPEED_KMH, default=DEFAULT_SPEED_KMH,
                        help=f"步行速度 km/h / walking speed in km/h (default {DEFAULT_SPEED_KMH:g}; "
                             f"older residents {ELDERLY_SPEED_KMH:.1f})")
    parser.add_argument("--coord-system", default="auto", choices=COORD_SYSTEMS,
                        help="输入文件坐标（高德=gcj02，百度=bd09；auto：按列名识别，否则 wgs84）"
                             " / coordinates of the input files (Amap=gcj02, Baidu=bd09; auto: from the column names, else wgs84)")
    if tiers:
        parser.add_argument("--minutes", type=minutes_list, default=TIERS_MINUTES,
                            help="生活圈分钟数 / life-circle tiers in minutes (default 5,10,15)")


def add_layer_args(parser: argparse.ArgumentParser, required: bool = False, area: bool = True,
                   tables: bool = True) -> None:
    """The area: ``--area NAME`` (saved or demo) or the user's own layers: ``--network``,
    ``--facilities`` (+ ``--facility-type``), ``--boundaries``, ``--demand``, with ``tables``
    ``--population`` and ``--layer``; and ``--types``. Network and facilities required or not."""
    if area:
        add_area_arg(parser)
    parser.add_argument("--network", required=required,
                        help="路网或 OSM 数据 .osm.pbf/.osm/.graphml(.gz)（OSM 数据可推算居民、设施）"
                             " / network or OSM extract (an extract gives residents and facilities too)")
    parser.add_argument("--facilities", required=required,
                        help="设施点文件（含 type 列）/ facility points (with a type column)")
    parser.add_argument("--facility-type", help="整个设施文件的类型 / type for every facility in the file")
    parser.add_argument("--boundaries", help="社区边界 / community polygons (name, code)")
    if tables:
        parser.add_argument("--population", help="社区人口表（需 --boundaries）/ residents per 社区 table (with --boundaries)")
    parser.add_argument("--demand", help="居民点（含 population 列；默认用路网边人口）"
                                         " / resident points with population (default: network edge population)")
    if tables:
        add_layer_choice_arg(parser)
    add_types_arg(parser)


def add_area_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="区域：已保存的区域名称（planning area list）或内置示例（xinjiekou、helsinki）"
                                       " / a saved area (planning area list) or a built-in demo (xinjiekou, helsinki)")


def add_layer_choice_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layer", action="append", default=[], metavar="[ROLE=]LAYER",
                        help="多图层文件（GeoPackage、多工作表 Excel）要读取的图层；几个文件都有多个图层时写"
                             " boundaries=图层名，可重复 / the layer of a multi-layer file (GeoPackage, workbook);"
                             " with several such files write boundaries=LAYER, repeatable")


def chosen_layers(values: list[str], files: dict[str, str | None]) -> dict[str, str]:
    """The layer to read of each file: ``ROLE=LAYER`` for that role's file; a bare ``LAYER`` for
    every given file that has a layer (or sheet) of that name (refused when none has it)."""
    from pathlib import Path

    from planning.base.errors import PlanningError
    from planning.io.layers import file_layers

    chosen: dict[str, str] = {}
    bare: list[str] = []
    for value in values:
        role, sep, layer = value.partition("=")
        if sep and role.strip() in LAYER_ROLES:
            chosen[role.strip()] = layer.strip()
        elif sep:
            raise PlanningError("cli_layer_role", value=value, roles=", ".join(LAYER_ROLES))
        else:
            bare.append(value.strip())
    used: set[str] = set()
    for role, path in files.items():
        if path and role not in chosen and bare:
            fits = [layer for layer in bare if layer in file_layers(path)]
            if fits:
                chosen[role] = fits[0]
                used.add(fits[0])
    unused = [layer for layer in bare if layer not in used]
    if unused:
        raise PlanningError("cli_layer_unused", layers=", ".join(unused),
                            files=", ".join(Path(p).name for p in files.values() if p) or "—")
    return chosen


FILE_ARGS = ("network", "facilities", "boundaries", "population", "demand", "candidates", "existing")


def check_inputs_exist(args: argparse.Namespace) -> None:
    """Refuse a mistyped input path, and what the command's own ``precheck`` refuses (e.g. an area
    given both ways or neither way), at once: before a command loads its heavy libraries.

    Raises
    ------
    PlanningError
        ``file_not_found`` for the first file argument that names nothing, or the precheck's error.
    """
    from pathlib import Path

    from planning.base.errors import PlanningError

    for name in (*FILE_ARGS, "sources", "areas"):
        value = getattr(args, name, None)
        if isinstance(value, str) and value and not Path(value).exists():
            raise PlanningError("file_not_found", path=Path(value).name)
    precheck = getattr(args, "precheck", None)  # set by the command's parser
    if precheck is not None:
        precheck(args)


def area_choice(needs: str = "--network") -> Callable[[argparse.Namespace], None]:
    """A command's ``precheck`` when its area is ``--area`` or the file arguments, nothing else."""
    return lambda args: check_area_choice(args, needs)


def check_area_choice(args: argparse.Namespace, needs: str = "--network") -> None:
    """``--area`` or the file arguments (``needs`` names those required), not both and not neither.

    Raises
    ------
    PlanningError
        ``area_with_files``; ``area_or_files`` (or the command's own code, ``args.area_missing``).
    """
    from planning.base.errors import PlanningError

    given = [f"--{name}" for name in FILE_ARGS if getattr(args, name, None)]
    if getattr(args, "area", None) and given:
        raise PlanningError("area_with_files", args=", ".join(given))
    if not getattr(args, "area", None) and not getattr(args, "network", None):
        raise PlanningError(getattr(args, "area_missing", "area_or_files"), args=needs)


def input_files(args: argparse.Namespace) -> list[str]:
    """Every file the command reads (an output must never be one of them): the file arguments,
    or the files of the saved area ``--area`` names."""
    from pathlib import Path

    from planning.base.paths import areas_dir

    files = [getattr(args, name, None) for name in FILE_ARGS]
    area = getattr(args, "area", None)
    if area and not str(area).startswith(".") and (areas_dir() / str(area)).is_dir():
        files += [str(p) for p in Path(areas_dir() / str(area)).rglob("*") if p.is_file()]
    return [f for f in files if f]


def area_from_args(args: argparse.Namespace, needs: str = "--network"):
    """The area of ``--area NAME`` (saved or demo), or built from the file arguments; with its notices.

    Raises
    ------
    PlanningError
        ``--area`` together with file arguments, or neither.
    """
    check_area_choice(args, needs)
    if getattr(args, "area", None):
        from planning.areas.store import load_area

        return load_area(args.area), []  # its notices were shown when it was saved (planning area show)
    from planning.areas.build import area_from_files

    files = {role: getattr(args, role, None) for role in LAYER_ROLES}
    return area_from_files(args.network, args.facilities, args.demand, args.boundaries, args.facility_type,
                           args.coord_system, population_path=getattr(args, "population", None),
                           candidates_path=getattr(args, "candidates", None),
                           layers=chosen_layers(getattr(args, "layer", []), files))


def add_types_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--types", type=unique_list,
                        help="设施类型，逗号分隔 / facility types, comma-separated (default: all)")


def types_and_tiers(args: argparse.Namespace):
    """The catalogue, the facility types named by ``--types`` and the tiers of ``--minutes``."""
    from planning.base.catalogue import load_catalogue, resolve_types

    catalogue = load_catalogue()
    return catalogue, resolve_types(args.types, catalogue), tuple(args.minutes)


def print_notes(notes: list[tuple[str, str]]) -> None:
    for zh, en in notes:
        print(f"提示 / Note: {zh} / {en}")


def bilingual(text: Callable[..., str], value: Any) -> str:
    """``text(value, lang)`` in Chinese, followed by the English when it differs ("超过 60 分钟 / over 60 min")."""
    zh, en = text(value, "zh"), text(value, "en")
    return zh if zh == en else f"{zh} / {en}"


def summary_text(overall, names: dict[str, str], tiers: tuple[float, ...]) -> str:
    """A readable coverage table: one line per facility type, population-weighted shares."""
    import pandas as pd

    from planning.base.formatting import count_text, minutes_text, share_text

    table = pd.DataFrame({
        "设施 / type": overall["type"].map(names),
        "服务人口 / served": overall["served_population"].map(count_text),
        **{f"{t:g}分钟 / {t:g} min": overall[f"covered_{t:g}min"].map(share_text) for t in tiers},
        "中位步行 / median min": [bilingual(minutes_text, v) for v in overall["median_minutes"]],
    })
    return table.to_string(index=False)


class Output:
    """A command's output, checked before any work starts (not a folder, not one of ``inputs``, and with
    ``suffixes`` named for the format written).

    The overwrite policy of every command: an existing output is replaced atomically (see
    :mod:`planning.io.write`), and :meth:`written` says so.
    """

    def __init__(self, path: str, inputs: Sequence[str | None] = (), folder: bool = False,
                 suffixes: tuple[str, ...] = ()) -> None:
        from planning.io.write import check_output_folder, check_output_path

        self.inputs = [p for p in inputs if p]
        self.path = check_output_folder(path, self.inputs) if folder else check_output_path(path, self.inputs, suffixes)
        self.existed = self.path.exists()

    def written(self, shown: object | None = None) -> str:
        """``已写入 / written: …`` or, when an earlier file was there, that it was replaced."""
        from planning.base.text import catalogue

        key = "replaced" if self.existed and not self.path.is_dir() else "written"
        return catalogue("cli").both(key, path=shown if shown is not None else self.path)
