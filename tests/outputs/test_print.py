"""Reports that print: every font embedded, pages the same on a machine without Chinese fonts.

Rendered pages are kept under ``test-output/print/`` for a person to look at.
"""
from __future__ import annotations

import pytest

from planning.outputs.fonts import has_glyphs
from planning.outputs.reports import prepare_report_data
from planning.outputs.reports.build import render
from tests.support.data import OUTPUT
from tests.support.printing import assert_prints_without_fonts, needs_poppler, pdf_text
from tests.support.voting import make_scenario

OUTPUT = OUTPUT / "print"


@pytest.fixture(scope="module")
def report_data(demo_area):
    return prepare_report_data(demo_area, scenario=make_scenario("方案甲 养老优先", ["s1", "s2"], 0.5))


@pytest.fixture(scope="module")
def report_pdf(report_data):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / "report_zh.pdf"
    path.write_bytes(render(report_data, "pdf", "zh"))
    return path


@needs_poppler
def test_report_embeds_every_font_and_prints_the_same_without_installed_fonts(report_pdf, tmp_path):
    assert_prints_without_fonts(report_pdf, tmp_path)


@needs_poppler
def test_embedded_font_has_a_glyph_for_every_character_of_the_report(report_pdf):
    text = pdf_text(report_pdf)
    assert "社区" in text
    missing = sorted({ch for ch in text if not ch.isspace() and not has_glyphs(ch)})
    assert missing == [], f"characters the embedded font cannot draw (boxes on paper): {missing}"


@needs_poppler
def test_no_printed_line_ends_with_an_opening_bracket_or_starts_with_closing_punctuation(report_pdf):
    lines = [line.strip() for line in pdf_text(report_pdf, raw=True).splitlines() if line.strip()]
    assert [line for line in lines if line[-1] in "（“《"] == []  # was: 机动车停车场（ | 库）
    assert [line for line in lines if line[0] in "；，、。）：”》"] == []  # was: ；社区卫生服务中心…
