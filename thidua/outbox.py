"""Transactional outbox and its relay.

A state change and the events it raises are written in one transaction
(:func:`record`): the event is in the ``outbox`` collection if and only if the
change was committed. The relay then publishes pending events in order, each with
publisher confirms and ``mandatory`` routing, and marks it published only after
the broker confirmed it. A crash between the confirm and the mark republishes the
event with the same id, which consumers deduplicate: at-least-once delivery,
exactly-once effect.

An event that no queue is bound to yet (a consumer that never started) is not
marked published: it waits in the outbox, visible, and goes out when a consumer
has declared its queue.

The relay is woken in its own process the moment a unit of work that recorded events
commits (:func:`committed`, called by ``thidua.uow``), and by a periodic sweep
(``OUTBOX_SWEEP_SECONDS``) for events another process recorded: a replica killed before
it relayed them, a command-line tool. It used to be woken by a change stream on the
outbox; on the embedded server every write anywhere wakes every change stream, so each
relay asked for the next change once per write of the whole platform, and the answer
was almost always "nothing of yours".

A commit hands the relay the entries it recorded, so the relay publishes them as they are,
without reading them back from the outbox: one database command less per transaction that
raises events. The relay reads the outbox instead when something may wait before them: at
its start, on every sweep, after an event was refused (it stays first in line) and after a
failure, until a read finds the outbox caught up.

A confirmed batch is not marked at once in a service: the relay gathers what the broker confirmed
and marks it in one command ``MARK_DELAY`` after the first of it was confirmed (sooner once a
batch's worth is gathered, before any read of the outbox, and when the service stops). A mark is
one write of the database's per batch, and the batches of a busy relay are small (what
committed while the last batch waited for its confirms): marking each at once cost the embedded
server a command for most events in a burst. Events go out as soon as ever; only their marks
wait. A crash in between publishes them again after a restart or a sweep's grace, as a crash
between a confirm and its mark always did (consumers deduplicate).

A sweep takes only entries older than ``SWEEP_GRACE``: a younger one is most likely another
replica's, handed to that replica's relay and on its way out. Sweeps that took them too
published many of a busy replica's events twice (each recognised and skipped by its
consumers, at the price of a transaction each). The entries this relay was handed stay
handed. The other reads (at the start, after a refusal or a failure) take everything, since
the relay's own order depends on them.
"""
import itertools
import logging
import time
import weakref
from datetime import timedelta

import eventlet
from kombu import Connection, Exchange, Producer
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, UpdateOne

from thidua import metrics, signing
from thidua.events import exchange_name, utcnow, validate
from thidua.settings import Messaging

log = logging.getLogger(__name__)

COLLECTION = "outbox"
BATCH = 100                 # events published before one wait for their confirms
CONFIRM_TIMEOUT = 30.0      # seconds to wait for a batch's confirms
SWEEP_GRACE = 5.0           # seconds an entry is left to the process that recorded it before a sweep takes it
MARK_DELAY = 0.5            # seconds a service's relay gathers confirmed events before it marks them in one command
# The database keeps times to the millisecond: events this process records within one (the
# events of one transaction, most often) keep their order by this counter.
_SEQUENCE = itertools.count()
ORDER = [("created_at", ASCENDING), ("seq", ASCENDING), ("_id", ASCENDING)]


class Nacked(Exception):
    """The broker refused a message of the batch: the batch is published again."""


def ensure_indexes(db):
    db[COLLECTION].create_index([("published_at", ASCENDING), *ORDER])


def record(db, session, event):
    """Add ``event`` to the outbox inside the caller's transaction; the entry written."""
    validate(event)
    entry = {"_id": event["id"], "event": event, "created_at": utcnow(), "seq": next(_SEQUENCE),
             "published_at": None, "attempts": 0}
    db[COLLECTION].insert_one(entry, session=session)
    return entry


# Database name -> this process's relays of it (weakly held: a stopped service's relay goes with it).
_RELAYS = {}


def committed(db, entries):
    """A transaction that recorded ``entries`` in ``db``'s outbox has committed: hand them to this
    process's relay of it (one of them, if several: the others' sweeps would find them published)."""
    relay = next(iter(list(_RELAYS.get(db.name, ()))), None)
    if relay is not None:
        relay.hand(entries)


def pending(db, limit=100, before=None):
    """The entries not yet published, in order of creation (no counter shared between writers,
    so concurrent ones never conflict on one); only those created before ``before`` if given."""
    query = {"published_at": None} if before is None else {"published_at": None, "created_at": {"$lt": before}}
    return list(db[COLLECTION].find(query).sort(ORDER).limit(limit))


def mark_published(db, entries):
    """Mark ``entries`` published, in one command: an update per entry, each by its id alone and
    still unpublished (one another relay marked first keeps its time). The ids in one ``$in`` beside
    ``published_at`` had the embedded server read every unpublished entry for each mark, a cost that
    grew with the backlog of a burst (README, The embedded database and long ``$in`` lists;
    ``bench/outbox_marks.py``)."""
    change = {"$set": {"published_at": utcnow()}, "$inc": {"attempts": 1}}
    db[COLLECTION].bulk_write([UpdateOne({"_id": entry["_id"], "published_at": None}, change)
                               for entry in entries], ordered=False)


def _to_the_millisecond(moment):
    """``moment`` as the database keeps it: an entry is older than it in the database exactly when
    it is older in the process that recorded it."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def lag(db, now=None):
    """How many events wait in the outbox, and the age in seconds of the oldest (0 if none)."""
    oldest = pending(db, 1)
    age = ((now or utcnow()) - oldest[0]["created_at"]).total_seconds() if oldest else 0.0
    return db[COLLECTION].count_documents({"published_at": None}), max(0.0, age)


def lag_readings(db, key):
    """The outbox's gauges, read when Prometheus scrapes (thidua.metrics)."""
    metrics.reading(f"{key}:pending", "thidua_outbox_pending", "Events committed but not yet published", (),
                    lambda: [((), lag(db)[0])])
    metrics.reading(f"{key}:age", "thidua_outbox_oldest_pending_age_seconds",
                    "Age of the oldest event not yet published", (), lambda: [((), lag(db)[1])])
    return [f"{key}:pending", f"{key}:age"]


class OutboxRelay:
    """Publishes a database's pending outbox events to RabbitMQ.

    Plain object (no nameko container needed), so tests and tools can drive it
    step by step; :class:`Relay` runs it inside a service.
    """

    def __init__(self, db, amqp_uri, keys=None, mark_delay=0.0, clock=time.monotonic):
        """``mark_delay``: seconds confirmed entries wait to be marked with those confirmed after
        them (0: each batch is marked as soon as it is confirmed, as tools and tests drive it)."""
        self.db = db
        self.keys = signing.keys_from({}) if keys is None else keys   # tools: the keys in their environment
        self.amqp_uri = amqp_uri
        self.publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, serializer="json")
        self._exchanges = {}
        self._connection = self._channel = None
        self._next_tag = 1
        self._handed = []           # entries this process committed and has not published, in commit order
        self._caught_up = False     # whether nothing waits in the outbox before the handed entries
        self.mark_delay, self._clock = mark_delay, clock
        self._confirmed = []        # published and confirmed, not yet marked
        self._confirmed_at = None   # clock time the first of them was confirmed

    def exchange(self, source):
        if source not in self._exchanges:
            self._exchanges[source] = Exchange(exchange_name(source), type="topic", durable=True)
        return self._exchanges[source]

    def publish_one(self, entry):
        event = entry["event"]
        exchange = self.exchange(event["source"])
        self.publisher.publish(
            event, exchange=exchange, routing_key=event["type"], declare=[exchange],
            message_id=event["id"],
            headers={"nameko.correlation_id": event["correlation_id"],
                     signing.HEADER: signing.sign(event, self.keys)},
        )

    def mark_published(self, entries):
        mark_published(self.db, entries)

    def marks_due_in(self):
        """Seconds before the confirmed entries are to be marked; None if none waits."""
        if not self._confirmed:
            return None
        return max(0.0, self._confirmed_at + self.mark_delay - self._clock())

    def mark_confirmed(self, due_only=False):
        """Mark every confirmed entry published, in one command (``due_only``: only once
        ``mark_delay`` has passed since the first was confirmed). Should the mark fail, the relay
        reads the outbox next and publishes them again (consumers deduplicate)."""
        if not self._confirmed or (due_only and self.marks_due_in() > 0):
            return
        entries, self._confirmed, self._confirmed_at = self._confirmed, [], None
        try:
            self.mark_published(entries)
        except Exception:
            self._caught_up = False
            raise

    def hand(self, entries):
        """Entries a transaction of this process has just committed: published by the next
        :meth:`publish_next` as they are, when the outbox is caught up."""
        self._handed.extend(entries)

    @property
    def ready(self):
        """Whether handed entries wait and may go out without reading the outbox."""
        return bool(self._handed) and self._caught_up

    def publish_next(self, read=False, grace=0.0):
        """Publish what comes next: up to a batch of the handed entries, or (``read``, or when
        something may wait before them) what the outbox holds. ``grace``: a sweep's read, which
        leaves entries younger than that many seconds to the process that recorded them, when
        nothing of this relay's own waits in the outbox. Returns the number published."""
        if not self._caught_up:
            return self.publish_pending()
        if read:
            return self.publish_pending(grace=grace)
        entries, self._handed = self._handed[:BATCH], self._handed[BATCH:]
        return self._publish_in_order(entries, complete=True)

    def publish_pending(self, limit=BATCH, grace=0.0):
        """Publish pending events in order; stop at the first that cannot go out. With ``grace``,
        only those older than ``grace`` seconds (a sweep); the handed ones younger stay handed.

        Returns the number published. Stopping keeps the order of a stream: a
        later event never overtakes an earlier one that is still waiting.
        """
        self.mark_confirmed()       # a read must not find what went out already
        before = _to_the_millisecond(utcnow() - timedelta(seconds=grace)) if grace else None
        # Those committed before the read that the read takes in are no longer handed.
        self._handed = [] if before is None else [e for e in self._handed if e["created_at"] >= before]
        entries = pending(self.db, limit, before)
        return self._publish_in_order(entries, complete=len(entries) < limit)

    def _publish_in_order(self, entries, complete):
        """Publish ``entries``, mark those confirmed, note the one refused; caught up afterwards
        when nothing was refused and ``complete`` (no more waited behind them)."""
        self._caught_up = False     # until this batch went out whole: a failure leaves it so
        if not entries:
            self._caught_up = complete
            return 0
        confirmed, refused = self.publish_batch(entries)
        if confirmed:
            if not self._confirmed:
                self._confirmed_at = self._clock()
            self._confirmed.extend(entries[:confirmed])
            if self.mark_delay <= 0 or len(self._confirmed) >= BATCH:
                self.mark_confirmed()
        if refused is not None:
            self.db[COLLECTION].update_one(
                {"_id": refused["_id"]},
                {"$inc": {"attempts": 1}, "$set": {"last_error": "unroutable: no queue bound yet"}})
            log.warning("event %s (%s) is unroutable: no queue is bound yet; it stays in the outbox",
                        refused["_id"], refused["event"]["type"])
        self._caught_up = refused is None and complete
        return confirmed

    def publish_batch(self, entries):
        """Publish ``entries`` in order on one confirm-mode channel and wait once for the broker.

        Returns ``(n, refused)``: the first ``n`` entries were routed and confirmed; ``refused``
        is the entry after them that was unroutable (None if all went out). Entries after a
        refused or unconfirmed one are published again next time (consumers deduplicate).
        Raises on a nack, a lost connection or no confirm within ``CONFIRM_TIMEOUT``.
        """
        try:
            return self._publish_batch(entries)
        except Exception:
            self.close()   # the next batch starts on a fresh connection
            raise

    def _publish_batch(self, entries):
        channel = self._confirm_channel()
        first = self._next_tag
        confirmed, returned = set(), set()

        def on_ack(tag, multiple):
            confirmed.update(range(first, tag + 1) if multiple else (tag,))

        def on_nack(tag, multiple):
            raise Nacked(f"the broker refused message {tag} (nack)")

        def on_return(exc, exchange, routing_key, message):
            returned.add(message.properties.get("message_id"))

        channel.events["basic_ack"] = {on_ack}
        channel.events["basic_nack"] = {on_nack}
        channel.events["basic_return"] = {on_return}
        producer = Producer(channel, serializer="json")
        for entry in entries:
            event = entry["event"]
            exchange = self.exchange(event["source"])
            producer.publish(event, exchange=exchange, routing_key=event["type"], declare=[exchange],
                             mandatory=True, delivery_mode=2, message_id=event["id"],
                             headers={"nameko.correlation_id": event["correlation_id"],
                                      signing.HEADER: signing.sign(event, self.keys)})
            self._next_tag += 1
        last, deadline = self._next_tag - 1, time.monotonic() + CONFIRM_TIMEOUT
        while not set(range(first, last + 1)) <= confirmed:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no confirm from the broker within {CONFIRM_TIMEOUT} s")
            self._connection.drain_events(timeout=CONFIRM_TIMEOUT)
        for position, entry in enumerate(entries):
            if entry["_id"] in returned:
                return position, entry
        return len(entries), None

    def _confirm_channel(self):
        if self._channel is None:
            self._connection = Connection(self.amqp_uri)
            self._channel = self._connection.channel()
            self._channel.confirm_select()
            self._next_tag = 1
        return self._channel

    def close(self):
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:   # already broken: nothing more to release
                log.debug("closing the relay's broker connection failed", exc_info=True)


class Relay(DependencyProvider):
    """Runs an :class:`OutboxRelay` for the service's database in the background.

    Handed the entries a unit of work of this process recorded as soon as it commits
    (:func:`committed`); reads the outbox at least once per ``OUTBOX_SWEEP_SECONDS``, for
    events recorded elsewhere and for an event no queue was bound to yet. Marks what the broker
    confirmed ``MARK_DELAY`` after the first of it, in one command, and on stopping.
    """

    def __init__(self):
        self._gt = None
        self._running = False
        self._wake = eventlet.event.Event()

    def setup(self):
        from thidua.mongo import client_for
        config = self.container.config
        self.db = client_for(config["MONGO_URI"])[config["MONGO_DB"]]
        self.relay = OutboxRelay(self.db, config["AMQP_URI"], signing.keys_from(config), mark_delay=MARK_DELAY)
        self.sweep = Messaging.of(config).outbox_sweep_seconds
        ensure_indexes(self.db)

    def start(self):
        self._gauges = lag_readings(self.db, f"outbox:{id(self)}")
        self._running = True
        _RELAYS.setdefault(self.db.name, weakref.WeakSet()).add(self)
        self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        for key in getattr(self, "_gauges", ()):
            metrics.forget(key)
        self._running = False
        _RELAYS.get(self.db.name, set()).discard(self)
        self.wake()
        if self._gt is not None:
            self._gt.kill()
        try:
            self.relay.mark_confirmed()
        except Exception:   # they stay unmarked: published again after a restart (consumers deduplicate)
            log.warning("could not mark the last confirmed events published", exc_info=True)
        self.relay.close()

    kill = stop

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def hand(self, entries):
        self.relay.hand(entries)
        self.wake()

    def _run(self):
        read_at = None     # monotonic time of the last read of the outbox
        while self._running:
            # A fresh event before publishing: a poke that arrives meanwhile is kept.
            self._wake = eventlet.event.Event()
            now = time.monotonic()
            first = read_at is None
            read = first or now - read_at >= self.sweep
            read_at = now if read else read_at
            try:
                # The first read takes everything: what this process's previous run left, too.
                self.relay.publish_next(read, grace=0.0 if first else SWEEP_GRACE)
                self.relay.mark_confirmed(due_only=True)
            except Exception:
                log.exception("outbox relay failed; retrying")
            if self.relay.ready:
                continue    # more than a batch was handed
            wait = read_at + self.sweep - time.monotonic()
            marks = self.relay.marks_due_in()
            with eventlet.Timeout(max(0.0, wait if marks is None else min(wait, marks)), False):
                self._wake.wait()

    def get_dependency(self, worker_ctx):
        return self.wake
