"""The lifecycles of a period and of a report, and who may move them. Pure: no I/O.

Period (kỳ thi đua): PLANNED -> OPEN -> CLOSED -> SCORING -> VOTING -> CONCLUDED -> ARCHIVED.
Report (báo cáo): DRAFT -> SUBMITTED -> (RETURNED -> RESUBMITTED)* -> REVIEWED -> FINALIZED.
Submissions after the deadline are accepted and flagged late, never refused.
"""
from thidua.errors import Forbidden, InvalidTransition

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
REPORT_ACTIONS = {  # action: ({from: to}, who, event type)
    "submit": ({"DRAFT": "SUBMITTED", "RETURNED": "RESUBMITTED"}, "unit", None),  # event by target state
    "return": ({"SUBMITTED": "RETURNED", "RESUBMITTED": "RETURNED"}, "cluster_lead", "report.returned.v1"),
    "review": ({"SUBMITTED": "REVIEWED", "RESUBMITTED": "REVIEWED", "REVIEWED": "REVIEWED"},
               "cluster_lead", "report.reviewed.v1"),
    "finalize": ({"REVIEWED": "FINALIZED"}, "cluster_lead", "report.finalized.v1"),
}
SUBMIT_EVENTS = {"SUBMITTED": "report.submitted.v1", "RESUBMITTED": "report.resubmitted.v1"}
EDITABLE_REPORT_STATES = ("DRAFT", "RETURNED")

# Periods in which a unit may hand in (or resubmit) its report; CLOSED means late.
REPORTING_PERIOD_STATES = ("OPEN", "CLOSED", "SCORING")
REVIEWING_PERIOD_STATES = ("OPEN", "CLOSED", "SCORING", "VOTING")

ADMIN_ROLES = ("administrator",)
PERIOD_MANAGER_ROLES = ("administrator", "standing_office")
CLUSTER_LEADING_ROLES = ("lead", "deputy")


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
    moves, _, event_type = REPORT_ACTIONS[action]
    if state not in moves:
        allowed = ", ".join(moves)
        raise InvalidTransition(f"A report can be {action_past(action)} only when it is {allowed}; it is {state}.")
    target = moves[state]
    return target, event_type or SUBMIT_EVENTS[target]


def action_past(action):
    return {"submit": "submitted", "return": "returned", "review": "reviewed", "finalize": "finalized"}[action]


# --- who may act -------------------------------------------------------------

def is_admin(actor):
    return actor.get("role") in ADMIN_ROLES


def require_admin(actor, what):
    if not is_admin(actor):
        raise Forbidden(f"Only an administrator may {what}.")


def require_period_manager(actor):
    if actor.get("role") not in PERIOD_MANAGER_ROLES:
        raise Forbidden("Only an administrator or the emulation standing office may move a period.")


def acts_for_unit(actor, unit):
    """Unit officers and leaders act for their own unit only."""
    return actor.get("role") in ("unit_officer", "unit_leader") and actor.get("unit") == unit


def leads_cluster(actor, cluster):
    """The leaders of the cluster's lead and deputy units (cụm trưởng, cụm phó) act for the cluster."""
    if actor.get("role") != "unit_leader":
        return False
    roles = {m["unit"]: m["role"] for m in cluster.get("members", [])}
    return roles.get(actor.get("unit")) in CLUSTER_LEADING_ROLES


def require_report_actor(actor, action, report, cluster):
    who = REPORT_ACTIONS[action][1] if action in REPORT_ACTIONS else "unit"
    if who == "unit" and not acts_for_unit(actor, report["unit"]):
        raise Forbidden(f"Only the officers of unit {report['unit']} may {action} its report.")
    if who == "cluster_lead" and not leads_cluster(actor, cluster):
        raise Forbidden(f"Only the lead or deputy unit of {cluster['_id']} may {action} a report.")
