"""The exactly-once effect of the unit of work (``processed=(consumer, event)``) against the
real database."""
import pytest

from thidua.uow import PROCESSED, UnitOfWork
from tests.helpers import report_event

pytestmark = pytest.mark.integration


def consumer_unit(db):
    return UnitOfWork(db, "system:test", "test")


def test_an_effect_is_applied_once_per_event_and_consumer(db_of):
    db = db_of("consumer")
    event = report_event()

    def effect(tx):
        tx.insert("effects", {"event": event["id"]})
        return "applied"

    unit = consumer_unit(db)
    assert unit.run(effect, processed=("c1", event)) == (True, "applied")
    assert unit.run(effect, processed=("c1", event)) == (False, None)
    assert unit.run(effect, processed=("c2", event)) == (True, "applied")  # another consumer has its own record
    assert db.effects.count_documents({}) == 2


def test_a_failed_effect_leaves_no_trace_and_can_be_retried(db_of):
    db = db_of("consumer")
    event = report_event()

    def failing(tx):
        tx.insert("effects", {"event": event["id"]})
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        consumer_unit(db).run(failing, processed=("c1", event))
    assert db.effects.count_documents({}) == 0
    assert db[PROCESSED].count_documents({}) == 0
    assert consumer_unit(db).run(lambda tx: tx.insert("effects", {}) and "ok", processed=("c1", event)) == (True, "ok")
