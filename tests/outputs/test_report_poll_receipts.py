"""The report's poll section reads a poll published without receipts (ballots alone)."""
from __future__ import annotations

from planning.outputs.reports.content import poll_section
from tests.support.voting import SECRET


def test_poll_section_of_a_poll_published_without_receipts(service, scenario_files):
    poll_id = service.create_poll(SECRET, "不公示回执", scenario_files, "approval", publish_receipts=False)
    codes = service.generate_codes(SECRET, poll_id, 2)
    service.open_voting(SECRET, poll_id)
    for code, approved in zip(codes, (["A"], ["B", "C"])):
        service.cast_ballot(poll_id, code, {"approve": approved})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    section = poll_section(service.published_result(poll_id), "zh")
    ballots = next(table for table in section.tables if table.key == "poll_receipts").frame
    assert ballots.iloc[:, 0].tolist() == ["", ""] and sorted(ballots.iloc[:, 1]) == ["A", "B, C"]
