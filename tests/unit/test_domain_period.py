"""A period (a calendar label) and each cluster's run of it (domain/period.py), without broker or
database: every transition, and every guard refusing with its error and changing nothing."""
import copy
from datetime import datetime, timezone

import pytest

from services.submissions import lifecycle
from services.submissions.domain.period import Facts, Period, Run, holds_vote
from thidua.caller import Caller
from thidua.errors import (Conflict, Forbidden, InvalidTransition, ReportsNotReviewed, StaleVersion, ValidationFailed,
                           VoteNotClosed)
from tests.unit.test_domain_access import ADMIN, CLUSTER, LEADER_U01, OFFICE, PROVINCE

NOW = datetime(2021, 5, 20, 9, tzinfo=timezone.utc)
PERIOD = {"_id": "2021-Q1", "label": "Quý I/2021", "year": 2021, "kind": "quarter", "deadline": None,
          "template": {"id": "T", "version": 1}}
CHAIR = Caller("thien.nh", "provincial_leader")
RUN = {**Run.new(PERIOD, CLUSTER), "chair": "thien.nh"}
VOTE_CLOSED, VOTE_OPEN = {"state": "CLOSED"}, {"state": "OPEN"}
SETTLED = [{"unit": "U01", "status": "REVIEWED"}, {"unit": "U02", "status": "FINALIZED"},
           {"unit": "U03", "status": "EXCLUDED"}]
NO_VOTE = {"voting": {"enabled": False}}


def facts(vote=VOTE_CLOSED, reports=SETTLED, template=None):
    return Facts(CLUSTER, template or {}, vote, reports, NOW)


def run(state, version=4, **more):
    return Run({**RUN, "state": state, "version": version, **more})


def body(action, version=4):
    return {"version": version, **({"conclusion": "Kết luận"} if action == "conclude" else {}),
            **({"reason": "Sửa điểm"} if action == "reopen" else {})}


@pytest.mark.parametrize("action, sources, target, event_type",
                         [(a, *m) for a, m in lifecycle.PERIOD_ACTIONS.items()])
def test_every_run_transition(action, sources, target, event_type):
    before = run(sources[0], concluded_from="VOTING")
    after, event = before.apply(action, body(action), OFFICE, facts())
    assert (after.state, after.document["version"]) == (target or "VOTING", 5)
    assert event.type == event_type
    assert {k: event.data[k] for k in ("cluster", "cluster_name", "level", "period", "label", "year", "state")} == {
        "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "level": "province", "period": "2021-Q1",
        "label": "Quý I/2021", "year": 2021, "state": target or "VOTING"}
    assert before.state == sources[0]


@pytest.mark.parametrize("state", lifecycle.PERIOD_STATES)
def test_every_refused_run_transition_changes_nothing(state):
    before = run(state)
    kept = copy.deepcopy(before.document)
    for action, (sources, _, _) in lifecycle.PERIOD_ACTIONS.items():
        if state not in sources:
            with pytest.raises(InvalidTransition):
                before.apply(action, body(action), OFFICE, facts())
    with pytest.raises(InvalidTransition, match="Unknown period action"):
        before.apply("restart", {"version": 4}, OFFICE, facts())
    assert before.document == kept


def test_the_chair_concludes_with_the_text_stored_on_the_run_and_sent_in_the_event():
    after, event = run("VOTING").apply("conclude", {"version": 4, "conclusion": "  Kết luận của đồng chí Phó Giám đốc "},
                                       CHAIR, facts())
    conclusion = {"text": "Kết luận của đồng chí Phó Giám đốc", "by": "thien.nh", "at": NOW}
    assert after.document["conclusion"] == conclusion and after.document["concluded_from"] == "VOTING"
    assert (event.data["conclusion"], event.data["chair"]) == (conclusion, "thien.nh")


@pytest.mark.parametrize("caller", [ADMIN, LEADER_U01, PROVINCE, Caller("other.leader", "provincial_leader")])
def test_only_the_standing_office_or_the_runs_chair_concludes_or_reopens(caller):
    with pytest.raises(Forbidden):
        run("VOTING").apply("conclude", body("conclude"), caller, facts())
    with pytest.raises(Forbidden):
        run("CONCLUDED", concluded_from="VOTING").apply("reopen", body("reopen"), caller, facts())


@pytest.mark.parametrize("caller", [CHAIR, LEADER_U01])
def test_the_other_moves_stay_the_administrators_and_the_standing_offices(caller):
    with pytest.raises(Forbidden):
        run("PLANNED").apply("open", body("open"), caller, facts())
    assert run("PLANNED").apply("open", body("open"), ADMIN, facts())[0].state == "OPEN"


@pytest.mark.parametrize("state, action, payload, the_facts, error", [
    ("VOTING", "conclude", {"version": 4}, facts(), ValidationFailed),                  # no conclusion text
    ("VOTING", "conclude", {"version": 4, "conclusion": "   "}, facts(), ValidationFailed),
    ("VOTING", "conclude", {"version": 4, "conclusion": "x", "extra": 1}, facts(), ValidationFailed),
    ("VOTING", "conclude", {"version": 3, "conclusion": "x"}, facts(), StaleVersion),
    ("VOTING", "conclude", body("conclude"), facts(vote=None), VoteNotClosed),       # never opened
    ("VOTING", "conclude", body("conclude"), facts(vote=VOTE_OPEN), VoteNotClosed),  # ballot box still open
    ("VOTING", "conclude", body("conclude"), facts(reports=[*SETTLED, {"unit": "U04", "status": "SUBMITTED"}]),
     ReportsNotReviewed),
    ("VOTING", "conclude", body("conclude"), facts(reports=[{"unit": "U04", "status": "RETURNED"}]),
     ReportsNotReviewed),
    ("SCORING", "conclude", body("conclude"), facts(), InvalidTransition),             # the rules hold a vote
    ("VOTING", "conclude", body("conclude"), facts(template=NO_VOTE), InvalidTransition),  # no vote: from SCORING
    ("SCORING", "start_voting", body("start_voting"), facts(template=NO_VOTE), InvalidTransition),
    ("SCORING", "conclude", body("conclude"), facts(vote=None, template=NO_VOTE,
                                                    reports=[{"unit": "U04", "status": "SUBMITTED"}]),
     ReportsNotReviewed),
    ("CONCLUDED", "reopen", {"version": 4}, facts(), ValidationFailed),                # no reason
    ("CONCLUDED", "reopen", {"version": 4, "reason": ""}, facts(), ValidationFailed),
])
def test_every_guard_refuses_with_its_error_and_changes_nothing(state, action, payload, the_facts, error):
    before = run(state, concluded_from="VOTING")
    kept = copy.deepcopy(before.document)
    with pytest.raises(error) as raised:
        before.apply(action, payload, OFFICE, the_facts)
    assert before.document == kept
    if error is ReportsNotReviewed:
        assert raised.value.details["units"] == ["U04"]


def test_a_cluster_whose_rules_hold_no_vote_concludes_from_scoring():
    after, _ = run("SCORING").apply("conclude", body("conclude"), OFFICE, facts(vote=None, template=NO_VOTE))
    assert (after.state, after.document["concluded_from"]) == ("CONCLUDED", "SCORING")
    assert holds_vote({}) and holds_vote({"voting": {"threshold": 0.5}}) and not holds_vote(NO_VOTE)


def test_reopening_goes_back_to_the_state_before_the_conclusion_and_keeps_the_reason():
    concluded, _ = run("SCORING").apply("conclude", body("conclude"), CHAIR, facts(vote=None, template=NO_VOTE))
    reopened, event = concluded.apply("reopen", {"version": 5, "reason": "Sửa điểm U02"}, CHAIR, facts())
    assert (reopened.state, reopened.document["conclusion"]) == ("SCORING", None)
    assert reopened.document["reopened"] == [{"reason": "Sửa điểm U02", "by": "thien.nh", "at": NOW,
                                              "conclusion": concluded.document["conclusion"]}]
    assert event.type == "period.reopened.v1" and (event.data["reason"], event.data["by"]) == ("Sửa điểm U02",
                                                                                                "thien.nh")


def test_a_run_overrides_its_periods_deadline_template_and_chair_and_keeps_them_on_replanning():
    templates, chairs = {("T", 1), ("T2", 1)}, {"thien.nh"}
    changed = Run(RUN).override({"version": 1, "deadline": "2021-04-12T17:00:00+07:00",
                                 "template": {"id": "T2", "version": 1}, "chair": "thien.nh"},
                                OFFICE, templates, chairs)
    assert changed.document["template"] == {"id": "T2", "version": 1}
    assert changed.document["overrides"] == ["chair", "deadline", "template"]
    assert changed.replanned({**PERIOD, "label": "Quý 1/2021"})["template"] == {"id": "T2", "version": 1}
    assert Run(RUN).replanned({**PERIOD, "template": {"id": "T2", "version": 1}})["template"]["id"] == "T2"
    assert Run(RUN).replanned(PERIOD) is None


@pytest.mark.parametrize("state, payload, caller, error", [
    ("PLANNED", {"version": 1, "chair": "nobody"}, OFFICE, ValidationFailed),
    ("PLANNED", {"version": 1, "template": {"id": "T9", "version": 1}}, OFFICE, ValidationFailed),
    ("PLANNED", {"version": 1, "colour": "red"}, OFFICE, ValidationFailed),
    ("PLANNED", {"version": 2, "chair": None}, OFFICE, StaleVersion),
    ("PLANNED", {"version": 1, "chair": None}, LEADER_U01, Forbidden),
    ("VOTING", {"version": 1, "deadline": "2021-04-12T17:00:00+07:00"}, OFFICE, InvalidTransition),
    ("CONCLUDED", {"version": 1, "chair": None}, OFFICE, InvalidTransition),
])
def test_a_refused_override_changes_nothing(state, payload, caller, error):
    before = Run({**RUN, "state": state})
    with pytest.raises(error):
        before.override(payload, caller, {("T", 1)}, {"thien.nh"})
    assert before.document == {**RUN, "state": state}


def test_which_states_take_reports_and_reviews():
    taking = {s for s in lifecycle.PERIOD_STATES if run(s).takes_reports}
    reviewing = {s for s in lifecycle.PERIOD_STATES if run(s).takes_reviews}
    assert taking == {"OPEN", "CLOSED", "SCORING"} and reviewing == taking | {"VOTING"}
    assert {s for s in lifecycle.PERIOD_STATES if run(s).concluded} == {"CONCLUDED", "ARCHIVED"}


def test_planning_a_period_keeps_a_label_without_state_and_replanning_bumps_its_version():
    clean = {k: v for k, v in PERIOD.items()}
    assert Period.plan(clean, None, []) == {**PERIOD, "version": 1}
    assert Period.plan(clean, {**PERIOD, "version": 1}, []) is None   # already so: nothing to write
    assert Period.plan({**clean, "label": "Quý 1"}, {**PERIOD, "version": 1}, []) == \
        {**PERIOD, "label": "Quý 1", "version": 2}


def test_a_period_that_a_cluster_has_started_is_not_replanned():
    stored = {**PERIOD, "version": 1}
    assert Period.plan(dict(PERIOD), stored, ["CUM-01"]) is None    # the same plan again is no change
    with pytest.raises(Conflict, match="CUM-01"):
        Period.plan({**PERIOD, "label": "Quý 1"}, stored, ["CUM-01"])
