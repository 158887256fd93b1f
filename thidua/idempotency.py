"""Exactly-once effect for at-least-once delivery.

:func:`once` is the unit of work's consumer form (:mod:`thidua.uow`): the event id is recorded as
processed by a consumer in the same transaction as the handler's effect, so a redelivered event is
recognised and skipped, and a handler that failed half-way leaves no trace and can be retried.
"""
from thidua.uow import PROCESSED as COLLECTION, UnitOfWork  # noqa: F401  (COLLECTION: where the records are)


def once(db, consumer, event, effect):
    """Apply ``effect(session)`` for ``event`` unless ``consumer`` already did. Returns
    ``(True, result)`` when applied now, ``(False, None)`` for a duplicate."""
    return UnitOfWork(db, consumer, event.get("correlation_id")).run(lambda tx: effect(tx.session),
                                                                     processed=(consumer, event))
