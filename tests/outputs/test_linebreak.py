"""Chinese line breaking (禁则) of printed text: no "（" at a line end, no "；" or "）" at a line start."""
from __future__ import annotations

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from planning.outputs.fonts import PDF_FONT, register_pdf_font
from planning.outputs.linebreak import NO_LINE_END, NO_LINE_START, break_lines

TEXTS = [
    "社区卫生服务站、机动车停车场（库）",
    "各类设施依据的标准条文：社区卫生服务站——GB 50180-2018 表 B.0.3（五分钟生活圈：社区卫生服务站）；"
    "社区卫生服务中心——GB 50180-2018 表 B.0.1（十五分钟生活圈：卫生服务中心（社区医院））",
    "六合里附近，区域中心以东约 1.4 公里",
    "不对居民开放的停车场（access=private、customers、no 等，或名称含“职工”“员工”“内部”“专用”）不计入。",
]


@pytest.fixture(scope="module")
def measure():
    register_pdf_font()
    return lambda text: stringWidth(text, PDF_FONT, 7.5)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("width", [30.0, 45.0, 61.0, 80.0, 120.0, 200.0])
def test_lines_fit_and_follow_the_chinese_rules(text, width, measure):
    lines = break_lines(text, width, measure)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost, nothing added
    assert all(measure(line) <= width for line in lines)
    assert not [line for line in lines[:-1] if line[-1] in NO_LINE_END], lines
    assert not [line for line in lines[1:] if line[0] in NO_LINE_START], lines


def test_an_opening_bracket_moves_to_the_next_line_with_its_word(measure):
    # "社区卫生服务站、机动车停车场（" fits in this width; ReportLab's own wrapping left "（" at the end
    width = measure("社区卫生服务站、机动车停车场（")
    assert break_lines(TEXTS[0], width, measure) == ["社区卫生服务站、机动车停车场", "（库）"]


def test_codes_and_numbers_stay_whole(measure):
    lines = break_lines(TEXTS[1], 90.0, measure)
    assert any("GB 50180-2018" in line for line in lines) and any("B.0.3" in line for line in lines)
    assert any("1.4" in line for line in break_lines(TEXTS[2], measure("六合里附近，区域中心以东约 1."), measure))
