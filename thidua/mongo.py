"""MongoDB access: one client per process, one database per service.

Only standard pymongo API is used, so the same code runs against MongoDB (a
replica set, in docker-compose and production) and against the embedded
MongoDB-compatible server used on development machines.
"""
import threading
from datetime import datetime

import pymongo
from nameko.extensions import DependencyProvider

_clients = {}
_lock = threading.Lock()


def client_for(uri):
    """The process-wide client for ``uri`` (pymongo pools connections itself)."""
    with _lock:
        if uri not in _clients:
            _clients[uri] = pymongo.MongoClient(
                uri, tz_aware=True, serverSelectionTimeoutMS=5000, connectTimeoutMS=5000,
            )
        return _clients[uri]


_immutable = {}


def find_immutable(db, collection, key, session=None):
    """The document ``key`` of a collection whose documents never change once written (a published
    criteria template version): read from the database once per process and database, then from
    memory. An absent one is not remembered (it may arrive later). Callers must not change what
    they get: it is the one copy every later read returns."""
    remembered = (db.name, collection, key)
    found = _immutable.get(remembered)
    if found is None:
        found = db[collection].find_one({"_id": key}, session=session)
        if found is not None:
            _immutable[remembered] = found
    return found


def once(key, document):
    """The write (for ``bulk_write``) that stores ``document`` as ``key`` unless it is stored
    already: a notice recorded again, a breakdown of the same content, adds nothing."""
    return pymongo.UpdateOne({"_id": key}, {"$setOnInsert": document}, upsert=True)


def replace_unless_newer(collection, document, field, session=None, keep_equal=False):
    """Store ``document`` in place of the stored one of its ``_id``, unless that one is newer by
    ``field`` (a version, an ISO-8601 UTC time): a copy kept from events never goes back when an
    older event arrives late. With ``keep_equal`` a stored one of the same ``field`` stays too.
    One conditional write (an update pipeline): a read, then a replace, cost one command more."""
    stored = {"$ifNull": ["$" + field, None]}      # none stored (an upsert): older than anything
    replace = {"$lt" if keep_equal else "$lte": [stored, document[field]]}
    collection.update_one({"_id": document["_id"]},
                          [{"$replaceWith": {"$cond": [replace, {"$literal": document}, "$$ROOT"]}}],
                          upsert=True, session=session)


IN_PART = 25   # values in one $in at most (find_in)


def parts(values, size=IN_PART):
    """``values`` without repeats, in their first order, in lists of at most ``size``."""
    distinct = list(dict.fromkeys(values))
    return [distinct[i:i + size] for i in range(0, len(distinct), size)]


def find_in(collection, field, values, query=None, projection=None, session=None):
    """The documents matching ``query`` whose ``field`` is one of ``values``, read by ``$in``s of
    at most ``IN_PART`` values, in no order across them. The embedded server compares every
    document it reads with every value of an ``$in``: one of 1,000 ids took it 1.2 s, and forty
    of 25 took 0.16 s; 5,100 ids took 18.7 s, every other request waiting (README, The embedded
    database and long ``$in`` lists)."""
    for part in parts(values):
        yield from collection.find({**(query or {}), field: {"$in": part}}, projection, session=session)


def update_in(collection, field, values, update, query=None, session=None):
    """``update_many`` of the documents matching ``query`` whose ``field`` is one of ``values``, by
    ``$in``s of at most ``IN_PART`` (see :func:`find_in`); the number matched."""
    return sum(collection.update_many({**(query or {}), field: {"$in": part}}, update,
                                      session=session).matched_count for part in parts(values))


def delete_in(collection, field, values, query=None, session=None):
    """``delete_many`` of the documents matching ``query`` whose ``field`` is one of ``values``, by
    ``$in``s of at most ``IN_PART`` (see :func:`find_in`); the number deleted."""
    return sum(collection.delete_many({**(query or {}), field: {"$in": part}},
                                      session=session).deleted_count for part in parts(values))


class Mongo(DependencyProvider):
    """Injects the service's own database (``MONGO_URI`` + ``MONGO_DB``)."""

    def __init__(self, indexes=None):
        self.indexes = indexes  # callable(db): creates the service's indexes

    def setup(self):
        self.db = client_for(self.container.config["MONGO_URI"])[self.container.config["MONGO_DB"]]

    def start(self):
        if self.indexes:
            self.indexes(self.db)

    def get_dependency(self, worker_ctx):
        return self.db


def public(document):
    """A stored document as the API shows it: ``_id`` becomes ``id``, dates ISO-8601 (UTC)."""
    from thidua.events import isoformat

    def convert(value):
        if isinstance(value, datetime):
            return isoformat(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    if document is None:
        return None
    document = dict(document)
    if "_id" in document:
        document["id"] = document.pop("_id")
    return convert(document)
