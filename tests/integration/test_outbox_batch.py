"""The relay publishes the outbox in batches with one wait for the broker's confirms per batch."""
import pytest

from thidua import outbox
from thidua.outbox import OutboxRelay
from thidua.uow import UnitOfWork
from tests.helpers import report_event, template_event
from tests.integration.test_delivery import bind_probe_queue, drain

pytestmark = pytest.mark.integration


def commit(db, events):
    def work(tx):
        for event in events:
            tx.emit(event)
    UnitOfWork(db, "test", "batch").run(work)


def test_a_batch_goes_out_in_order_and_each_event_once(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    events = [report_event(unit=f"U{n:03d}") for n in range(250)]
    for start in range(0, 250, 50):          # five commits, created in this order
        commit(db, events[start:start + 50])
    relay = OutboxRelay(db, amqp)
    assert [relay.publish_pending() for _ in range(4)] == [100, 100, 50, 0]
    relay.close()
    assert [body["id"] for body in drain(amqp, probe)] == [e["id"] for e in events]
    assert outbox.pending(db) == []


def test_an_unroutable_event_in_a_batch_stops_the_batch_there_and_keeps_the_order(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp, routing_key="report.submitted.v1")   # nothing is bound to templates
    events = [report_event(unit="U01"), report_event(unit="U02"), template_event(), report_event(unit="U04")]
    commit(db, events)
    relay = OutboxRelay(db, amqp)
    assert relay.publish_pending() == 2
    relay.close()
    assert [e["_id"] for e in outbox.pending(db)] == [e["id"] for e in events[2:]]   # U04 waits behind U03
    assert "unroutable" in db.outbox.find_one({"_id": events[2]["id"]})["last_error"]
    assert [body["id"] for body in drain(amqp, probe)][:2] == [e["id"] for e in events[:2]]
