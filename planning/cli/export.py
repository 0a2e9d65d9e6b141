"""``planning export``: the layers and tables of a report as GeoPackage, GeoJSON, CSV or Excel."""
from __future__ import annotations

import argparse

from planning.cli.common import Output, area_choice
from planning.cli.report import add_area_args, input_paths, report_data
from planning.outputs.formats import EXPORT_FOLDER_FORMATS, EXPORT_FORMATS, export_format


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("导出 GeoPackage（QGIS 可直接打开）、GeoJSON、CSV 或 Excel"
                     " / export a GeoPackage (opens in QGIS), GeoJSON, CSV or Excel")
    add_area_args(p)
    p.add_argument("--format", choices=EXPORT_FORMATS,
                   help="格式（默认按后缀：.gpkg/.xlsx；geojson 和 csv 写入文件夹）"
                        " / format (default from the suffix; geojson and csv write into a folder)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="表头和文字的语言 / language of table headers and words")
    p.add_argument("--out", required=True, help="输出文件或文件夹 / output file or folder")
    p.set_defaults(handler=run, precheck=area_choice())


def run(args: argparse.Namespace) -> int:
    fmt = export_format(args.out, args.format)
    folder = fmt in EXPORT_FOLDER_FORMATS
    out = Output(args.out, input_paths(args), folder=folder, suffixes=() if folder else (f".{fmt}",))  # at once
    from planning.io.write import write_bytes
    from planning.outputs.reports.build import render
    from planning.outputs.reports.content import assemble_report
    from planning.outputs.reports.exports import write_csv, write_geojson, write_gpkg

    data = report_data(args)
    if fmt == "gpkg":
        shown = f"{out.path} ({', '.join(write_gpkg(out.path, data, out.inputs, args.lang))})"
    elif fmt == "geojson":
        shown = ", ".join(str(p) for p in write_geojson(out.path, data, out.inputs, args.lang))
    elif fmt == "csv":
        shown = ", ".join(str(p) for p in write_csv(out.path, assemble_report(data, args.lang), out.inputs))
    else:
        shown = write_bytes(out.path, render(data, "xlsx", args.lang), out.inputs)
    print(out.written(shown))
    return 0
