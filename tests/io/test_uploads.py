"""An uploaded file is kept inside the session's upload folder whatever name the browser gives it:
a crafted upload (Streamlit passes the multipart file name on as it came) cannot write elsewhere."""
from __future__ import annotations

import pytest

from planning.io.write import keep_upload, upload_name


# "{tmp}/…" is absolute but under the test's own folder: a regression writes nowhere else on the machine
@pytest.mark.parametrize("name", ["../../app.py", "..\\..\\app.py", "{tmp}/outside/x", "a/../../b.csv", "..", ".",
                                  "", "社区\x00边界.geojson", "\u202e.csv"])
def test_a_crafted_name_stays_inside_the_upload_folder(tmp_path, name):
    folder = tmp_path / "uploads"
    folder.mkdir()
    kept = keep_upload(folder, name.format(tmp=tmp_path), b"data")
    assert kept.parent.parent == folder.resolve() and kept.read_bytes() == b"data"
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == [kept]  # nothing written outside
    assert "/" not in kept.name and "\\" not in kept.name and kept.name not in ("", ".", "..")


def test_an_ordinary_name_is_kept_as_it_is_and_once(tmp_path):
    first = keep_upload(tmp_path, "社区边界.geojson", b"{}")
    assert first.name == "社区边界.geojson" and first.parent.parent == tmp_path.resolve()
    first.write_bytes(b"changed")  # the same content again is not written a second time
    assert keep_upload(tmp_path, "社区边界.geojson", b"{}") == first and first.read_bytes() == b"changed"
    assert upload_name("C:\\Users\\科员\\设施清单.xlsx") == "设施清单.xlsx"
