"""The README's "用你自己的数据 / Your own area" tells a clerk which column names work: each one must."""
from __future__ import annotations

import re

from planning.base.catalogue import load_catalogue
from planning.io.layers import column_aliases
from tests.support.data import ROOT


def _own_area_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## 用你自己的数据 / Your own area"):]
    section = section[:section.index("\n## ", 5)]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return rows[2:]  # the header row, and the OSM extract (which has no columns)


def test_every_column_name_the_readme_offers_is_recognised():
    known = {alias.lower() for aliases in column_aliases().values() for alias in aliases}
    rows = _own_area_rows()
    assert len(rows) == 5
    for row in rows:
        names = re.findall(r"`([^`]+)`", row[-1].split("(a key")[0])
        assert names, row
        assert {n.lower() for n in names} <= known, (row[0], sorted(n for n in names if n.lower() not in known))


def test_every_facility_type_name_the_readme_offers_is_in_the_catalogue():
    row = next(r for r in _own_area_rows() if "facility list" in r[0])
    offered = re.search(r"a usual name: ([^)]+)\)", row[-1]).group(1)
    words = {w.strip(" …") for w in offered.split(",") if w.strip(" …")}
    names = {n for t in load_catalogue().values() for n in (*t.aliases, *t.name_zh.split(" / "))}
    assert words <= names, words - names
