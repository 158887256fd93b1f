"""The lifecycles of a period and of a report: the one table of their states and moves,
read by the aggregates (``domain/period.py``, ``domain/report.py``). Pure: no I/O.
Who may move them is ``domain/access.py``'s.

A cluster's run of a period (kỳ thi đua): PLANNED -> OPEN -> CLOSED -> SCORING -> VOTING -> CONCLUDED
-> ARCHIVED, and CONCLUDED -> (reopen) -> VOTING or SCORING as before the conclusion.
Report (báo cáo): DRAFT -> SUBMITTED -> (RETURNED -> RESUBMITTED)* -> REVIEWED -> FINALIZED; a handed-in
report not yet reviewed may be EXCLUDED (with a reason) instead.
Submissions after the deadline are accepted and flagged late, never refused.
"""
from thidua.errors import InvalidTransition

PERIOD_STATES = ("PLANNED", "OPEN", "CLOSED", "SCORING", "VOTING", "CONCLUDED", "ARCHIVED")
# action: (the states it starts from, the state it leads to, event type). Each cluster runs a period
# on its own (a run, ``domain/period.py``). ``conclude`` starts from VOTING, or from SCORING where
# the cluster's rules hold no vote; ``reopen`` leads back to the state the run was concluded from.
PERIOD_ACTIONS = {
    "open": (("PLANNED",), "OPEN", "period.opened.v2"),
    "close": (("OPEN",), "CLOSED", "period.closed.v2"),
    "start_scoring": (("CLOSED",), "SCORING", "period.scoring_started.v2"),
    "start_voting": (("SCORING",), "VOTING", "period.voting_started.v2"),
    "conclude": (("VOTING", "SCORING"), "CONCLUDED", "period.concluded.v2"),
    "archive": (("CONCLUDED",), "ARCHIVED", "period.archived.v2"),
    "reopen": (("CONCLUDED",), None, "period.reopened.v1"),
}
FINAL_PERIOD_STATES = ("CONCLUDED", "ARCHIVED")   # nothing changes the reports, votes or ranking then

REPORT_STATES = ("DRAFT", "SUBMITTED", "RETURNED", "RESUBMITTED", "REVIEWED", "FINALIZED", "EXCLUDED")
REPORT_ACTIONS = {  # action: ({from: to}, event type)
    "submit": ({"DRAFT": "SUBMITTED", "RETURNED": "RESUBMITTED"}, None),  # event by target state
    "return": ({"SUBMITTED": "RETURNED", "RESUBMITTED": "RETURNED"}, "report.returned.v1"),
    "review": ({"SUBMITTED": "REVIEWED", "RESUBMITTED": "REVIEWED", "REVIEWED": "REVIEWED"}, "report.reviewed.v1"),
    "finalize": ({"REVIEWED": "FINALIZED"}, "report.finalized.v1"),
    # Left out of the ranking, with the reason, so that the run can be concluded without it.
    "exclude": ({"SUBMITTED": "EXCLUDED", "RESUBMITTED": "EXCLUDED", "RETURNED": "EXCLUDED"}, "report.excluded.v1"),
}
SETTLED_REPORT_STATES = ("REVIEWED", "FINALIZED", "EXCLUDED")   # what a run may be concluded with
SUBMIT_EVENTS = {"SUBMITTED": "report.submitted.v1", "RESUBMITTED": "report.resubmitted.v1"}
EDITABLE_REPORT_STATES = ("DRAFT", "RETURNED")

# Periods in which a unit may hand in (or resubmit) its report; CLOSED means late.
REPORTING_PERIOD_STATES = ("OPEN", "CLOSED", "SCORING")
REVIEWING_PERIOD_STATES = ("OPEN", "CLOSED", "SCORING", "VOTING")


def period_transition(state, action):
    """The state ``action`` leads to from ``state`` (``None`` for ``reopen``: the state before the
    conclusion), with its event type."""
    if action not in PERIOD_ACTIONS:
        raise InvalidTransition(f"Unknown period action {action!r}; use one of {', '.join(PERIOD_ACTIONS)}.")
    sources, target, event_type = PERIOD_ACTIONS[action]
    if state not in sources:
        raise InvalidTransition(f"A period can {action.replace('_', ' ')} only from {' or '.join(sources)}; "
                                f"it is {state}.")
    return target, event_type


def report_transition(state, action):
    if action not in REPORT_ACTIONS:
        raise InvalidTransition(f"Unknown report action {action!r}; use one of {', '.join(REPORT_ACTIONS)}.")
    moves, event_type = REPORT_ACTIONS[action]
    if state not in moves:
        allowed = ", ".join(moves)
        raise InvalidTransition(f"A report can be {action_past(action)} only when it is {allowed}; it is {state}.")
    target = moves[state]
    return target, event_type or SUBMIT_EVENTS[target]


def action_past(action):
    return {"submit": "submitted", "return": "returned", "review": "reviewed", "finalize": "finalized",
            "exclude": "excluded"}[action]

