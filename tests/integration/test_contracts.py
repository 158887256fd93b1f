"""Event contracts on the consumer's side, through the real broker: an event that breaks its
contract or has a version nobody here can read is parked in the handler's dead-letter queue at
once with the reason; a v1 event reaches a handler that reads v2, upcast."""
import pytest
from nameko.testing.services import entrypoint_waiter

from thidua import dlq
from thidua.events import new_event
from thidua.messaging import event_handler
from thidua.outbox import OutboxRelay
from tests.helpers import eventually, report_event
from tests.unit.test_events import submitted_v2, v2  # noqa: F401 (v2 is the fixture adding report.submitted.v2)

pytestmark = pytest.mark.integration

RECEIVED = []


class Reader:
    """Reads report.submitted as v2, and every submissions event through a wildcard."""
    name = "reader"

    @event_handler("submissions", "report.submitted.v2")
    def on_submitted(self, event):
        RECEIVED.append(("v2", event))

    @event_handler("submissions", "#")
    def on_anything(self, event):
        RECEIVED.append(("any", event))


@pytest.fixture
def reader(v2, container_factory, service_config):   # noqa: F811 (the fixture imported above)
    RECEIVED.clear()
    container = container_factory(Reader, service_config("ranking"))
    container.start()
    return container


def publish(amqp, db, event):
    OutboxRelay(db, amqp).publish_one({"event": event})


def test_a_v1_event_reaches_a_v2_reader_upcast_and_a_v2_event_as_it_is(reader, rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("scratch")
    old = report_event(unit="U03")
    with entrypoint_waiter(reader, "on_submitted"):
        publish(amqp, db, old)
    new = new_event("report.submitted.v2", submitted_v2(report_event(unit="U04")["data"]), "cid")
    with entrypoint_waiter(reader, "on_submitted"):
        publish(amqp, db, new)
    eventually(lambda: len(RECEIVED) == 4, what="both events at both handlers")
    read = [event for handler, event in RECEIVED if handler == "v2"]
    assert [(e["type"], e["id"], e["data"]["unit"]) for e in read] == [
        ("report.submitted.v2", old["id"], "U03"), ("report.submitted.v2", new["id"], "U04")]
    assert read[0]["data"]["self_total"] == 10.0 and "total" not in read[0]["data"]
    # The wildcard reader, too, gets the newest version it knows.
    assert {e["type"] for handler, e in RECEIVED if handler == "any"} == {"report.submitted.v2"}


def test_an_event_that_breaks_its_contract_goes_to_the_dead_letter_queue_without_retries(
        reader, rabbit_config, db_of):
    amqp = rabbit_config["AMQP_URI"]
    broken = report_event(unit="U05")
    del broken["data"]["total"]
    publish(amqp, db_of("scratch"), broken)
    queue = "evt-submissions-report.submitted.v2--reader.on_submitted.dlq"
    parked = eventually(lambda: dlq.peek(amqp, queue), what="the refused event")
    assert parked == [{"event_id": broken["id"], "type": "report.submitted.v1", "correlation_id": "test",
                       "queue": "evt-submissions-report.submitted.v2--reader.on_submitted", "attempts": 0,
                       "error": "InvalidEvent: report.submitted.v1 data lacks 'total'",
                       "failed_at": parked[0]["failed_at"]}]
    eventually(lambda: dlq.peek(amqp, "evt-submissions-#--reader.on_anything.dlq"), what="the wildcard's refusal")
    assert RECEIVED == []


def test_an_unknown_version_goes_to_the_dead_letter_queue_with_its_reason(reader, rabbit_config, db_of):
    amqp = rabbit_config["AMQP_URI"]
    future = {**report_event(unit="U06"), "type": "report.submitted.v3"}
    publish(amqp, db_of("scratch"), future)
    queue = "evt-submissions-#--reader.on_anything.dlq"
    parked = eventually(lambda: dlq.peek(amqp, queue), what="the refused event")
    assert [(p["event_id"], p["attempts"], p["error"]) for p in parked] == [
        (future["id"], 0, "UnknownVersion: unknown event type 'report.submitted.v3': no contract for it here")]
    assert RECEIVED == []
