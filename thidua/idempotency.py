"""Exactly-once effect for at-least-once delivery.

:func:`once` records the event id as processed by a consumer in the same
transaction as the handler's effect: either both are committed or neither, so a
redelivered event is recognised and skipped, and a handler that failed half-way
leaves no trace and can be retried.
"""
from thidua.events import utcnow
from thidua.mongo import in_transaction

COLLECTION = "processed_events"


def once(db, consumer, event, effect):
    """Apply ``effect(session)`` for ``event`` unless ``consumer`` already did.

    Returns ``(True, result)`` when applied now, ``(False, None)`` for a duplicate.
    """
    key = f"{consumer}:{event['id']}"

    def work(session):
        # Look before inserting: a failed write would abort the whole transaction.
        # Two deliveries racing past this check collide on the unique _id and the
        # loser's message is retried, then recognised here as a duplicate.
        if db[COLLECTION].find_one({"_id": key}, session=session) is not None:
            return False, None
        db[COLLECTION].insert_one(
            {"_id": key, "consumer": consumer, "event_id": event["id"],
             "type": event["type"], "processed_at": utcnow()},
            session=session,
        )
        return True, effect(session)

    return in_transaction(db, work)
