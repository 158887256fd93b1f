"""One unit of work: a state change, its audit entry and its events, whole or not at all.

Every service changes state the same way: ``work(tx)`` runs inside one MongoDB multi-document
transaction, and what it writes through ``tx`` — the documents, the audit entry (who, when, what,
from which request) and the outgoing events (transactional outbox) — is committed together or not
at all. On top of that, in one place:

- **optimistic concurrency**: :meth:`Transaction.replace` is a compare-and-set on the document's
  ``version`` and raises :class:`~thidua.errors.StaleVersion` when someone changed it meanwhile;
- **conflict retry**: exceptions listed in ``retry_on`` (a lost race) rerun the whole transaction;
  pymongo's ``with_transaction`` already reruns it on transient errors;
- **idempotent requests**: with an ``idempotency_key`` the first answer is stored in the same
  transaction and returned to a retried request (a different request with the same key is refused).
  The key is not read first: the first request, the common case, costs no read. A retry runs its
  work again, then collides on the stored key (or fails on what the first one changed), its
  transaction is abandoned, and the stored answer is read and returned;
- **exactly-once consumers**: with ``processed=(consumer, event)`` the event id is recorded as
  processed by that consumer in the same transaction as the effect, so a redelivered event is
  recognised and skipped, and a handler that failed half-way leaves no trace.

``work`` may run more than once, so it must touch the database only through ``tx``.
"""
import hashlib
import json

from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError, PyMongoError

from thidua import audit, kept, outbox, signing
from thidua.correlation import CorrelationId
from thidua.errors import IdempotencyKeyReused, StaleVersion
from thidua.events import utcnow

PROCESSED = "processed_events"
IDEMPOTENCY = "idempotency"


class Transaction:
    """What ``work`` writes with: every write joins the one transaction."""

    def __init__(self, db, session, actor_id, correlation_id, marked=()):
        self.db, self.session = db, session
        self.actor_id, self.correlation_id = actor_id, correlation_id
        self.recorded = []      # the outbox entries of the events it raised
        self.claimed = False    # the event of ``processed`` recorded as this consumer's (not a duplicate)
        self.marked = marked    # collections whose reads the service keeps (thidua.kept): a write marks
        self._changed_kept = False

    def find_one(self, collection, query, *args, **kwargs):
        return self.db[collection].find_one(query, *args, session=self.session, **kwargs)

    def insert(self, collection, document):
        self.db[collection].insert_one(document, session=self.session)
        self._mark(collection, document["_id"])
        return document

    def replace(self, collection, before, after):
        """Write ``after`` over ``before`` only if the stored document is still ``before``'s
        version (or, for an unversioned document, still there); else :class:`StaleVersion`."""
        if self.db[collection].replace_one(self._as_read(before), after, session=self.session).matched_count != 1:
            raise StaleVersion(f"It changed meanwhile ({collection} {before['_id']}); reload it and try again.")
        self._mark(collection, before["_id"])
        return after

    def delete(self, collection, before):
        """Remove ``before``, compare-and-set like :meth:`replace`."""
        if self.db[collection].delete_one(self._as_read(before), session=self.session).deleted_count != 1:
            raise StaleVersion(f"It changed meanwhile ({collection} {before['_id']}); reload it and try again.")
        self._mark(collection, before["_id"])

    def _mark(self, collection, key):
        """A kept collection changes: its counter goes up, once per transaction (thidua.kept)."""
        if collection in self.marked and not self._changed_kept:
            kept.mark(self.db, self.session, (collection, key))
            self._changed_kept = True

    @staticmethod
    def _as_read(before):
        query = {"_id": before["_id"]}
        if "version" in before:
            query["version"] = before["version"]
        return query

    def emit(self, event):
        self.recorded.append(outbox.record(self.db, self.session, event))
        return event

    def record(self, action, entity, entity_id, before, after, context=None, events=()):
        """The audit entry of one state change, and the events it raises."""
        audit.record(self.db, self.session, actor=self.actor_id, action=action, entity=entity,
                     entity_id=entity_id, before=before, after=after, correlation_id=self.correlation_id,
                     context=dict(context or {}, event_ids=[e["id"] for e in events]))
        for event in events:
            self.emit(event)


class UnitOfWork:
    def __init__(self, db, actor_id, correlation_id, delivery=None, marked=()):
        self.db, self.actor_id, self.correlation_id = db, actor_id, correlation_id
        self.delivery = delivery   # how the event being handled arrived (thidua.signing.DELIVERY_KEY)
        self.marked = marked       # collections whose writes mark a change of what is kept (thidua.kept)

    def as_actor(self, actor_id):
        return UnitOfWork(self.db, actor_id, self.correlation_id, self.delivery, self.marked)

    def run(self, work, idempotency_key=None, request=None, retry_on=(), retries=5, processed=None):
        """``work(tx)``'s result, committed with everything it wrote (see the module's doc)."""
        once = None if idempotency_key is None else (
            f"{self.actor_id}:{idempotency_key}",
            hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest())
        for attempt in range(1, retries + 1):
            tried = []     # the Transaction of each attempt; the last one is what committed
            try:
                with self.db.client.start_session() as session:
                    result = session.with_transaction(
                        lambda s: self._transaction(s, work, once, processed, tried))
            except Exception as problem:
                earlier = self._stored(once)
                if earlier is not None:
                    return self._answered_before(earlier, once[1])
                if isinstance(problem, DuplicateKeyError) and processed is not None and tried \
                        and not tried[-1].claimed:
                    return self._processed_before(*processed)
                if not isinstance(problem, tuple(retry_on)) or attempt == retries:
                    raise
                continue
            if tried and tried[-1].recorded:
                outbox.committed(self.db, tried[-1].recorded)   # published now, not at the next sweep
            return result

    def _transaction(self, session, work, once, processed, tried):
        tx = Transaction(self.db, session, self.actor_id, self.correlation_id, self.marked)
        tried.append(tx)
        if processed is not None:
            consumer, event = processed
            # The event is claimed by the transaction's first write: one already processed collides
            # on the unique _id before any work is done, the transaction is abandoned, and run()
            # recognises the duplicate. A first delivery, the common case, costs no read. Two
            # deliveries at once: the later one's write conflicts, pymongo reruns its transaction,
            # and it then collides with the committed claim.
            tx.insert(PROCESSED, {"_id": f"{consumer}:{event['id']}", "consumer": consumer, "event_id": event["id"],
                                  "type": event["type"], "processed_at": utcnow(),
                                  "nonce": (self.delivery or {}).get("nonce")})
            tx.claimed = True
            return True, work(tx)
        response = work(tx)
        if once is not None:
            # Last, so the key's collision (a retry, or the same request twice at once) abandons
            # everything the work wrote; run() then answers with what the first one stored.
            key, fingerprint = once
            tx.insert(IDEMPOTENCY, {"_id": key, "request": fingerprint, "response": response, "at": utcnow()})
        return response

    def _stored(self, once):
        """What the first request with ``once``'s key stored, or None; None too when the database
        cannot answer now (the error that brought us here then stands)."""
        if once is None:
            return None
        try:
            return self.db[IDEMPOTENCY].find_one({"_id": once[0]})
        except PyMongoError:
            return None

    @staticmethod
    def _answered_before(earlier, fingerprint):
        """The stored answer to a request sent again with its idempotency key; a different request
        with the same key is refused."""
        if earlier["request"] != fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different request; use a new key.")
        return earlier["response"]

    def _processed_before(self, consumer, event):
        """``run``'s answer for an event this consumer has processed already: nothing done, unless
        the delivery is a replay of a signed copy (the same nonce seen again), which is refused."""
        earlier = self.db[PROCESSED].find_one({"_id": f"{consumer}:{event['id']}"})
        if earlier is not None and signing.is_replay(self.delivery, earlier):
            raise signing.ReplayedEvent(event["id"])
        return False, None


class Work(DependencyProvider):
    """``uow = Work()``: ``self.uow`` is a :class:`UnitOfWork` on the service's ``db`` dependency,
    acting as ``self.caller`` (when the service has one) with the worker's correlation id.
    ``Work(marked=(...))``: writes to those collections mark a change of what is kept (thidua.kept)."""

    def __init__(self, marked=()):
        self.marked = frozenset(marked)

    def get_dependency(self, worker_ctx):
        return _Bound(worker_ctx, self.marked)


class _Bound:
    """Resolved when used, so the service's other dependencies (``db``, ``caller``) are in place."""

    def __init__(self, worker_ctx, marked=()):
        self._worker_ctx, self._marked = worker_ctx, marked

    def _unit(self, actor_id=None):
        service = self._worker_ctx.service
        if actor_id is None:
            caller = getattr(service, "caller", None)
            actor_id = caller.id if caller is not None else None
        return UnitOfWork(service.db, actor_id, CorrelationId.of(self._worker_ctx),
                          self._worker_ctx.data.get(signing.DELIVERY_KEY), self._marked)

    def as_actor(self, actor_id):
        return self._unit(actor_id)

    def run(self, work, **kwargs):
        return self._unit().run(work, **kwargs)
