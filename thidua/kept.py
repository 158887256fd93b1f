"""Reads kept in memory while what they read is unchanged, across every replica of a service.

Some documents are read for every call and change rarely: notifications reads its copy of the
directory (a cluster, the people of its units), the people's preferences and the webhooks for each
event it tells people of (about 6 of its 11 database commands a report); submissions reads the
caller, the unit, the period, the cluster and the run for each hand-in. They are kept here instead.

Every write to a kept collection marks the change in the same transaction (:func:`mark`: one of
``SHARDS`` counters of ``changes`` goes up by one; the shard follows the key, so writers of
different documents seldom contend on one counter). A handler reads the counters once, one
command (:func:`marks`), and uses what is kept only while they are those it was kept under
(:meth:`Kept.under`); when any counter has moved, everything kept is forgotten and read again. So
a handler sees every change committed before it read the counters, whichever replica made it,
exactly as if it had read the documents themselves; a change committed meanwhile may be seen or
not, as with the reads themselves.

Workers that need the counters at once share one read (:meth:`Kept.marks`): a worker takes a read
that began after it asked, never one that began before, so it sees what it would have seen
reading alone. In a burst, when the database answers slowly, the workers that asked during one
read share the next: reads of the counters come at most one at a time per process.

A write that does not go through the service (a restore from a backup, a hand edit in the
database) marks nothing: what is kept is forgotten after ``MAX_AGE`` seconds whatever the
counters say, and never holds more than ``MOST`` reads, so a process's memory stays bounded at a
province's size.
"""
import time
import zlib

import eventlet
from nameko.extensions import DependencyProvider
from pymongo import UpdateOne

CHANGES = "changes"
SHARDS = 16
MAX_AGE = 60.0
MOST = 20_000


def _shard(key):
    return zlib.crc32(str(key).encode()) % SHARDS


def ensure(db):
    """The counters, each at 0 unless there, made at start so two first marks do not collide on a
    new counter (a mark still upserts, for a database whose counters were never made)."""
    db[CHANGES].bulk_write([UpdateOne({"_id": shard}, {"$setOnInsert": {"n": 0}}, upsert=True)
                            for shard in range(SHARDS)])


def mark(db, session, key):
    """A kept collection changes in ``session``'s transaction (``key`` names what changed)."""
    db[CHANGES].update_one({"_id": _shard(key)}, {"$inc": {"n": 1}}, upsert=True, session=session)


def marks(db):
    """The counters now: equal marks mean no kept collection changed between the two reads."""
    return tuple(sorted((d["_id"], d["n"]) for d in db[CHANGES].find()))


class _Read:
    """One read of the counters, with the number of asks made before it began."""

    def __init__(self, asked):
        self.asked, self.done, self.interrupted = asked, eventlet.event.Event(), False


class _Interrupted(Exception):
    """The worker reading the counters was killed before the answer: those waiting read again."""


class Kept:
    """What one process keeps, shared by its workers. Values handed out are shared: a reader never
    changes one."""

    def __init__(self, max_age=MAX_AGE, most=MOST, clock=time.monotonic):
        self._max_age, self._most, self._clock = max_age, most, clock
        self._marks, self._since, self._values = None, None, {}
        self._asked, self._latest = 0, None   # asks so far; the last read begun (a _Read)

    def marks(self, db):
        """:func:`marks`, from a read that began after this call: the one under way or just done if it
        did, else the next, which this call begins unless another waiting worker did first."""
        self._asked += 1
        mine = self._asked
        while True:
            read = self._latest
            if read is None or read.done.ready() and (read.asked < mine or read.interrupted):
                read = self._latest = _Read(self._asked)
                try:
                    read.done.send(marks(db))
                except Exception as exc:
                    read.done.send_exception(exc)
                finally:
                    if not read.done.ready():
                        read.interrupted = True
                        read.done.send_exception(_Interrupted())
            try:
                if read.asked >= mine:
                    return read.done.wait()
                read.done.wait()    # began before this call asked: wait for it, then for the next
            except _Interrupted:
                pass
            except Exception:       # a failed read fails those it was for; a later asker reads again
                if read.asked >= mine:
                    raise

    def under(self, now):
        """The reads of one handler that read the counters ``now`` (:func:`marks`)."""
        at = self._clock()
        if now != self._marks or at - self._since >= self._max_age or len(self._values) >= self._most:
            # A new dict: a handler still holding the old one adds to it, never to this one.
            self._marks, self._since, self._values = now, at, {}
        return Reads(self._values)


class Reads:
    """One handler's view of what is kept under the counters it read."""

    def __init__(self, values=None):
        self._values = {} if values is None else values

    def one(self, key, read):
        """What ``read()`` returns, read only if not kept under ``key``."""
        if key not in self._values:
            self._values[key] = read()
        return self._values[key]

    def keep(self, key, value):
        """Keep ``value`` under ``key``, read with others (by the caller, after it read the counters),
        unless something is kept there already."""
        self._values.setdefault(key, value)

    def each(self, name, keys, read, absent=None):
        """``{key: value}`` for each of ``keys`` (under ``name``): the keys not kept are read together
        with ``read(missing)``, a dict, and a key it lacks is kept as ``absent``."""
        missing = [key for key in dict.fromkeys(keys) if (name, key) not in self._values]
        if missing:
            found = read(missing)
            for key in missing:
                self._values[(name, key)] = found.get(key, absent)
        return {key: self._values[(name, key)] for key in keys}


class Remembered:
    """One worker's use of what its process keeps: the counters are read at its first :meth:`reads`
    (a read shared with the workers asking at once: :meth:`Kept.marks`) and that view serves the
    rest of the worker (one call), so a call reads them once at most.
    Read through it only what the call reads before it writes: the view does not see the call's
    own writes."""

    def __init__(self, kept, db):
        self._kept, self._db, self._reads = kept, db, None

    def reads(self):
        if self._reads is None:
            self._reads = self._kept.under(self._kept.marks(self._db()))
        return self._reads


class KeptReads(DependencyProvider):
    """``remembered = KeptReads()``: ``self.remembered`` is the worker's :class:`Remembered` of the
    process's :class:`Kept` (one per service container, shared by its workers)."""

    def setup(self):
        self.kept = Kept()

    def get_dependency(self, worker_ctx):
        return Remembered(self.kept, lambda: worker_ctx.service.db)
