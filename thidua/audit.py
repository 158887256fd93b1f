"""The audit trail: who changed what, when, from which request. Append-only.

Each service appends to its own ``audit`` collection in the same transaction as
the change it records, so the trail can never miss a committed change.
"""
import hashlib
import json
import uuid

from pymongo import ASCENDING, DESCENDING

from thidua import paging
from thidua.errors import Forbidden
from thidua.events import utcnow

COLLECTION = "audit"
READER_ROLES = ("administrator", "standing_office", "system")   # system: the operators' own tools
WITHHELD_CONTEXT = ("address", "session", "token")   # where someone signed in from, what lets one act as them
SECRET_ENTITIES = ("session",)   # a session's id is half of what a forged token needs
ORDER = [("at", DESCENDING), ("_id", ASCENDING)]


def digest(document):
    """A short, stable fingerprint of a document's state."""
    if document is None:
        return None
    canonical = json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def ensure_indexes(db):
    db[COLLECTION].create_index([("entity", ASCENDING), ("entity_id", ASCENDING), ("at", DESCENDING)])
    db[COLLECTION].create_index([("actor", ASCENDING), ("at", DESCENDING)])
    db[COLLECTION].create_index([("correlation_id", ASCENDING)])
    # The whole trail, newest first, is read in slices of its time (thidua.paging): without this, each
    # slice was a scan of every entry (1.3 s for 60,000 on the embedded server).
    db[COLLECTION].create_index([("at", DESCENDING)])


def record(db, session, *, actor, action, entity, entity_id, before, after, correlation_id, context=None):
    db[COLLECTION].insert_one({
        "_id": str(uuid.uuid4()), "at": utcnow(), "actor": actor, "action": action,
        "entity": entity, "entity_id": entity_id, "before": digest(before), "after": digest(after),
        "correlation_id": correlation_id, "context": context or {},
    }, session=session)


def query(db, unit=None, period=None, actor=None, entity=None, entity_id=None, limit=100, cursor=None):
    """A page of entries newest first (``thidua.paging``), filtered by unit, period, actor, entity;
    at most ``limit`` (1-500), after ``cursor``."""
    from thidua.mongo import public
    filters = {key: value for key, value in (("context.unit", unit), ("context.period", period), ("actor", actor),
                                             ("entity", entity), ("entity_id", entity_id)) if value is not None}
    return paging.page(db[COLLECTION], filters, ORDER, name=COLLECTION, limit=limit, most=500, cursor=cursor,
                       shown=public, recent=paging.RECENT)


def trail(db, caller, unit=None, period=None, actor=None, entity=None, entity_id=None, limit=100, cursor=None):
    """A page of audit entries (see :func:`query`) as a service answers them: to administrators and
    the standing office only, and without session ids, sign-in addresses or token material."""
    if caller.require().role not in READER_ROLES:
        raise Forbidden("Only an administrator or the emulation standing office may read the audit trail.")
    found = query(db, unit, period, actor, entity, entity_id, limit, cursor)
    return {**found, "items": [redacted(entry) for entry in found["items"]]}


def redacted(entry):
    context = {k: v for k, v in (entry.get("context") or {}).items() if k not in WITHHELD_CONTEXT}
    return {**entry, "context": context,
            "entity_id": None if entry.get("entity") in SECRET_ENTITIES else entry.get("entity_id")}
