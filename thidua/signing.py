"""Signed events: a consumer acts only on what a producing service of the platform published.

Any client holding the broker's credentials can publish to an exchange, so an event is trusted for
its signature, never for where it arrived from. The relay signs each event it publishes with the
key of the service that produced it (``<SOURCE>_EVENT_KEY``, e.g. ``SUBMISSIONS_EVENT_KEY``); every
consumer holds the producers' keys and checks the signature before a handler runs: an unsigned or
badly signed event, or one signed with another service's key, is parked in the dead-letter queue
with the reason and changes nothing.

The signature travels in the message header ``x-thidua-signature`` as ``v1:<key id>:<nonce>:<hmac>``,
an HMAC-SHA256 over the nonce and the envelope's canonical JSON (sorted keys, no spaces, UTF-8), so
it survives retries and dead-letter replays (which keep headers and body) and any re-encoding of
the same JSON. The nonce is fresh at every publish: a copy of a message captured on the bus and
published again carries a signature its consumer has already seen.
"""
import hashlib
import hmac
import json
import secrets

HEADER = "x-thidua-signature"
VERSION = "v1"
PRODUCERS = ("submissions", "ranking")


class InvalidSignature(ValueError):
    """The event is unsigned, altered, or signed with a key that is not its producer's."""


class ReplayedEvent(InvalidSignature):
    """A consumer already processed this very message (same event, same signature nonce) and the
    broker does not say it is redelivering it: someone published a captured copy again."""

    def __init__(self, event_id):
        super().__init__(f"event {event_id} was already processed from this very message (same signature "
                         "nonce, not a redelivery): a replayed copy")


DELIVERY_KEY = "event_delivery"   # worker context: {"nonce": ..., "redelivered": bool}


def is_replay(delivery, processed_record):
    """Whether a message delivering an already processed event is a replayed copy rather than the
    broker's redelivery (after a consumer died before its ack) or the relay's republication
    (after it died before marking the event sent: that one is signed afresh, with a new nonce)."""
    return bool(delivery) and not delivery.get("redelivered") and \
        delivery.get("nonce") is not None and processed_record.get("nonce") == delivery.get("nonce")


def key_name(source):
    return f"{source.upper()}_EVENT_KEY"


def keys_from(config):
    """``{producer: key}`` for every producer whose key the configuration (else the environment)
    holds: see :class:`thidua.settings.Signing`."""
    from thidua.settings import Signing
    return Signing.of(config).keys()


def canonical(event):
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _mac(key, nonce, event):
    return hmac.new(key.encode("utf-8"), nonce.encode("ascii") + b"." + canonical(event), hashlib.sha256).hexdigest()


def sign(event, keys, nonce=None):
    """The header value that signs ``event`` with its producer's key."""
    source = event.get("source")
    if source not in keys:
        raise InvalidSignature(f"no key for producer {source!r}: set {key_name(str(source))}")
    nonce = nonce or secrets.token_hex(12)
    return f"{VERSION}:{source}:{nonce}:{_mac(keys[source], nonce, event)}"


def verify(event, header, keys):
    """The signature's nonce if ``header`` is a valid signature of ``event`` by its producer,
    else :class:`InvalidSignature` saying why."""
    if not isinstance(header, str) or not header:
        raise InvalidSignature("unsigned event: it carries no x-thidua-signature header")
    parts = header.split(":")
    if len(parts) != 4 or parts[0] != VERSION:
        raise InvalidSignature("malformed signature header")
    _, key_id, nonce, mac = parts
    if not isinstance(event, dict) or key_id != event.get("source"):
        raise InvalidSignature(f"signed as {key_id!r}, but the event says it comes from "
                               f"{event.get('source') if isinstance(event, dict) else None!r}")
    if key_id not in keys:
        raise InvalidSignature(f"no key to check events of {key_id!r} (set {key_name(key_id)})")
    if not hmac.compare_digest(mac, _mac(keys[key_id], nonce, event)):
        raise InvalidSignature(f"bad signature: the event was altered or not signed with {key_id}'s key")
    return nonce
