"""Coalesced recomputes: a burst of events for one cluster becomes one recompute.

A handler stores its event's input and a *dirty marker* for the cluster's table in one
transaction (:func:`mark_dirty`), then pokes :class:`Coalescer`. The coalescer's loop
recomputes each dirty table at most once per ``INTERVAL`` and removes, in the same
transaction as the new snapshot, exactly the markers that recompute took in. So:

- nothing half-applied: a report's copy and its marker commit together, and a recompute
  sees both or neither;
- nothing lost: a marker outlives a crash; the loop recomputes every dirty table when the
  service starts and on every sweep;
- no hot document: markers are inserted, one per event, never updated, so concurrent
  handlers never conflict on them;
- replicas: two loops racing on one table conflict on its version pointer; the loser is
  retried, finds no marker left and writes nothing.
"""
import logging
import random
import time

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING

from thidua.events import utcnow
from thidua.settings import Messaging

log = logging.getLogger(__name__)

COLLECTION = "dirty_tables"
INTERVAL = 0.1          # seconds: at most one snapshot per table per interval and replica
RETRY_LATER = 1.0       # seconds before a table whose recompute failed is tried again
PARALLEL = 4            # tables recomputed at once by one replica


def ensure_indexes(db):
    db[COLLECTION].create_index([("table", ASCENDING), ("at", ASCENDING)])


def mark_dirty(db, session, table, cluster, cluster_name, period, event):
    """Inside the transaction that stored ``event``'s input: ``table`` needs a recompute."""
    db[COLLECTION].insert_one({
        "_id": event["id"], "table": table, "cluster": cluster, "cluster_name": cluster_name, "period": period,
        "at": utcnow(), "event_type": event["type"], "correlation_id": event["correlation_id"],
    }, session=session)


def markers(db, session, table):
    """The table's pending markers, oldest first (the newest is the recompute's trigger)."""
    return list(db[COLLECTION].find({"table": table}, session=session).sort([("at", ASCENDING), ("_id", ASCENDING)]))


def clear(db, session, taken):
    db[COLLECTION].delete_many({"_id": {"$in": [m["_id"] for m in taken]}}, session=session)


class Coalescer(DependencyProvider):
    """Runs ``recompute_table(db, table)`` for every dirty table, each at most once per
    ``INTERVAL``; woken at once by the handlers (the dependency is the wake-up call) and
    every ``OUTBOX_SWEEP_SECONDS`` as a safety net."""

    def __init__(self, recompute_table):
        self.recompute_table = recompute_table
        self._gt = None
        self._running = False
        self._wake = eventlet.event.Event()
        self._due = {}          # table -> monotonic time it may be recomputed again

    def setup(self):
        from thidua.mongo import client_for
        config = self.container.config
        self.db = client_for(config["MONGO_URI"])[config["MONGO_DB"]]
        self.sweep = Messaging.of(config).outbox_sweep_seconds
        ensure_indexes(self.db)

    def start(self):
        self._running = True
        self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self.poke()
        if self._gt is not None:
            self._gt.kill()

    kill = stop

    def poke(self):
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self.poke

    def _run(self):
        pool = GreenPool(PARALLEL)
        while self._running:
            self._wake = eventlet.event.Event()   # before the pass: a poke that arrives meanwhile is kept
            try:
                wait = self.recompute_due(pool)
            except Exception:
                log.exception("finding the dirty ranking tables failed; retrying")
                wait = self.sweep
            with eventlet.Timeout(min(wait, self.sweep), False):
                self._wake.wait()

    def recompute_due(self, pool):
        """One pass: recompute every dirty table that is due; the seconds until the next is."""
        tables = self.db[COLLECTION].distinct("table")
        random.shuffle(tables)    # replicas start on different tables
        now = time.monotonic()
        due = [t for t in tables if self._due.get(t, 0) <= now]
        for table in due:
            self._due[table] = now + INTERVAL
        for table, failed in pool.imap(self._recompute, due):
            if failed:
                self._due[table] = time.monotonic() + RETRY_LATER
        waiting = [self._due[t] - time.monotonic() for t in tables if t not in due]
        self._due = {t: at for t, at in self._due.items() if at > time.monotonic()}
        return max(0.0, min(waiting)) if waiting else self.sweep

    def _recompute(self, table):
        try:
            self.recompute_table(self.db, table)
            return table, False
        except Exception as exc:   # kept dirty: retried after RETRY_LATER
            log.warning("recompute of %s failed (%s: %s); it stays dirty and is retried", table,
                        type(exc).__name__, exc)
            return table, True
