"""The exactly-once-effect helper against the real database."""
import pytest

from thidua.idempotency import once
from tests.helpers import report_event

pytestmark = pytest.mark.integration


def test_an_effect_is_applied_once_per_event_and_consumer(db_of):
    db = db_of("consumer")
    event = report_event()

    def effect(session):
        db.effects.insert_one({"event": event["id"]}, session=session)
        return "applied"

    assert once(db, "c1", event, effect) == (True, "applied")
    assert once(db, "c1", event, effect) == (False, None)
    assert once(db, "c2", event, effect) == (True, "applied")   # another consumer has its own record
    assert db.effects.count_documents({}) == 2


def test_a_failed_effect_leaves_no_trace_and_can_be_retried(db_of):
    db = db_of("consumer")
    event = report_event()

    def failing(session):
        db.effects.insert_one({"event": event["id"]}, session=session)
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        once(db, "c1", event, failing)
    assert db.effects.count_documents({}) == 0
    assert db.processed_events.count_documents({}) == 0
    assert once(db, "c1", event, lambda s: db.effects.insert_one({}, session=s) and "ok") == (True, "ok")
