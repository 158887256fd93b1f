"""The event envelope, checked against the contract of its type and version.

Envelope: ``{id, type, source, occurred_at, correlation_id, data}``. ``type`` carries
its version (``report.submitted.v1``); a new meaning is a new version, never a
silent change of an existing one. Consumers deduplicate on ``id``. The contracts (a JSON
Schema of ``data`` per type and version) and the upcasters between versions are in
``thidua/contracts.py``; ``docs/events.md`` is the version policy.

Each service publishes to its own topic exchange ``<source>.events`` with the event
type as routing key, which is what nameko's ``event_handler`` binds to.
"""
import copy
import uuid
from datetime import datetime, timezone

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from thidua.contracts import CONTRACTS, UPCASTERS, newest, parse_type

ENVELOPE_FIELDS = ("id", "type", "source", "occurred_at", "correlation_id", "data")
ENVELOPE = {"id": str, "occurred_at": str, "correlation_id": (str, type(None))}
REPORT_EVENTS = tuple(t for t in CONTRACTS if t.startswith("report."))


class InvalidEvent(ValueError):
    """An event that breaks its contract; the message says how."""


class UnknownVersion(InvalidEvent):
    """A version the reader has no contract or no upcaster for."""


def utcnow():
    return datetime.now(timezone.utc)


def isoformat(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event(event_type, data, correlation_id, occurred_at=None):
    """Build and validate an envelope for ``event_type``."""
    source = CONTRACTS[event_type]["source"] if event_type in CONTRACTS else None
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
    """Raise :class:`InvalidEvent` unless ``event`` honours the contract of its type and version
    (``thidua.contracts``); return it."""
    if not isinstance(event, dict):
        raise InvalidEvent("an event is a JSON object")
    missing = [f for f in ENVELOPE_FIELDS if f not in event]
    if missing:
        raise InvalidEvent(f"envelope lacks {', '.join(missing)}")
    if not isinstance(event["type"], str) or event["type"] not in CONTRACTS:
        raise UnknownVersion(f"unknown event type {event['type']!r}: no contract for it here")
    event_type, source = event["type"], CONTRACTS[event["type"]]["source"]
    if event["source"] != source:
        raise InvalidEvent(f"{event_type} comes from {source}, not {event['source']!r}")
    for name, kind in ENVELOPE.items():
        if not isinstance(event[name], kind):
            raise InvalidEvent(f"envelope field {name!r} has the wrong type")
    if not isinstance(event["data"], dict):
        raise InvalidEvent("data is a JSON object")
    problem = best_match(_validator(event_type).iter_errors(event["data"]))
    if problem is not None:
        raise InvalidEvent(_explain(event_type, problem))
    return event


_validators = {}    # type -> (its data schema, the compiled validator)


def _validator(event_type):
    schema = CONTRACTS[event_type]["data"]
    cached = _validators.get(event_type)
    if cached is None or cached[0] is not schema:
        cached = _validators[event_type] = (schema, Draft202012Validator(schema))
    return cached[1]


def _explain(event_type, error):
    """A contract violation in words, naming the field but never echoing its value (it may be personal)."""
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        missing = sorted(set(error.validator_value) - set(error.instance))[0]
        return f"{event_type} data{'.' + path if path else ''} lacks {missing!r}"
    if error.validator == "type":
        return f"{event_type} data field {path!r} has the wrong type"
    if error.validator == "not" and error.validator_value == {}:
        return f"{event_type} data field {path!r} is not allowed"
    return f"{event_type} data field {path!r} breaks the contract's {error.validator!r}"


def accept(event, understands=None):
    """An event as a consumer reads it: checked against its own contract, then upcast, version by
    version, to ``understands`` (a type with its version; by default the newest version this code
    has a contract for), each step checked against that version's contract. Raises
    :class:`InvalidEvent` (never retried: it cannot succeed) or :class:`UnknownVersion`."""
    validate(event)
    target = understands or newest(event["type"])
    have, want = parse_type(event["type"]), parse_type(target)
    if want is None or have[0] != want[0] or have[1] > want[1]:
        raise UnknownVersion(f"{event['type']} cannot be read as {target}: this consumer knows no such version")
    while event["type"] != target:
        if event["type"] not in UPCASTERS:
            raise UnknownVersion(f"no upcaster from {event['type']} towards {target}")
        newer, upcast = UPCASTERS[event["type"]]
        try:
            data = upcast(copy.deepcopy(event["data"]))
        except Exception as error:    # parked for a replay once the upcaster is fixed
            raise InvalidEvent(f"upcasting {event['type']} to {newer} failed: "
                               f"{type(error).__name__}: {error}") from error
        event = validate({**event, "type": newer, "data": data})
    return event


def exchange_name(source):
    return f"{source}.events"
