import pytest

from services.submissions import lifecycle
from thidua.errors import Forbidden, InvalidTransition

CLUSTER = {"_id": "CUM-01", "members": [{"unit": "U01", "role": "lead"}, {"unit": "U02", "role": "deputy"},
                                        {"unit": "U03", "role": "member"}]}
OFFICER_U03 = {"id": "o3", "role": "unit_officer", "unit": "U03"}
LEADER_U01 = {"id": "l1", "role": "unit_leader", "unit": "U01"}
LEADER_U03 = {"id": "l3", "role": "unit_leader", "unit": "U03"}
OFFICER_U01 = {"id": "o1", "role": "unit_officer", "unit": "U01"}


@pytest.mark.parametrize("state, action, target, event", [
    ("PLANNED", "open", "OPEN", "period.opened.v1"),
    ("OPEN", "close", "CLOSED", "period.closed.v1"),
    ("CLOSED", "start_scoring", "SCORING", "period.scoring_started.v1"),
    ("SCORING", "start_voting", "VOTING", "period.voting_started.v1"),
    ("VOTING", "conclude", "CONCLUDED", "period.concluded.v1"),
    ("CONCLUDED", "archive", "ARCHIVED", "period.archived.v1"),
])
def test_every_period_transition(state, action, target, event):
    assert lifecycle.period_transition(state, action) == (target, event)


@pytest.mark.parametrize("state", lifecycle.PERIOD_STATES)
def test_every_refused_period_transition(state):
    for action, (source, _, _) in lifecycle.PERIOD_ACTIONS.items():
        if state != source:
            with pytest.raises(InvalidTransition, match=f"only from {source}"):
                lifecycle.period_transition(state, action)
    with pytest.raises(InvalidTransition, match="Unknown period action"):
        lifecycle.period_transition(state, "reopen")


@pytest.mark.parametrize("state, action, target, event", [
    ("DRAFT", "submit", "SUBMITTED", "report.submitted.v1"),
    ("RETURNED", "submit", "RESUBMITTED", "report.resubmitted.v1"),
    ("SUBMITTED", "return", "RETURNED", "report.returned.v1"),
    ("RESUBMITTED", "return", "RETURNED", "report.returned.v1"),
    ("SUBMITTED", "review", "REVIEWED", "report.reviewed.v1"),
    ("RESUBMITTED", "review", "REVIEWED", "report.reviewed.v1"),
    ("REVIEWED", "review", "REVIEWED", "report.reviewed.v1"),
    ("REVIEWED", "finalize", "FINALIZED", "report.finalized.v1"),
])
def test_every_report_transition(state, action, target, event):
    assert lifecycle.report_transition(state, action) == (target, event)


def test_every_refused_report_transition():
    allowed = {(s, a) for a, (moves, _, _) in lifecycle.REPORT_ACTIONS.items() for s in moves}
    refused = [(s, a) for s in lifecycle.REPORT_STATES for a in lifecycle.REPORT_ACTIONS if (s, a) not in allowed]
    assert ("FINALIZED", "submit") in refused and ("DRAFT", "review") in refused
    for state, action in refused:
        with pytest.raises(InvalidTransition, match=f"it is {state}"):
            lifecycle.report_transition(state, action)


def test_only_the_units_own_people_act_for_its_report():
    report = {"unit": "U03"}
    lifecycle.require_report_actor(OFFICER_U03, "submit", report, CLUSTER)
    for other in (OFFICER_U01, LEADER_U01, {"id": "a", "role": "administrator", "unit": None}):
        with pytest.raises(Forbidden, match="officers of unit U03"):
            lifecycle.require_report_actor(other, "submit", report, CLUSTER)


@pytest.mark.parametrize("action", ["return", "review", "finalize"])
def test_only_leaders_of_the_lead_and_deputy_units_review(action):
    report = {"unit": "U03"}
    lifecycle.require_report_actor(LEADER_U01, action, report, CLUSTER)
    lifecycle.require_report_actor({"id": "l2", "role": "unit_leader", "unit": "U02"}, action, report, CLUSTER)
    for other in (OFFICER_U01, LEADER_U03, OFFICER_U03, {"id": "p", "role": "provincial_leader", "unit": None}):
        with pytest.raises(Forbidden, match="lead or deputy unit"):
            lifecycle.require_report_actor(other, action, report, CLUSTER)


def test_periods_are_moved_by_the_administrator_or_the_standing_office():
    lifecycle.require_period_manager({"role": "administrator"})
    lifecycle.require_period_manager({"role": "standing_office"})
    with pytest.raises(Forbidden):
        lifecycle.require_period_manager({"role": "unit_leader"})
