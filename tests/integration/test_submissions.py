"""The submissions service against the real broker and database."""
import pytest
from nameko.testing.services import entrypoint_hook

from services.submissions.service import SubmissionsService
from thidua import outbox
from thidua.errors import NotAMember, PeriodNotOpen, ReportExists, UnknownPeriod, UnknownUnit, ValidationFailed
from tests.helpers import demo_data

pytestmark = pytest.mark.integration
ACTOR = {"id": "tester"}
GOOD = {"unit": "U02", "period": "2021-Q1", "scores": {"TC1": 45, "TC2": 42.5}}


@pytest.fixture
def submissions(container_factory, service_config):
    container = container_factory(SubmissionsService, service_config("submissions"))
    container.start()
    with entrypoint_hook(container, "load_reference_data") as load:
        load(demo_data(), {"id": "loader"})
    return container


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def snapshot(db):
    return {name: db[name].count_documents({}) for name in ("reports", "audit", "outbox")}


def test_a_report_is_stored_with_its_audit_entry_and_event(submissions, db_of):
    report = call(submissions, "submit_report", GOOD, ACTOR)
    db = db_of("submissions")
    stored = db.reports.find_one({"_id": report["id"]})
    assert stored["cluster"] == "CUM-01" and stored["total"] == 87.5 and stored["status"] == "SUBMITTED"
    assert stored["late"] is True  # the demo period's deadline (10 April 2021) has long passed
    entry = db.outbox.find_one({"event.data.report_id": report["id"]})
    assert entry["event"]["type"] == "report.submitted.v1"
    assert entry["event"]["correlation_id"] == stored["correlation_id"]
    trail = db.audit.find_one({"entity": "report", "entity_id": report["id"]})
    assert trail["action"] == "report.submit" and trail["actor"] == ACTOR
    assert trail["correlation_id"] == stored["correlation_id"]
    assert trail["context"]["event_id"] == entry["_id"]


@pytest.mark.parametrize("payload, error", [
    ({**GOOD, "unit": "U99"}, UnknownUnit),
    ({**GOOD, "period": "2030-Q1"}, UnknownPeriod),
    ({**GOOD, "scores": {"TC1": "lots"}}, ValidationFailed),
    ({"unit": "U02"}, ValidationFailed),
])
def test_a_refused_report_changes_nothing(submissions, db_of, payload, error):
    before = snapshot(db_of("submissions"))
    with pytest.raises(error):
        call(submissions, "submit_report", payload, ACTOR)
    assert snapshot(db_of("submissions")) == before


def test_a_second_report_for_the_same_period_is_refused(submissions, db_of):
    call(submissions, "submit_report", GOOD, ACTOR)
    before = snapshot(db_of("submissions"))
    with pytest.raises(ReportExists):
        call(submissions, "submit_report", GOOD, ACTOR)
    assert snapshot(db_of("submissions")) == before


def test_a_unit_outside_any_cluster_and_a_planned_period_are_refused(submissions, db_of):
    data = {"units": [{"_id": "U77", "name": "Đơn vị ngoài cụm", "type": "department"}],
            "periods": [{"_id": "2021-Q2", "kind": "quarter", "year": 2021, "state": "PLANNED"}]}
    call(submissions, "load_reference_data", data, {"id": "loader"})
    with pytest.raises(NotAMember):
        call(submissions, "submit_report", {**GOOD, "unit": "U77"}, ACTOR)
    with pytest.raises(PeriodNotOpen):
        call(submissions, "submit_report", {**GOOD, "period": "2021-Q2"}, ACTOR)


def test_if_the_event_cannot_be_recorded_the_report_is_not_stored_either(submissions, db_of, monkeypatch):
    def broken(db, session, event):
        db["outbox"].insert_one({"_id": "half-written"}, session=session)
        raise RuntimeError("outbox write failed")
    monkeypatch.setattr(outbox, "record", broken)
    before = snapshot(db_of("submissions"))
    with pytest.raises(RuntimeError):
        call(submissions, "submit_report", GOOD, ACTOR)
    assert snapshot(db_of("submissions")) == before


def test_loading_reference_data_twice_changes_nothing_the_second_time(submissions, db_of):
    audit_before = db_of("submissions").audit.count_documents({})
    assert call(submissions, "load_reference_data", demo_data(), {"id": "loader"}) == {
        "units": 0, "clusters": 0, "periods": 0, "people": 0}
    assert db_of("submissions").audit.count_documents({}) == audit_before


def test_the_cluster_leaders_are_the_provincial_leaders_office_and_lead_and_deputy_units(submissions):
    people = {p["id"] for p in call(submissions, "cluster_leaders", "CUM-01")}
    assert people == {"thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02"}
