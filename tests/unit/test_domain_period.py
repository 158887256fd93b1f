"""Every transition of a period run (domain/period.py), without broker or database."""
import pytest

from services.submissions import lifecycle
from services.submissions.domain.period import Period
from thidua.errors import Conflict, Forbidden, InvalidTransition, StaleVersion, ValidationFailed
from tests.unit.test_domain_access import ADMIN, LEADER_U01, OFFICE

PLANNED = {"_id": "2021-Q1", "label": "Quý I/2021", "year": 2021, "kind": "quarter", "state": "PLANNED",
           "version": 1}


@pytest.mark.parametrize("action, source, target, event_type", [(a, *m) for a, m in lifecycle.PERIOD_ACTIONS.items()])
def test_every_period_transition(action, source, target, event_type):
    before = Period({**PLANNED, "state": source, "version": 4})
    after, event = before.apply(action, OFFICE, 4)
    assert (after.document["state"], after.document["version"]) == (target, 5)
    assert event == (event_type, {"period": "2021-Q1", "label": "Quý I/2021", "state": target, "year": 2021})
    assert before.document["state"] == source


@pytest.mark.parametrize("state", lifecycle.PERIOD_STATES)
def test_every_refused_period_transition(state):
    period = Period({**PLANNED, "state": state})
    for action, (source, _, _) in lifecycle.PERIOD_ACTIONS.items():
        if state != source:
            with pytest.raises(InvalidTransition, match=f"only from {source}"):
                period.apply(action, ADMIN, 1)
    with pytest.raises(InvalidTransition, match="Unknown period action"):
        period.apply("reopen", ADMIN, 1)


@pytest.mark.parametrize("caller, version, error", [(LEADER_U01, 1, Forbidden), (OFFICE, 0, StaleVersion),
                                                    (OFFICE, None, ValidationFailed), (OFFICE, True, ValidationFailed)])
def test_a_period_moves_only_by_its_managers_from_the_version_they_saw(caller, version, error):
    with pytest.raises(error):
        Period(PLANNED).apply("open", caller, version)


def test_which_states_take_reports_and_reviews():
    taking = {s for s in lifecycle.PERIOD_STATES if Period({**PLANNED, "state": s}).takes_reports}
    reviewing = {s for s in lifecycle.PERIOD_STATES if Period({**PLANNED, "state": s}).takes_reviews}
    assert taking == {"OPEN", "CLOSED", "SCORING"} and reviewing == taking | {"VOTING"}


def test_planning_a_new_period_starts_it_planned_and_replanning_bumps_its_version():
    clean = {k: v for k, v in PLANNED.items() if k not in ("state", "version")}
    assert Period.plan(clean, None) == PLANNED
    assert Period.plan(clean, PLANNED) is None   # already so: nothing to write
    assert Period.plan({**clean, "label": "Quý 1"}, PLANNED) == {**PLANNED, "label": "Quý 1", "version": 2}


def test_a_period_that_has_opened_is_not_replanned():
    clean = {k: v for k, v in PLANNED.items() if k not in ("state", "version")}
    opened = {**PLANNED, "state": "OPEN", "version": 2}
    assert Period.plan(clean, opened) is None    # the same plan again is no change
    with pytest.raises(Conflict, match="only a PLANNED period"):
        Period.plan({**clean, "label": "Quý 1"}, opened)
