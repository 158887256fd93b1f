"""The lifecycles of a period and of a report: the one table of their states and moves,
read by the aggregates (``domain/period.py``, ``domain/report.py``). Pure: no I/O.
Who may move them is ``domain/access.py``'s.

Period (kỳ thi đua): PLANNED -> OPEN -> CLOSED -> SCORING -> VOTING -> CONCLUDED -> ARCHIVED.
Report (báo cáo): DRAFT -> SUBMITTED -> (RETURNED -> RESUBMITTED)* -> REVIEWED -> FINALIZED.
Submissions after the deadline are accepted and flagged late, never refused.
"""
from thidua.errors import InvalidTransition

PERIOD_STATES = ("PLANNED", "OPEN", "CLOSED", "SCORING", "VOTING", "CONCLUDED", "ARCHIVED")
PERIOD_ACTIONS = {  # action: (from, to, event type)
    "open": ("PLANNED", "OPEN", "period.opened.v1"),
    "close": ("OPEN", "CLOSED", "period.closed.v1"),
    "start_scoring": ("CLOSED", "SCORING", "period.scoring_started.v1"),
    "start_voting": ("SCORING", "VOTING", "period.voting_started.v1"),
    "conclude": ("VOTING", "CONCLUDED", "period.concluded.v1"),
    "archive": ("CONCLUDED", "ARCHIVED", "period.archived.v1"),
}

REPORT_STATES = ("DRAFT", "SUBMITTED", "RETURNED", "RESUBMITTED", "REVIEWED", "FINALIZED")
REPORT_ACTIONS = {  # action: ({from: to}, event type)
    "submit": ({"DRAFT": "SUBMITTED", "RETURNED": "RESUBMITTED"}, None),  # event by target state
    "return": ({"SUBMITTED": "RETURNED", "RESUBMITTED": "RETURNED"}, "report.returned.v1"),
    "review": ({"SUBMITTED": "REVIEWED", "RESUBMITTED": "REVIEWED", "REVIEWED": "REVIEWED"}, "report.reviewed.v1"),
    "finalize": ({"REVIEWED": "FINALIZED"}, "report.finalized.v1"),
}
SUBMIT_EVENTS = {"SUBMITTED": "report.submitted.v1", "RESUBMITTED": "report.resubmitted.v1"}
EDITABLE_REPORT_STATES = ("DRAFT", "RETURNED")

# Periods in which a unit may hand in (or resubmit) its report; CLOSED means late.
REPORTING_PERIOD_STATES = ("OPEN", "CLOSED", "SCORING")
REVIEWING_PERIOD_STATES = ("OPEN", "CLOSED", "SCORING", "VOTING")


def period_transition(state, action):
    """The state ``action`` leads to from ``state``, with its event type."""
    if action not in PERIOD_ACTIONS:
        raise InvalidTransition(f"Unknown period action {action!r}; use one of {', '.join(PERIOD_ACTIONS)}.")
    source, target, event_type = PERIOD_ACTIONS[action]
    if state != source:
        raise InvalidTransition(f"A period can {action.replace('_', ' ')} only from {source}; it is {state}.")
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
    return {"submit": "submitted", "return": "returned", "review": "reviewed", "finalize": "finalized"}[action]

