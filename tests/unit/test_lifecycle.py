"""The state tables of a period and a report (who may move them: test_domain_access.py)."""
import pytest

from services.submissions import lifecycle
from thidua.errors import InvalidTransition


@pytest.mark.parametrize("state, action, target, event", [
    ("PLANNED", "open", "OPEN", "period.opened.v2"),
    ("OPEN", "close", "CLOSED", "period.closed.v2"),
    ("CLOSED", "start_scoring", "SCORING", "period.scoring_started.v2"),
    ("SCORING", "start_voting", "VOTING", "period.voting_started.v2"),
    ("VOTING", "conclude", "CONCLUDED", "period.concluded.v2"),
    ("SCORING", "conclude", "CONCLUDED", "period.concluded.v2"),   # where the rules hold no vote
    ("CONCLUDED", "archive", "ARCHIVED", "period.archived.v2"),
    ("CONCLUDED", "reopen", None, "period.reopened.v1"),           # back to the state before the conclusion
])
def test_every_period_transition(state, action, target, event):
    assert lifecycle.period_transition(state, action) == (target, event)


@pytest.mark.parametrize("state", lifecycle.PERIOD_STATES)
def test_every_refused_period_transition(state):
    for action, (sources, _, _) in lifecycle.PERIOD_ACTIONS.items():
        if state not in sources:
            with pytest.raises(InvalidTransition, match=f"only from {' or '.join(sources)}"):
                lifecycle.period_transition(state, action)
    with pytest.raises(InvalidTransition, match="Unknown period action"):
        lifecycle.period_transition(state, "restart")


@pytest.mark.parametrize("state, action, target, event", [
    ("DRAFT", "submit", "SUBMITTED", "report.submitted.v1"),
    ("RETURNED", "submit", "RESUBMITTED", "report.resubmitted.v1"),
    ("SUBMITTED", "return", "RETURNED", "report.returned.v1"),
    ("RESUBMITTED", "return", "RETURNED", "report.returned.v1"),
    ("SUBMITTED", "review", "REVIEWED", "report.reviewed.v1"),
    ("RESUBMITTED", "review", "REVIEWED", "report.reviewed.v1"),
    ("REVIEWED", "review", "REVIEWED", "report.reviewed.v1"),
    ("REVIEWED", "finalize", "FINALIZED", "report.finalized.v1"),
    ("SUBMITTED", "exclude", "EXCLUDED", "report.excluded.v1"),
    ("RETURNED", "exclude", "EXCLUDED", "report.excluded.v1"),
])
def test_every_report_transition(state, action, target, event):
    assert lifecycle.report_transition(state, action) == (target, event)


def test_every_refused_report_transition():
    allowed = {(s, a) for a, (moves, _) in lifecycle.REPORT_ACTIONS.items() for s in moves}
    refused = [(s, a) for s in lifecycle.REPORT_STATES for a in lifecycle.REPORT_ACTIONS if (s, a) not in allowed]
    assert ("FINALIZED", "submit") in refused and ("DRAFT", "review") in refused
    for state, action in refused:
        with pytest.raises(InvalidTransition, match=f"it is {state}"):
            lifecycle.report_transition(state, action)

