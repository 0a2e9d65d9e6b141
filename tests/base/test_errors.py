"""A library's error quoted as the reason in our messages: readable, never cut mid-word, never a crash."""
from __future__ import annotations

import pytest

from planning.base.errors import PlanningError, error_reason
from planning.network.read import load_network


def test_a_short_reason_is_its_first_line():
    assert error_reason(ValueError("bad header\nat line 3")) == "bad header"


@pytest.mark.parametrize("exc", [RuntimeError(), OSError(""), ValueError("   \n ")])
def test_an_error_that_says_nothing_is_named_by_its_type(exc):
    assert error_reason(exc) == type(exc).__name__


def test_a_long_reason_ends_after_its_last_sentence_that_fits():
    first = "The file is not a valid PBF file."
    reason = error_reason(ValueError(f"{first} {'More words follow here. ' * 20}"), limit_chars=60)
    assert reason == f"{first} More words follow here. …"
    assert len(reason) <= 62


def test_a_long_reason_without_sentences_ends_at_a_word():
    reason = error_reason(ValueError("word " * 100), limit_chars=50)
    assert reason.endswith("word…") and len(reason) <= 51


def test_a_broken_pbf_in_a_deep_folder_is_quoted_up_to_a_sentence(tmp_path):
    deep = tmp_path.joinpath(*["很长的文件夹名称"] * 4)
    deep.mkdir(parents=True)
    fake = deep / "街道.osm.pbf"
    fake.write_bytes(b"not a PBF")
    with pytest.raises(PlanningError) as caught:
        load_network(fake)
    reason, full = caught.value.params["reason"], str(caught.value.__cause__).strip().splitlines()[0]
    assert caught.value.code == "file_unreadable" and len(full) > 200 and len(reason) <= 202
    kept = reason.removesuffix(" …").removesuffix("…")
    assert full.startswith(kept) and full[len(kept)] == " " and kept.endswith((".", ";", ",")), (reason, full)
