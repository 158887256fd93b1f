"""A body no consumer can decode is not dropped: it is parked in its handler's dead-letter queue
with the reason (kombu's own consumer logs it and acks it away), and the queue goes on."""
import pickle

import pytest
from kombu import Connection, Exchange, Producer
from nameko.testing.services import entrypoint_waiter

from thidua import dlq
from thidua.messaging import event_handler
from thidua.outbox import OutboxRelay
from tests.helpers import eventually, report_event

pytestmark = pytest.mark.integration
HANDLED = []
QUEUE = "evt-submissions-report.submitted.v1--reader.on_submitted"
EXCHANGE = Exchange("submissions.events", type="topic", durable=True)


class Reader:
    name = "reader"

    @event_handler("submissions", "report.submitted.v1")
    def on_submitted(self, event):
        HANDLED.append(event["id"])


@pytest.mark.parametrize("body, content_type", [
    (b'{"id": "half a JSON', "application/json"),               # malformed
    (b"report.submitted U02", "text/plain"),                     # a content type no handler accepts
    (pickle.dumps({"id": "x"}), "application/x-python-serialize"),   # never unpickle what the bus brings
])
def test_an_undecodable_body_is_parked_with_the_reason_and_the_queue_goes_on(
        body, content_type, container_factory, service_config, rabbit_config, db_of):
    HANDLED.clear()
    container = container_factory(Reader, service_config("ranking"))
    container.start()
    amqp = rabbit_config["AMQP_URI"]
    with Connection(amqp) as connection:
        Producer(connection).publish(body, exchange=EXCHANGE, routing_key="report.submitted.v1",
                                     content_type=content_type, content_encoding="binary", declare=[EXCHANGE])
    parked = eventually(lambda: dlq.peek(amqp, f"{QUEUE}.dlq"), what="the undecodable message parked")
    assert len(parked) == 1 and parked[0]["attempts"] == 0
    assert parked[0]["error"].startswith("UndecodableBody: the body cannot be decoded")
    good = report_event()
    with entrypoint_waiter(container, "on_submitted"):
        OutboxRelay(db_of("scratch"), amqp).publish_one({"event": good})
    assert HANDLED == [good["id"]]
