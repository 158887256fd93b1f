"""Notifications' own copy of the directory (units, clusters, people). Pure: no I/O.

Submissions publishes ``unit.upserted.v1``, ``cluster.upserted.v1`` and ``person.upserted.v1``;
the service keeps the latest of each in its own collections and computes audiences from them
(``audiences.py``), so telling people of an event needs no call to another service.
"""
LEADER_ROLES = ("provincial_leader", "standing_office")
UNIT_ROLES = ("unit_leader", "unit_officer")
CLUSTER_LEADING_ROLES = ("lead", "deputy")

# event type -> (collection of the copy, field of the event data holding the document)
EVENTS = {
    "unit.upserted.v1": ("units", "unit"),
    "cluster.upserted.v1": ("clusters", "cluster"),
    "person.upserted.v1": ("people", "person"),
}
# A copy is replaced only by one at least as new by this field (ISO-8601 UTC times compare as text):
# an older event delivered late never overwrites a newer copy (thidua.mongo.replace_unless_newer).
NEWER = "_at"
# Never kept, whatever a producer sends by mistake: a copy for telling people holds no secrets.
SECRET_FIELDS = ("password_hash", "failed_logins", "locked_until")


class NotInDirectory(Exception):
    """The copy lacks a cluster or unit an event names: the copy is behind (the handler fails and
    the message is retried, so it is applied once the directory event has arrived)."""


def copy_of(event):
    """``(collection, document)`` to store for a directory event; the document keeps the time of
    the event (``_at``), so an older event delivered late never overwrites a newer one, and its id
    (``_event``), to trace the copy to the change submissions audited."""
    collection, field = EVENTS[event["type"]]
    return collection, stored(event["data"][field], event["occurred_at"], event["id"])


def stored(shown, at, event_id=None):
    """The copy of a document as the API shows it (``id``), as of ``at``."""
    document = {k: v for k, v in shown.items() if k != "id" and k not in SECRET_FIELDS}
    return {"_id": shown["id"], **document, "_at": at, "_event": event_id}
