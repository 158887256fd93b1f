"""The event envelope and the contract of every event type.

Envelope: ``{id, type, source, occurred_at, correlation_id, data}``. ``type`` carries
its version (``report.submitted.v1``); a new meaning is a new version, never a
silent change of an existing one. Consumers deduplicate on ``id``.

Each service publishes to its own topic exchange ``<source>.events`` with the event
type as routing key, which is what nameko's ``event_handler`` binds to.
"""
import uuid
from datetime import datetime, timezone

ENVELOPE_FIELDS = ("id", "type", "source", "occurred_at", "correlation_id", "data")

_REPORT = {
    "report_id": str, "unit": str, "unit_name": str, "cluster": str, "cluster_name": str,
    "period": str, "status": str, "version": int, "template": dict, "values": dict,
    "self_scores": dict, "review": dict, "violations": list, "commendations": list,
    "submitted_at": (str, type(None)), "late": bool,
}
_PERIOD = {"period": str, "label": str, "state": str, "year": int}
_VOTE = {"cluster": str, "cluster_name": str, "period": str, "session_id": str}

# type -> (source service, {required data field: python type(s)})
SCHEMAS = {
    # report.submitted.v1 also carries the self-assessed "scores" and their "total".
    "report.submitted.v1": ("submissions", {**_REPORT, "scores": dict, "total": (int, float)}),
    "report.resubmitted.v1": ("submissions", _REPORT),
    "report.returned.v1": ("submissions", {**_REPORT, "reason": str}),
    "report.reviewed.v1": ("submissions", _REPORT),
    "report.finalized.v1": ("submissions", _REPORT),
    "period.opened.v1": ("submissions", _PERIOD),
    "period.closed.v1": ("submissions", _PERIOD),
    "period.scoring_started.v1": ("submissions", _PERIOD),
    "period.voting_started.v1": ("submissions", _PERIOD),
    "period.concluded.v1": ("submissions", _PERIOD),
    "period.archived.v1": ("submissions", _PERIOD),
    "template.published.v1": ("submissions", {"template": dict}),
    "vote.opened.v1": ("submissions", {**_VOTE, "members": list}),
    # A unit took its one-time ballot token, so it counts as voted: who, never what. Choices appear
    # only in the tally of vote.closed.v1, and only as totals per class (``withheld``) when fewer
    # ballots than BALLOT_MINIMUM came.
    "vote.ballot_cast.v1": ("submissions", {**_VOTE, "voter_unit": str, "ballots_cast": int}),
    "vote.closed.v1": ("submissions", {**_VOTE, "tally": dict, "rules": dict}),
    # Reference data, so other services keep their own copy of the directory (never account fields).
    "unit.upserted.v1": ("submissions", {"unit": dict}),
    "cluster.upserted.v1": ("submissions", {"cluster": dict}),
    "person.upserted.v1": ("submissions", {"person": dict}),
    "ranking.updated.v1": ("ranking", {
        "cluster": str, "cluster_name": str, "period": str, "version": int, "table": list,
        "leader": (str, type(None)), "previous_leader": (str, type(None)),
        "leader_status": str, "leader_changed": bool, "rank_moves": list, "class_changes": list,
        "trigger_event_id": str,
    }),
}
REPORT_EVENTS = tuple(t for t in SCHEMAS if t.startswith("report."))


class InvalidEvent(ValueError):
    pass


def utcnow():
    return datetime.now(timezone.utc)


def isoformat(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event(event_type, data, correlation_id, occurred_at=None):
    """Build and validate an envelope for ``event_type``."""
    source = SCHEMAS[event_type][0] if event_type in SCHEMAS else None
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": source,
        "occurred_at": isoformat(occurred_at or utcnow()),
        "correlation_id": correlation_id,
        "data": data,
    }
    validate(event)
    return event


def validate(event):
    """Raise :class:`InvalidEvent` unless ``event`` honours its type's contract."""
    if not isinstance(event, dict):
        raise InvalidEvent("an event is a JSON object")
    missing = [f for f in ENVELOPE_FIELDS if f not in event]
    if missing:
        raise InvalidEvent(f"envelope lacks {', '.join(missing)}")
    if event["type"] not in SCHEMAS:
        raise InvalidEvent(f"unknown event type {event['type']!r}")
    source, fields = SCHEMAS[event["type"]]
    if event["source"] != source:
        raise InvalidEvent(f"{event['type']} comes from {source}, not {event['source']!r}")
    data = event["data"]
    if not isinstance(data, dict):
        raise InvalidEvent("data is a JSON object")
    for name, kind in fields.items():
        if name not in data:
            raise InvalidEvent(f"{event['type']} data lacks {name!r}")
        if not isinstance(data[name], kind) or (kind is int and isinstance(data[name], bool)):
            raise InvalidEvent(f"{event['type']} data field {name!r} has the wrong type")
    return event


def exchange_name(source):
    return f"{source}.events"
