"""The contract of every event type and version: a JSON Schema (draft 2020-12) of its ``data``,
and the one service that may publish it. Pure: plain data and the standard library.

Producers check an event against it before it enters the outbox (``thidua.events.new_event``,
``outbox.record``) and consumers again before a handler touches state
(``thidua.messaging.event_handler``: an event that breaks its contract is parked in the
handler's dead-letter queue with the reason, never retried). Fields a contract does not
name are allowed: adding an optional field keeps the version, anything else is a new
version with an upcaster from the old one (``docs/events.md`` is the policy).

``python -m thidua.contracts`` prints every contract as JSON, for readers outside Python.
"""
import json
import re
import sys

TYPE_NAME = re.compile(r"^(?P<family>[a-z_]+(?:\.[a-z_]+)+)\.v(?P<version>[1-9][0-9]*)$")

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
OBJECT = {"type": "object"}
ARRAY = {"type": "array"}
STRING_OR_NULL = {"type": ["string", "null"]}
ABSENT = {"not": {}}     # a field that must not be there (``false`` would not name it in the error)


def record(**fields):
    """An object that must have ``fields`` (each with its schema) and may have others."""
    return {"type": "object", "required": sorted(fields), "properties": fields}


def extend(base, **fields):
    return record(**base["properties"], **fields)


_REPORT = record(
    report_id=STRING, unit=STRING, unit_name=STRING, cluster=STRING, cluster_name=STRING, period=STRING,
    status=STRING, version=INTEGER, template=record(id=STRING, version=INTEGER), values=OBJECT,
    self_scores=OBJECT, review=OBJECT, violations=ARRAY, commendations=ARRAY, submitted_at=STRING_OR_NULL,
    late=BOOLEAN)
# A cluster's run of a period (v1 named the period alone: nothing produces it any more, and no
# upcaster could tell which cluster it meant, so v1 has no contract left).
_PERIOD = record(cluster=STRING, cluster_name=STRING, level=STRING, period=STRING, label=STRING, year=INTEGER,
                 state=STRING, deadline=STRING_OR_NULL)
_CONCLUSION = record(text=STRING, by=STRING, at=STRING)
_VOTE = record(cluster=STRING, cluster_name=STRING, period=STRING, session_id=STRING)
# What only the account holds never leaves submissions in an event.
_PERSON = record(id=STRING, name=STRING, role=STRING)
_PERSON["properties"].update({name: ABSENT for name in ("password_hash", "failed_logins", "locked_until")})

_PROPOSAL = record(proposal_id=STRING, cluster=STRING, period=STRING, state=STRING, kind=STRING,
                   unit=STRING_OR_NULL, recipient=STRING, form=STRING, level=STRING, award=STRING, version=INTEGER)

SUBMISSIONS, RANKING = "submissions", "ranking"

# type -> {"source": the publishing service, "data": JSON Schema of the data}
CONTRACTS = {
    # report.submitted.v1 also carries the self-assessed "scores" and their "total".
    "report.submitted.v1": {"source": SUBMISSIONS, "data": extend(_REPORT, scores=OBJECT, total=NUMBER)},
    "report.resubmitted.v1": {"source": SUBMISSIONS, "data": _REPORT},
    "report.returned.v1": {"source": SUBMISSIONS, "data": extend(_REPORT, reason=STRING)},
    "report.reviewed.v1": {"source": SUBMISSIONS, "data": _REPORT},
    "report.finalized.v1": {"source": SUBMISSIONS, "data": _REPORT},
    "report.excluded.v1": {"source": SUBMISSIONS, "data": extend(_REPORT, reason=STRING)},
    "period.opened.v2": {"source": SUBMISSIONS, "data": _PERIOD},
    "period.closed.v2": {"source": SUBMISSIONS, "data": _PERIOD},
    "period.scoring_started.v2": {"source": SUBMISSIONS, "data": _PERIOD},
    "period.voting_started.v2": {"source": SUBMISSIONS, "data": _PERIOD},
    "period.concluded.v2": {"source": SUBMISSIONS, "data": extend(_PERIOD, conclusion=_CONCLUSION,
                                                                  chair=STRING_OR_NULL)},
    "period.archived.v2": {"source": SUBMISSIONS, "data": _PERIOD},
    "period.reopened.v1": {"source": SUBMISSIONS, "data": extend(_PERIOD, reason=STRING, by=STRING)},
    "template.published.v1": {"source": SUBMISSIONS, "data": record(template=record(
        id=STRING, version=INTEGER, groups=ARRAY, classification=OBJECT))},
    "vote.opened.v1": {"source": SUBMISSIONS, "data": extend(_VOTE, members=ARRAY)},
    # A unit took its one-time ballot token, so it counts as voted: who, never what. Choices appear
    # only in the tally of vote.closed.v1, and only as totals per class ("withheld") when fewer
    # ballots than BALLOT_MINIMUM came (docs/security.md, "Secret ballots").
    "vote.ballot_cast.v1": {"source": SUBMISSIONS, "data": extend(_VOTE, voter_unit=STRING, ballots_cast=INTEGER)},
    "vote.closed.v1": {"source": SUBMISSIONS, "data": extend(_VOTE, tally=OBJECT, rules=OBJECT)},
    # Reference data, so other services keep their own copy of the directory (never account fields).
    "unit.upserted.v1": {"source": SUBMISSIONS, "data": record(unit=record(id=STRING, name=STRING))},
    "cluster.upserted.v1": {"source": SUBMISSIONS, "data": record(cluster=record(
        id=STRING, name=STRING, members={"type": "array", "items": record(unit=STRING, role=STRING)}))},
    "person.upserted.v1": {"source": SUBMISSIONS, "data": record(person=_PERSON)},
    # Proposals for commendation (đề nghị khen thưởng) of a cluster's concluded run, one event per step.
    **{f"proposal.{step}.v1": {"source": SUBMISSIONS, "data": _PROPOSAL}
       for step in ("drafted", "updated", "discarded", "submitted", "approved", "rejected")},
    "ranking.updated.v1": {"source": RANKING, "data": record(
        cluster=STRING, cluster_name=STRING, period=STRING, version=INTEGER, table=ARRAY, leader=STRING_OR_NULL,
        previous_leader=STRING_OR_NULL, leader_status=STRING, leader_changed=BOOLEAN, rank_moves=ARRAY,
        class_changes=ARRAY, trigger_event_id=STRING)},
}

# type -> (the next version's type, a function turning the older data into the newer)
UPCASTERS = {}


def parse_type(event_type):
    """``("report.submitted", 1)`` from ``"report.submitted.v1"``; None if it is not a versioned type name."""
    match = TYPE_NAME.match(event_type) if isinstance(event_type, str) else None
    return (match["family"], int(match["version"])) if match else None


def register(event_type, source, data_schema):
    """Add the contract of a new event type or version (a type is never redefined)."""
    if parse_type(event_type) is None:
        raise ValueError(f"{event_type!r} is not a type name like 'report.submitted.v2'")
    if event_type in CONTRACTS:
        raise ValueError(f"{event_type} already has a contract: a changed meaning is a new version")
    CONTRACTS[event_type] = {"source": source, "data": data_schema}


def upcaster(older, newer):
    """Register ``function(data) -> data`` turning ``older`` into ``newer``, the next version of the
    same type: ``@upcaster("report.submitted.v1", "report.submitted.v2")``."""
    have, want = parse_type(older), parse_type(newer)
    if not (have and want == (have[0], have[1] + 1) and older in CONTRACTS and newer in CONTRACTS):
        raise ValueError(f"an upcaster turns a version into the next one of the same type, both with "
                         f"contracts: not {older} into {newer}")

    def add(function):
        UPCASTERS[older] = (newer, function)
        return function
    return add


def unregister(event_type):
    """Forget a contract and the upcasters from and to it (tests add versions for a while)."""
    CONTRACTS.pop(event_type, None)
    UPCASTERS.pop(event_type, None)
    for older in [t for t, (newer, _) in UPCASTERS.items() if newer == event_type]:
        del UPCASTERS[older]


def newest(event_type):
    """The newest version with a contract of ``event_type``'s type (itself if it is the newest)."""
    family, _ = parse_type(event_type)
    versions = [(parse_type(t)[1], t) for t in CONTRACTS if parse_type(t)[0] == family]
    return max(versions)[1] if versions else event_type


def upcast_sources(event_type):
    """The older versions an upcaster chain turns into ``event_type``, oldest first."""
    sources, current = [], event_type
    while (older := next((t for t, (newer, _) in UPCASTERS.items() if newer == current), None)) is not None:
        sources.insert(0, older)
        current = older
    return sources


if __name__ == "__main__":
    json.dump(CONTRACTS, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
