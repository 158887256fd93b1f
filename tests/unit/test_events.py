import pytest

from thidua.events import InvalidEvent, new_event, validate
from tests.helpers import report_event


def test_new_event_has_the_whole_envelope():
    event = report_event(correlation_id="abc")
    assert set(event) == {"id", "type", "source", "occurred_at", "correlation_id", "data"}
    assert event["source"] == "submissions"
    assert event["type"] == "report.submitted.v1"
    assert event["correlation_id"] == "abc"
    assert event["occurred_at"].endswith("Z")


def test_each_event_gets_its_own_id():
    assert report_event()["id"] != report_event()["id"]


@pytest.mark.parametrize("mutate, message", [
    (lambda e: e.pop("correlation_id"), "envelope lacks correlation_id"),
    (lambda e: e.update(type="report.submitted.v9"), "unknown event type"),
    (lambda e: e.update(source="ranking"), "comes from submissions"),
    (lambda e: e["data"].pop("total"), "lacks 'total'"),
    (lambda e: e["data"].update(version=True), "'version' has the wrong type"),
    (lambda e: e["data"].update(total="87"), "'total' has the wrong type"),
])
def test_a_broken_event_is_refused(mutate, message):
    event = report_event()
    mutate(event)
    with pytest.raises(InvalidEvent, match=message):
        validate(event)


def test_new_event_refuses_data_that_breaks_the_contract():
    with pytest.raises(InvalidEvent):
        new_event("ranking.updated.v1", {"cluster": "CUM-01"}, "cid")


def test_a_returned_report_must_say_why():
    with pytest.raises(InvalidEvent, match="lacks 'reason'"):
        report_event(event_type="report.returned.v1", status="RETURNED")
