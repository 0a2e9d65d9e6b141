"""The figures a person reads are meaningful and the same wherever they are shown.

On the 新街口 demo with the same inputs (4 km/h, 5/10/15 minutes):

* a figure shown in several places — the overall share of residents within 15 minutes of a
  社区卫生服务站, and the same share for one community — is the same number in the CLI table,
  the app, the PDF report, the GeoPackage and the CSV download;
* no table of the app (every cell, not only the rows a browser draws), no page of the PDF, no
  CSV file and no Excel sheet holds inf, Infinity, nan, NaN or None; beyond-reach minutes are
  said in words on paper and left empty in machine-readable files; an unknown cost is "未填写",
  never 0.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from planning.base.catalogue import load_catalogue
from planning.outputs.reports import prepare_report_data
from planning.outputs.reports.build import render
from planning.outputs.reports.content import assemble_report
from planning.outputs.reports.exports import write_csv
from scenarios.scenario import save_scenario
from tests.support.data import ROOT
from tests.support.display_checks import LEGACY_NAME, legacy_p_median_plan, meaningless
from tests.support.siting import plan_shown

APP = str(ROOT / "app.py")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")


@pytest.fixture(scope="module")
def report_data(demo_area):
    return prepare_report_data(demo_area, scenario=legacy_p_median_plan())


@pytest.fixture(scope="module")
def pdf_text(report_data, tmp_path_factory) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("apt-get install poppler-utils")
    pdf = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf.write_bytes(render(report_data, "pdf", "zh"))
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gpkg") / "xinjiekou.gpkg"
    run = subprocess.run([sys.executable, "-m", "planning", "export", "--area", "xinjiekou", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path))  # scenarios in tmp_path / "scenarios"
    monkeypatch.setenv("PLANNING_DB", str(tmp_path / "votes.sqlite"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def _app(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"planning/app/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _percent(share: float) -> str:
    """A stored share (0–1) as every front end prints it: one decimal, 42.7%."""
    return f"{share * 100:.1f}%"


def _widget(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def _clinic_at_15_minutes(at: AppTest) -> AppTest:
    _widget(at.multiselect, "设施类型").set_value(["clinic"]).run()
    _widget(at.radio, "生活圈").set_value(15).run()
    assert not at.exception, at.exception
    return at


def _shown(table, column: str, row: int) -> str:
    """A cell as the app's grid prints it: the column's printf format applied to the value."""
    fmt = json.loads(table.proto.columns or "{}").get(column, {}).get("type_config", {}).get("format")
    value = table.value[column].iloc[row]
    return fmt % value if fmt else str(value)


def _coverage_download(area) -> tuple[bytes, bytes]:
    """The coverage page's downloads (GeoPackage, per-community CSV) for the demo area."""
    from planning.app.common import coverage_files

    return coverage_files(area, "demo:xinjiekou")


def _percents(line: str) -> list[str]:
    return re.findall(r"\d+\.\d%", line)


def _pdf_row(text: str, after: str, first_word: str) -> str:
    """The first table line starting with ``first_word`` after the heading ``after`` (``pdftotext -layout``)."""
    return next(line for line in text[text.index(after):].splitlines() if line.startswith(first_word))


def _app_texts(at: AppTest) -> list[str]:
    """Every text of the page: headings, paragraphs, notices, metrics and every table cell."""
    texts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                                       "success", "warning", "error") for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    return texts


def _bad_cells(at: AppTest) -> list[str]:
    """Table cells a grid would print as None, NaN or Infinity, or whose text holds one."""
    bad = []
    for table in [*at.dataframe, *at.table]:
        for column, values in table.value.reset_index().items():
            for value in values:
                if isinstance(value, str):
                    bad += meaningless(value)
                elif value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)):
                    bad.append(f"{column}: {value!r}")
    return bad


# -- the same figure everywhere -----------------------------------------------------------------

def test_overall_clinic_share_is_the_same_in_cli_app_pdf_and_geopackage(env, pdf_text, gpkg):
    cli = subprocess.run([sys.executable, "-m", "planning", "demo", "--types", "clinic"], cwd=ROOT,
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    cli_share = _percents(next(line for line in cli.stdout.splitlines() if line.strip().startswith("社区卫生服务站")))[2]
    at = _clinic_at_15_minutes(_app("coverage"))
    app_share = _widget(at.metric, "社区卫生服务站（15 分钟）").value
    pdf_share = _percents(_pdf_row(pdf_text, "三、全区覆盖", "社区卫生服务站"))[2]
    summary = gpd.read_file(gpkg, layer="summary").set_index("type")
    gpkg_share = _percent(summary.loc["clinic", "covered_15min"])
    assert cli_share == app_share == pdf_share == gpkg_share, (cli_share, app_share, pdf_share, gpkg_share)


def test_one_communitys_clinic_share_is_the_same_in_app_pdf_geopackage_and_csv(env, pdf_text, gpkg, demo_area):
    communities = gpd.read_file(gpkg, layer="communities").set_index("code")
    shares = communities["clinic_covered_15min"]
    # a community whose share reads differently with 0 and 1 decimals, so a rounding mismatch shows
    code = next(c for c, v in shares.items() if 0 < v < 1 and round(v * 100, 1) != round(v * 100))
    name = communities.loc[code, "name"]
    gpkg_share = _percent(shares[code])

    at = _clinic_at_15_minutes(_app("coverage"))
    table = at.dataframe[0]
    row = table.value.index[table.value["社区"] == name][0]
    app_share = _shown(table, "覆盖率", table.value.index.get_loc(row))
    pdf_share = _percents(_pdf_row(pdf_text, f"{name}（{code}）", "社区卫生服务站"))[2]
    csv = pd.read_csv(io.BytesIO(_coverage_download(demo_area)[1]), encoding="utf-8-sig")
    csv_row = csv[(csv["community"] == code) & (csv["type"] == "clinic")].iloc[0]
    csv_share = _percent(csv_row["covered_15min"])
    assert gpkg_share == app_share == pdf_share == csv_share, (gpkg_share, app_share, pdf_share, csv_share)


# -- nothing meaningless anywhere ----------------------------------------------------------------

def _site_and_save(at: AppTest, model: str, name: str) -> list[str]:
    """Run ``model`` on the siting page, save the plan; the page's texts and bad table cells."""
    _widget(at.selectbox, "选址模型").set_value(model).run()
    _widget(at.number_input, "最长计算时间（秒）").set_value(5).run()
    _widget(at.button, "开始计算").click().run()
    assert not at.exception, at.exception
    assert plan_shown(at)
    shown = _app_texts(at) + _bad_cells(at)
    _widget(at.text_input, "方案名称").set_value(name).run()
    _widget(at.button, "保存方案").click().run()
    assert any("已保存" in s.value for s in at.success)
    return shown


def test_no_app_table_cell_or_text_is_meaningless(env):
    save_scenario(legacy_p_median_plan(), env / "scenarios")
    coverage = _app("coverage")
    assert not meaningless("\n".join(_app_texts(coverage))) and not _bad_cells(coverage)
    median = coverage.dataframe[0].value["步行时间中位数（分钟）"]
    assert (median == "超过 60 分钟").any()  # nobody reaches a 社区食堂: said in words, not Infinity

    siting = _app("siting")
    mclp = _site_and_save(siting, "mclp", "三处食堂 最大覆盖")
    p_median = _site_and_save(siting, "p_median", "三处食堂 P中位")
    assert not meaningless("\n".join(mclp + p_median))
    assert any("平均步行" in text for text in p_median) and not any("100.0%" in text for text in p_median)
    costs = siting.dataframe[0].value["造价（万元）"]
    assert (costs == load_catalogue()["meal_hall"].default_cost_yuan / 10_000).all()  # the catalogue's, not 0/None

    compare = _app("compare")
    assert not meaningless("\n".join(_app_texts(compare))) and not _bad_cells(compare)
    summary = compare.dataframe[0].value
    assert summary.loc[LEGACY_NAME, "造价（元）"] == "未填写"
    assert summary.loc[LEGACY_NAME, "与参照方案造价差（元）"] == "—"  # unknown: never "4.5 M yuan cheaper"


@needs_poppler
def test_pdf_says_beyond_reach_and_unknown_cost_in_words(pdf_text):
    assert not meaningless(pdf_text), meaningless(pdf_text)[:5]
    assert "超过 60 分钟" in pdf_text
    assert "总投资 未填写" in pdf_text and "总投资 0 元" not in pdf_text


def test_csv_and_excel_exports_keep_numbers_numeric_and_meaningful(report_data, demo_area, tmp_path):
    content = assemble_report(report_data, "zh")
    files = write_csv(tmp_path / "csv", content) + [tmp_path / "coverage_by_community.csv"]
    files[-1].write_bytes(_coverage_download(demo_area)[1])
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        assert not meaningless(text), (path.name, meaningless(text)[:3])
    table = pd.read_csv(files[-1], encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(table["median_minutes"]) and table["median_minutes"].isna().any()
    overall = pd.read_csv(tmp_path / "csv" / "overall.csv", encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(overall["步行中位数（分钟）"])  # empty beyond 60 min, not "> 60"
    sites = pd.read_csv(tmp_path / "csv" / "scenario_sites.csv", encoding="utf-8-sig")
    assert sites["投资估算（元）"].isna().all()  # not given, not 0

    book = load_workbook(io.BytesIO(render(report_data, "xlsx", "zh")))
    cells = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [v for v in cells if isinstance(v, str) and meaningless(v)]
    assert not [v for v in cells if isinstance(v, float) and not np.isfinite(v)]
    sheet = book["方案选址"]
    header = [c.value for c in sheet[1]]
    assert "投资估算（元）" in header
    assert all(row[header.index("投资估算（元）")].value is None for row in sheet.iter_rows(min_row=2))
