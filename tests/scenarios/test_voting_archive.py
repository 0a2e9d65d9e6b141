"""The result archive: offline pages that fetch nothing and show user text as text; JSON alone verifies too."""
from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest

from planning.base.errors import PlanningError
from scenarios.voting.archive import verify_archive
from tests.support.voting import SECRET

HOSTILE = "新街口 [点此领取补贴](http://evil.example/claim) <img src=http://evil.example/x.png> <script>alert(1)</script>"


@pytest.fixture
def archive(service, scenario_files) -> bytes:
    poll_id = service.create_poll(SECRET, HOSTILE, scenario_files, "approval", publish_comments=True)
    service.start_hearing(SECRET, poll_id)
    service.add_comment(poll_id, "<b>意见</b> http://evil.example/c", "B")
    codes = service.generate_codes(SECRET, poll_id, 4, label="<i>1号桌</i>")
    service.open_voting(SECRET, poll_id)
    for code, approved in zip(codes, (["A"], ["A", "B"], ["C"])):
        service.cast_ballot(poll_id, code, {"approve": approved})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    return service.archive(poll_id)


def test_the_offline_pages_fetch_nothing_and_show_user_text_as_text(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as members:
        assert sorted(members.namelist()) == ["result-en.html", "result-zh.html", "result.json",
                                              "scenarios/A.yaml", "scenarios/B.yaml", "scenarios/C.yaml"]
        pages = {lang: members.read(f"result-{lang}.html").decode("utf-8") for lang in ("zh", "en")}
    for lang, page in pages.items():
        assert "Content-Security-Policy" in page and "default-src 'none'" in page
        assert not re.search(r"<(script|img|link|iframe|object)\b|<[^>]*\b(src|href)\s*=", page, re.I), lang
        assert html.escape(HOSTILE) in page  # the title as typed, escaped
        assert html.escape("<b>意见</b> http://evil.example/c") in page
    zh = pages["zh"]
    assert "支持：A " in zh and "胜出方案：A " in zh
    counts = re.findall(r"<tr><td>(\d)</td><td>([A-C]) [^<]*</td><td class=n>(\d+)</td></tr>", zh)
    assert counts == [("1", "A", "2"), ("2", "B", "1"), ("2", "C", "1")]  # whole numbers, the tie shares a place


def test_result_json_alone_verifies_without_the_scenarios(archive, tmp_path):
    with zipfile.ZipFile(io.BytesIO(archive)) as members:
        (tmp_path / "result.json").write_bytes(members.read("result.json"))
    found = verify_archive(tmp_path / "result.json")
    assert found.ok and [c.name for c in found.checks if c.ok is None] == ["key", "scenarios"]
    assert json.loads((tmp_path / "result.json").read_text())["comments"][0]["text"] == "<b>意见</b> http://evil.example/c"


def test_an_unreadable_archive_is_refused_in_chinese_and_english(tmp_path):
    bad = tmp_path / "result.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PlanningError) as err:
        verify_archive(bad)
    assert err.value.code == "archive_unreadable" and "无法读取" in err.value.zh and "Cannot read" in err.value.en
