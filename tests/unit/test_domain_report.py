"""Every transition of a report (domain/report.py), without broker or database."""
from datetime import datetime, timedelta, timezone

import pytest

from services.submissions import lifecycle
from services.submissions.domain.report import Report, Scope, identify
from thidua.caller import Caller
from thidua.errors import Forbidden, InvalidTransition, PeriodNotOpen, RunConcluded, StaleVersion, ValidationFailed
from thidua.events import new_event
from tests.helpers import TEMPLATE_REF, demo_template
from tests.unit.test_domain_access import CLUSTER, LEADER_U01, LEADER_U03, OFFICER_U01, OFFICER_U03

DEADLINE = datetime(2021, 4, 10, 10, tzinfo=timezone.utc)
EARLY, LATE = DEADLINE - timedelta(days=3), DEADLINE + timedelta(days=1)
PERIOD = {"_id": "CUM-01:2021-Q1", "cluster": "CUM-01", "period": "2021-Q1", "label": "Quý I/2021", "year": 2021,
          "state": "OPEN", "version": 2, "deadline": DEADLINE, "template": TEMPLATE_REF}
GOOD = {"unit": "U03", "period": "2021-Q1", "values": {"C1.1": {"actual": 100}}, "self_scores": {"C1.1": 10}}


def scope(state="OPEN"):
    return Scope({"_id": "U03", "name": "Công an huyện"}, {**PERIOD, "state": state}, CLUSTER, demo_template())


def new(payload=GOOD, now=EARLY, state="OPEN"):
    return Report.new(payload, OFFICER_U03, scope(state), now, "r-1", "cid")


def in_status(status, version=3):
    report, _ = new({**GOOD, "draft": True})
    return Report({**report.document, "status": status, "version": version})


def test_a_report_handed_in_at_once_is_submitted_and_raises_its_event():
    report, events = new()
    doc = report.document
    assert (doc["status"], doc["version"], doc["self_total"], doc["late"], doc["submitted_at"]) == \
        ("SUBMITTED", 1, 10, False, EARLY)
    assert (doc["unit"], doc["cluster"], doc["period"], doc["created_by"]) == ("U03", "CUM-01", "2021-Q1", "o3")
    assert doc["history"] == [{"status": "SUBMITTED", "at": EARLY, "by": "o3"}]
    [event] = events
    assert event.type == "report.submitted.v1"
    assert (event.data["unit_name"], event.data["cluster_name"], event.data["total"]) == \
        ("Công an huyện", "Cụm thi đua số 1", 10)
    from thidua.mongo import public
    new_event(event.type, public(event.data), "cid")   # honours the contract once written out


def test_a_draft_raises_no_event_and_may_be_saved_while_the_period_is_planned():
    report, events = new({**GOOD, "draft": True}, state="PLANNED")
    assert (report.status, report.document["submitted_at"], events) == ("DRAFT", None, [])


def test_a_report_after_the_deadline_is_accepted_and_flagged_late():
    report, _ = new(now=LATE, state="CLOSED")
    assert report.status == "SUBMITTED" and report.document["late"] is True


@pytest.mark.parametrize("state, error", [("PLANNED", PeriodNotOpen), ("VOTING", PeriodNotOpen),
                                          ("CONCLUDED", RunConcluded), ("ARCHIVED", RunConcluded)])
def test_a_report_is_not_handed_in_outside_the_reporting_states(state, error):
    with pytest.raises(error, match=state):
        new(state=state)


def test_no_report_not_even_a_draft_is_made_on_a_concluded_run():
    with pytest.raises(RunConcluded):
        new({**GOOD, "draft": True}, state="CONCLUDED")


def test_a_backfilled_report_keeps_its_hand_in_time_and_source_and_is_late_only_after_the_deadline():
    admin = Caller("admin", "administrator")
    on_time, events = Report.backfill({**GOOD, "submitted_at": "2021-04-09T08:00:00+07:00", "source": "paper"},
                                      admin, scope("CLOSED"), LATE, "r-1", "cid")
    doc = on_time.document
    assert (doc["status"], doc["late"], doc["source"], doc["created_by"]) == ("SUBMITTED", False, "paper", "admin")
    assert doc["submitted_at"] == datetime(2021, 4, 9, 1, tzinfo=timezone.utc) and events[0].data["source"] == "paper"
    late, _ = Report.backfill({**GOOD, "submitted_at": "2021-04-11T08:00:00+07:00"}, admin, scope(), LATE, "r-2",
                              "cid")
    assert (late.document["late"], late.document["source"]) == (True, "backfill")


@pytest.mark.parametrize("payload, caller, state, error", [
    ({**GOOD, "submitted_at": "2021-04-09T08:00:00+07:00"}, OFFICER_U03, "OPEN", Forbidden),
    ({**GOOD, "submitted_at": "yesterday"}, Caller("admin", "administrator"), "OPEN", ValidationFailed),
    ({**GOOD, "submitted_at": "2031-04-09T08:00:00+07:00"}, Caller("admin", "administrator"), "OPEN",
     ValidationFailed),
    ({**GOOD, "submitted_at": "2021-04-09T08:00:00+07:00"}, Caller("admin", "administrator"), "CONCLUDED",
     RunConcluded),
])
def test_a_refused_backfill(payload, caller, state, error):
    with pytest.raises(error):
        Report.backfill(payload, caller, scope(state), LATE, "r-1", "cid")


def test_a_handed_in_report_is_excluded_with_a_reason_and_nothing_else():
    report = in_status("SUBMITTED")
    with pytest.raises(ValidationFailed):
        report.apply("exclude", {"version": 3}, LEADER_U01, scope("VOTING"), LATE)
    with pytest.raises(Forbidden):
        report.apply("exclude", {"version": 3, "reason": "x"}, OFFICER_U03, scope("VOTING"), LATE)
    excluded, event = report.apply("exclude", {"version": 3, "reason": "Báo cáo trùng"}, LEADER_U01, scope("VOTING"),
                                   LATE)
    assert (excluded.status, excluded.document["excluded_reason"]) == ("EXCLUDED", "Báo cáo trùng")
    assert event.type == "report.excluded.v1" and event.data["reason"] == "Báo cáo trùng"
    assert report.status == "SUBMITTED"


@pytest.mark.parametrize("payload, error", [
    ({**GOOD, "values": {"ZZ": {"actual": 1}}}, ValidationFailed),
    ({**GOOD, "self_scores": {"C1.1": 99}}, ValidationFailed),
])
def test_a_bad_report_is_refused(payload, error):
    with pytest.raises(error):
        new(payload)


def test_only_the_units_people_create_its_report():
    with pytest.raises(Forbidden):
        Report.new(GOOD, OFFICER_U01, scope(), EARLY, "r-1", "cid")


def test_identify_names_unknown_fields_and_the_unit_and_period():
    assert identify(GOOD) == ("U03", "2021-Q1")
    with pytest.raises(ValidationFailed, match="colour"):
        identify({**GOOD, "colour": "red"})


def test_a_draft_or_returned_report_is_changed_with_its_version():
    for status in lifecycle.EDITABLE_REPORT_STATES:
        changed = in_status(status).update({"version": 3, "self_scores": {"C1.1": 9.5}}, OFFICER_U03, scope())
        assert (changed.document["version"], changed.document["self_total"], changed.status) == (4, 9.5, status)


@pytest.mark.parametrize("payload, caller, status, error", [
    ({"version": 2}, OFFICER_U03, "DRAFT", StaleVersion),
    ({}, OFFICER_U03, "DRAFT", ValidationFailed),
    ({"version": 3, "unit": "U01"}, OFFICER_U03, "DRAFT", ValidationFailed),
    ({"version": 3}, OFFICER_U01, "DRAFT", Forbidden),
    ({"version": 3}, OFFICER_U03, "SUBMITTED", InvalidTransition),
    ({"version": 3}, OFFICER_U03, "FINALIZED", InvalidTransition),
    ([], OFFICER_U03, "DRAFT", ValidationFailed),
])
def test_a_refused_change(payload, caller, status, error):
    with pytest.raises(error):
        in_status(status).update(payload, caller, scope())


WHO = {"submit": OFFICER_U03, "return": LEADER_U01, "review": LEADER_U01, "finalize": LEADER_U01,
       "exclude": LEADER_U01}
BODY = {"return": {"reason": "Thiếu số liệu"}, "review": {"review": {"C1.1": {"points": 9, "comment": "ok"}}},
        "exclude": {"reason": "Thiếu số liệu"}}


@pytest.mark.parametrize("status, action", [(s, a) for a, (moves, _) in lifecycle.REPORT_ACTIONS.items()
                                            for s in moves])
def test_every_report_transition(status, action):
    before = in_status(status)
    after, event = before.apply(action, {"version": 3, **BODY.get(action, {})}, WHO[action], scope(), LATE)
    target, event_type = lifecycle.report_transition(status, action)
    assert (after.status, after.document["version"], event.type) == (target, 4, event_type)
    assert after.document["history"][-1] == {"status": target, "at": LATE, "by": WHO[action].id,
                                             **({"reason": "Thiếu số liệu"} if action in ("return", "exclude") else {})}
    assert event.data["status"] == target and event.data["version"] == 4
    assert before.document["version"] == 3   # the aggregate returns a new report; the old one is as it was


def test_a_resubmission_clears_the_return_reason_and_is_dated_again():
    returned, event = in_status("SUBMITTED").apply("return", {"version": 3, "reason": "Bổ sung"}, LEADER_U01,
                                                   scope(), EARLY)
    assert returned.document["return_reason"] == "Bổ sung" and event.data["reason"] == "Bổ sung"
    resubmitted, event = returned.apply("submit", {"version": 4}, OFFICER_U03, scope("CLOSED"), LATE)
    assert (resubmitted.status, resubmitted.document["return_reason"], resubmitted.document["submitted_at"],
            resubmitted.document["late"], event.type) == ("RESUBMITTED", None, LATE, True, "report.resubmitted.v1")


def test_reviews_merge_and_name_the_reviewer():
    first, _ = in_status("SUBMITTED").apply("review", {"version": 3, "review": {"C1.1": {"points": 9}}},
                                            LEADER_U01, scope(), EARLY)
    second, _ = first.apply("review", {"version": 4, "review": {"C1.2": {"points": 10, "comment": "Đạt"}}},
                            LEADER_U01, scope(), EARLY)
    assert second.document["review"] == {"C1.1": {"points": 9, "comment": None},
                                         "C1.2": {"points": 10, "comment": "Đạt"}}
    assert second.document["reviewed_by"] == "l1"


@pytest.mark.parametrize("action, payload, caller, status, state, error", [
    ("celebrate", {"version": 3}, LEADER_U01, "SUBMITTED", "OPEN", InvalidTransition),
    ("finalize", {"version": 3}, LEADER_U01, "SUBMITTED", "OPEN", InvalidTransition),
    ("submit", {"version": 3}, OFFICER_U03, "SUBMITTED", "OPEN", InvalidTransition),
    ("review", {"version": 2}, LEADER_U01, "SUBMITTED", "OPEN", StaleVersion),
    ("review", {}, LEADER_U01, "SUBMITTED", "OPEN", ValidationFailed),
    ("return", {"version": 3}, LEADER_U01, "SUBMITTED", "OPEN", ValidationFailed),
    ("return", {"version": 3, "reason": "x", "extra": 1}, LEADER_U01, "SUBMITTED", "OPEN", ValidationFailed),
    ("review", {"version": 3, "review": {"C1.1": {"points": 99}}}, LEADER_U01, "SUBMITTED", "OPEN",
     ValidationFailed),
    ("return", {"version": 3, "reason": "x"}, OFFICER_U01, "SUBMITTED", "OPEN", Forbidden),
    ("review", {"version": 3}, LEADER_U03, "SUBMITTED", "OPEN", Forbidden),
    ("submit", {"version": 3}, LEADER_U01, "DRAFT", "OPEN", Forbidden),
    ("submit", {"version": 3}, OFFICER_U03, "DRAFT", "VOTING", PeriodNotOpen),
    ("review", {"version": 3}, LEADER_U01, "SUBMITTED", "CONCLUDED", RunConcluded),
    ("review", "not an object", LEADER_U01, "SUBMITTED", "OPEN", ValidationFailed),
])
def test_every_refused_action(action, payload, caller, status, state, error):
    with pytest.raises(error) as refused:
        in_status(status).apply(action, payload, caller, scope(state), EARLY)
    assert refused.value.message
