"""Notifications' own copy of the directory (units, clusters, people) and who is who in it.
Pure: no I/O.

Submissions publishes ``unit.upserted.v1``, ``cluster.upserted.v1`` and ``person.upserted.v1``;
the service keeps the latest of each in its own collections and computes audiences here,
so telling people of an event needs no call to another service.
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


def newer(stored, document):
    """Whether ``document`` should replace ``stored`` (ISO-8601 UTC times compare as text)."""
    return stored is None or stored.get("_at", "") <= document["_at"]


def leading_units(cluster):
    return [m["unit"] for m in cluster["members"] if m["role"] in CLUSTER_LEADING_ROLES]


def audience(who, people, cluster=None, unit=None):
    """The people to tell, by who they are to a cluster: ``leaders`` (provincial leaders, the
    standing office, the lead and deputy units' leaders), ``cluster_lead`` (the lead and deputy
    units' leaders), ``unit`` (the unit's own people), ``members`` (the people of every member
    unit) or ``everyone`` (all people of a unit, and the leaders). ``people`` are the stored
    copies; ``cluster`` the stored cluster (for the cluster audiences); ``unit`` a unit code.
    Returns public people (``id``), sorted by id."""
    people = list(people)
    if who == "everyone":
        chosen = [p for p in people if p.get("role") in UNIT_ROLES + LEADER_ROLES]
    elif who == "unit":
        chosen = [p for p in people if p.get("role") in UNIT_ROLES and p.get("unit") == unit]
    elif who in ("leaders", "cluster_lead", "members"):
        leading = leading_units(cluster)
        members = [m["unit"] for m in cluster["members"]]
        heads = [p for p in people if p.get("role") == "unit_leader" and p.get("unit") in leading]
        chosen = {
            "leaders": [p for p in people if p.get("role") in LEADER_ROLES] + heads,
            "cluster_lead": heads,
            "members": [p for p in people if p.get("role") in UNIT_ROLES and p.get("unit") in members],
        }[who]
    else:
        raise ValueError(f"unknown audience {who!r}")
    return sorted(({"id": p["_id"], **{k: v for k, v in p.items() if k not in ("_id", "_at", "_event")}}
                   for p in chosen),
                  key=lambda p: p["id"])


def needs(who, cluster, unit):
    """What the copy must hold for ``audience(who, ...)``: ``("clusters", code)``, ``("units", code)``
    or ``None``."""
    if who == "everyone":
        return None
    if who == "unit":
        return "units", unit
    return "clusters", cluster
