import copy
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from thidua import contracts
from thidua.events import InvalidEvent, UnknownVersion, accept, new_event, validate
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


# ---------------------------------------------------------------- contracts and versions

def test_every_contract_is_a_json_schema_of_a_versioned_type():
    for event_type, contract in contracts.CONTRACTS.items():
        assert contracts.parse_type(event_type) is not None, event_type
        assert contract["source"] in ("submissions", "ranking")
        Draft202012Validator.check_schema(contract["data"])


def test_fields_a_contract_does_not_name_are_allowed():
    # Adding an optional field keeps the version: readers ignore what they do not know.
    event = report_event()
    event["data"]["remarks"] = "thêm"
    assert validate(event) is event


@pytest.mark.parametrize("event_type, data, message", [
    ("unit.upserted.v1", {"unit": {"id": "U01"}}, "data.unit lacks 'name'"),
    ("cluster.upserted.v1", {"cluster": {"id": "C", "name": "Cụm", "members": [{"unit": "U01"}]}},
     "data.cluster.members.0 lacks 'role'"),
    ("person.upserted.v1", {"person": {"id": "p", "name": "P", "role": "unit_officer", "password_hash": "$argon"}},
     "field 'person.password_hash' is not allowed"),
    ("person.upserted.v1", {"person": {"id": "p", "name": "P", "role": "unit_officer", "locked_until": None}},
     "field 'person.locked_until' is not allowed"),
])
def test_directory_events_carry_the_record_and_never_account_fields(event_type, data, message):
    with pytest.raises(InvalidEvent, match=message) as caught:
        new_event(event_type, data, "cid")
    assert "$argon" not in str(caught.value)       # a refusal never echoes the value


def test_directory_events_as_the_contract_fixes_them():
    assert new_event("unit.upserted.v1", {"unit": {"id": "U01", "name": "Phòng A", "type": "department"}}, "c")
    assert new_event("cluster.upserted.v1", {"cluster": {"id": "CUM-01", "name": "Cụm 1", "year": 2021,
                                                         "members": [{"unit": "U01", "role": "lead"}]}}, "c")
    assert new_event("person.upserted.v1", {"person": {"id": "p", "name": "P", "role": "unit_officer",
                                                       "unit": "U01", "email": None}}, "c")


def submitted_v2(data):
    """v2 of report.submitted: the self-assessed total is "self_total"; "scores" (a copy of
    "self_scores") is gone. The upcaster is the whole migration of a stored or queued v1."""
    data["self_total"] = data.pop("total")
    data.pop("scores")
    return data


@pytest.fixture
def v2():
    v1 = contracts.CONTRACTS["report.submitted.v1"]["data"]
    schema = copy.deepcopy(v1)
    del schema["properties"]["scores"], schema["properties"]["total"]
    schema["properties"]["self_total"] = contracts.NUMBER
    schema["required"] = sorted(schema["properties"])
    contracts.register("report.submitted.v2", "submissions", schema)
    contracts.upcaster("report.submitted.v1", "report.submitted.v2")(submitted_v2)
    yield
    contracts.unregister("report.submitted.v2")


def test_a_v1_event_reaches_a_v2_reader_upcast(v2):
    event = report_event()
    read = accept(event, "report.submitted.v2")
    assert read["type"] == "report.submitted.v2" and read["id"] == event["id"]
    assert read["data"]["self_total"] == 10.0 and "total" not in read["data"] and "scores" not in read["data"]
    assert event["type"] == "report.submitted.v1" and "total" in event["data"]     # the original is untouched
    assert accept(event)["type"] == "report.submitted.v2"     # by default: the newest version known here
    assert contracts.upcast_sources("report.submitted.v2") == ["report.submitted.v1"]


def test_a_v2_event_is_read_as_it_is_by_a_v2_reader_and_refused_by_a_v1_reader(v2):
    data = submitted_v2(report_event()["data"])
    event = new_event("report.submitted.v2", data, "cid")
    assert accept(event, "report.submitted.v2") == event
    with pytest.raises(UnknownVersion, match="cannot be read as report.submitted.v1"):
        accept(event, "report.submitted.v1")


def test_an_unknown_version_is_refused_with_its_reason(v2):
    event = report_event()
    event["type"] = "report.submitted.v3"
    with pytest.raises(UnknownVersion, match="unknown event type 'report.submitted.v3'"):
        accept(event)
    with pytest.raises(UnknownVersion, match="unknown event type"):
        accept({**report_event(), "type": {"not": "a name"}})


def test_what_an_upcaster_makes_is_checked_against_the_newer_contract(v2):
    contracts.UPCASTERS["report.submitted.v1"] = ("report.submitted.v2", lambda data: data)   # a broken one
    with pytest.raises(InvalidEvent, match="report.submitted.v2 data lacks 'self_total'"):
        accept(report_event(), "report.submitted.v2")


def test_without_an_upcaster_an_older_version_cannot_be_read_as_a_newer(v2):
    contracts.UPCASTERS.pop("report.submitted.v1")
    with pytest.raises(UnknownVersion, match="no upcaster from report.submitted.v1"):
        accept(report_event(), "report.submitted.v2")


def test_versions_are_added_never_redefined_and_upcast_one_step_at_a_time(v2):
    with pytest.raises(ValueError, match="already has a contract"):
        contracts.register("report.submitted.v1", "submissions", {})
    with pytest.raises(ValueError, match="not a type name"):
        contracts.register("report.submitted", "submissions", {})
    with pytest.raises(ValueError, match="the next one of the same type"):
        contracts.upcaster("report.returned.v1", "report.submitted.v2")


def test_the_events_document_lists_every_contract():
    text = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    assert [t for t in contracts.CONTRACTS if f"`{t}`" not in text] == []


def test_an_upcaster_that_fails_is_a_refusal_with_its_reason_and_the_original_is_untouched(v2):
    def nested_change_then_fail(data):
        data["template"]["id"] = "changed"
        return data["missing"]
    contracts.UPCASTERS["report.submitted.v1"] = ("report.submitted.v2", nested_change_then_fail)
    event = report_event()
    with pytest.raises(InvalidEvent, match="upcasting report.submitted.v1 to report.submitted.v2 failed: KeyError"):
        accept(event, "report.submitted.v2")
    assert event["data"]["template"]["id"] == "TCTD-CAT-2021"


def test_a_reader_must_name_a_versioned_type():
    with pytest.raises(UnknownVersion, match="cannot be read as report.submitted"):
        accept(report_event(), "report.submitted")
