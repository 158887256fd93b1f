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
- replicas take turns: a loop recomputes a table only while it holds the table's *turn*
  (:func:`take_turn`), so two replicas never compute the same table at once, and a table is
  recomputed at most once per ``INTERVAL`` whatever the number of replicas. Without turns,
  each replica kept its own interval, so a table in a burst got up to one snapshot per
  replica per interval, and the replica that lost the race on the version pointer had done
  the whole recompute for nothing. A turn
  outlives a crashed holder by at most ``LEASE``; should a recompute outlast its lease, the
  version pointer still lets only one of two recomputes commit.
"""
import logging
import random
import time
import uuid
from datetime import timedelta
from typing import NamedTuple, Optional

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from thidua.events import utcnow
from thidua.mongo import delete_in
from thidua.settings import Messaging, Ranking

log = logging.getLogger(__name__)

COLLECTION = "dirty_tables"
TURNS = "table_turns"   # one document per table: who may recompute it, until when
INTERVAL = 0.1          # seconds: at most one snapshot per table per interval, over all replicas
LEASE = 10.0            # seconds a turn is held at most: a killed holder's turn lapses after it
RETRY_LATER = 1.0       # seconds before a table whose recompute failed is tried again
ELSEWHERE = 1.0         # seconds before a table whose turn another replica held is looked at again


def ensure_indexes(db):
    db[COLLECTION].create_index([("table", ASCENDING), ("at", ASCENDING)])


class TakenIn(NamedTuple):
    """What a recompute of a table did: the new version (None: none written) and the ids of the
    markers it took in."""
    version: Optional[int]
    markers: tuple


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
    delete_in(db[COLLECTION], "_id", [m["_id"] for m in taken], session=session)


def take_turn(db, table, holder):
    """Whether ``holder`` may recompute ``table`` now, taking the turn for ``LEASE`` seconds if so:
    the turn is free once its last holder ended it (``INTERVAL`` after its recompute) or its lease
    lapsed. One write: a held turn makes the upsert collide on the table's id."""
    now = utcnow()
    try:
        db[TURNS].update_one({"_id": table, "until": {"$lte": now}},
                             {"$set": {"until": now + timedelta(seconds=LEASE), "holder": holder}}, upsert=True)
        return True
    except DuplicateKeyError:
        return False


def held_for(db, table, holder):
    """Seconds before ``holder`` may take the table's turn it could not take: the rest of its own
    pause after its last recompute, or ``ELSEWHERE`` when another replica holds the turn."""
    turn = db[TURNS].find_one({"_id": table})
    if turn is None or turn.get("holder") != holder:
        return ELSEWHERE
    return max(0.0, (turn["until"] - utcnow()).total_seconds())


def end_turn(db, table, holder, pause):
    """The table is free again ``pause`` seconds from now (unless the turn lapsed and was taken)."""
    db[TURNS].update_one({"_id": table, "holder": holder},
                         {"$set": {"until": utcnow() + timedelta(seconds=pause)}})


class Coalescer(DependencyProvider):
    """Runs ``recompute_table(db, table)`` (a :class:`TakenIn`) for every dirty table, each at most
    once per ``INTERVAL`` and up to ``RANKING_PARALLEL`` at once. The dependency is the wake-up call: a handler
    names the table it marked dirty and its marker (``self.recomputer(table, marker)``), so a
    steady stream of events costs no query to find its tables; a call without a table, the
    service's start and every ``OUTBOX_SWEEP_SECONDS`` list every dirty table from the markers
    (a table another replica left dirty, a marker that outlived a crash).

    A recompute starts as soon as its table is due and a place is free, not in passes: a table
    marked dirty during a long recompute of another does not wait for it. Listing the dirty
    tables (a ``distinct`` over every pending marker) before each start was what kept it from
    doing so before: in a burst of 5,000 reports it doubled the database's CPU per report.

    A table poked while it is being recomputed is recomputed again, unless the recompute took in
    every marker it was poked for: a poke comes after its marker's commit, and most come before
    the recompute reads the markers. Recomputing them all again cost a turn, a read and a commit
    for nothing, for about one report in six in a steady stream (bench/db_ops.py)."""

    def __init__(self, recompute_table):
        self.recompute_table = recompute_table
        self._gt = None
        self._running = False
        self._wake = eventlet.event.Event()
        # Tables known to be dirty, in the order they became so, each with the markers it was poked
        # for since its recompute last started (None: a listing or a failure, which name no marker):
        # a recompute that took all of them in leaves nothing to do.
        self._pending = {}
        self._busy = set()      # tables being recomputed by this replica now
        self._due = {}          # table -> monotonic time it may be recomputed again
        self._listed = None     # monotonic time the dirty tables were last listed; None: list them now
        self.holder = uuid.uuid4().hex      # this replica, in the tables' turns

    def setup(self):
        from thidua.mongo import client_for
        config = self.container.config
        self.db = client_for(config["MONGO_URI"])[config["MONGO_DB"]]
        self.sweep = Messaging.of(config).outbox_sweep_seconds
        self.parallel = Ranking.of(config).parallel
        ensure_indexes(self.db)

    def start(self):
        self._running = True
        self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self._wake_loop()
        if self._gt is not None:
            self._gt.kill()

    kill = stop

    def poke(self, table=None, marker=None):
        """``table`` was marked dirty (after the commit), with the marker ``marker`` if named;
        without a table, list every dirty table."""
        if table is None:
            self._listed = None
        else:
            self._pending.setdefault(table, set()).add(marker)
        self._wake_loop()

    def _wake_loop(self):
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self.poke

    def _run(self):
        pool = GreenPool(self.parallel)
        while self._running:
            self._wake = eventlet.event.Event()   # before looking: a poke that arrives meanwhile is kept
            try:
                wait = self.start_due(pool)
            except Exception:
                log.exception("finding the dirty ranking tables failed; retrying")
                wait = self.sweep
            with eventlet.Timeout(min(wait, self.sweep), False):
                self._wake.wait()

    def start_due(self, pool):
        """Start a recompute of each dirty table that is due, oldest first, as far as ``pool`` has
        room; the seconds until the loop should look again (a recompute's end wakes it too)."""
        now = time.monotonic()
        if self._listed is None or now - self._listed >= self.sweep:
            self._listed = now
            listed = self.db[COLLECTION].distinct("table")
            random.shuffle(listed)    # replicas start on different tables
            for table in listed:     # a table known already keeps its place
                # A table being recomputed is most often listed for the markers its recompute is
                # taking in: it is not recomputed again for the listing (the next one finds a marker
                # left behind; this replica's own handlers poke for theirs).
                self._pending.setdefault(table, set()).update(() if table in self._busy else (None,))
        waiting = [self._listed + self.sweep - now]
        for table in list(self._pending):
            if table in self._busy:
                continue              # looked at again when its recompute ends
            if self._due.get(table, 0) > now:
                waiting.append(self._due[table] - now)
            elif pool.free():
                del self._pending[table]    # a marker committed from now on pokes it back in
                self._busy.add(table)
                pool.spawn_n(self._recompute_then_wake, table)
        self._due = {t: at for t, at in self._due.items() if at > now}
        return max(0.0, min(waiting))

    def _recompute_then_wake(self, table):
        later, taken = RETRY_LATER, None
        try:
            later, taken = self._recompute(table)
        finally:
            self._due[table] = time.monotonic() + later     # from its end, as its turn's pause
            self._busy.discard(table)
            if taken is None:
                self._pending.setdefault(table, set()).add(None)
            elif table in self._pending and not self._pending[table] - taken:
                # Poked during the recompute only for markers it took in (a marker's poke comes
                # after its commit, often before the recompute read the markers): nothing is left.
                del self._pending[table]
            self._wake_loop()

    def _recompute(self, table):
        """(seconds before the table may be recomputed again, the ids of the markers the recompute
        took in, or None if it is still dirty): recomputed in this replica's turn. A table in
        another replica's turn is looked at again after ``ELSEWHERE``; asking for the turn ten
        times a second while it is held cost the database more than the recompute."""
        try:
            if not take_turn(self.db, table, self.holder):
                return held_for(self.db, table, self.holder), None
        except Exception as exc:
            log.warning("could not take the turn of %s (%s: %s); retried", table, type(exc).__name__, exc)
            return RETRY_LATER, None
        taken = None
        try:
            taken = set(self.recompute_table(self.db, table).markers)
        except Exception as exc:   # kept dirty: retried after RETRY_LATER
            log.warning("recompute of %s failed (%s: %s); it stays dirty and is retried", table,
                        type(exc).__name__, exc)
        later = RETRY_LATER if taken is None else INTERVAL
        try:
            end_turn(self.db, table, self.holder, later)
        except Exception as exc:    # the turn lapses after LEASE
            log.warning("could not end the turn of %s (%s: %s)", table, type(exc).__name__, exc)
        return later, taken
