"""What the app's first page loads: the area page draws its map without the report renderers' plotting stack
(matplotlib and the PDF libraries take seconds to import on a busy machine), with the printed maps' words."""
from __future__ import annotations

import subprocess
import sys

from tests.support.data import ROOT

_FIRST_PAGE = """
import sys
import planning.app.common
import planning.outputs.reports.content
from planning.outputs.maps.layers import printed_map_labels
words = printed_map_labels("zh")
planning.app.common.map_labels()  # the web map's words, as draw_map asks for them
print("HEAVY", ",".join(sorted(m for m in ("matplotlib", "reportlab", "weasyprint") if m in sys.modules)))
print("WORDS", words.metres, words.north)
"""


def test_the_first_page_reads_map_words_without_importing_the_report_renderers():
    out = subprocess.run([sys.executable, "-c", _FIRST_PAGE], cwd=ROOT, capture_output=True, text=True,
                         timeout=180, check=True).stdout
    assert "HEAVY \n" in out, out
    assert "WORDS 米 北" in out, out


def test_printed_map_words_are_the_reports_words():
    from planning.outputs.maps.layers import printed_map_labels
    from planning.outputs.reports.maps import map_labels

    for lang in ("zh", "en"):
        assert printed_map_labels(lang) == map_labels(lang)
    assert (printed_map_labels("en").metres, printed_map_labels("en").north) == ("m", "N")
