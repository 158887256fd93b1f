"""Quorum queues on the real broker: what the platform declares, and the upgrade of a vhost
whose event queues an older version made classic."""
import pytest
from kombu import Connection, Exchange, Queue
from nameko.testing.services import entrypoint_waiter

from thidua import queues
from thidua.dlq import management
from thidua.messaging import event_handler
from thidua.outbox import OutboxRelay
from thidua.rpc import rpc
from tests.helpers import eventually, report_event

pytestmark = pytest.mark.integration
MANAGEMENT = "http://guest:guest@127.0.0.1:15672"
HANDLER = "evt-submissions-report.submitted.v1--counting.handle"
SEEN = []


class Counting:
    name = "counting"

    @event_handler("submissions", "report.submitted.v1")
    def handle(self, event):
        SEEN.append(event["id"])

    @rpc
    def ping(self):
        return "pong"


def declared(amqp):
    return {q["name"]: q for q in management(amqp, MANAGEMENT, "queues/{vhost}")}


def test_every_event_queue_is_a_quorum_queue_with_a_delivery_limit_of_the_retry_policy(
        container_factory, service_config, rabbit_config):
    container_factory(Counting, service_config("ranking")).start()   # RETRY_DELAYS_MS=50,100
    found = declared(rabbit_config["AMQP_URI"])
    ours = {name: q for name, q in found.items() if name.startswith(HANDLER)}
    assert sorted(ours) == [HANDLER, f"{HANDLER}.dlq", f"{HANDLER}.retry.100ms", f"{HANDLER}.retry.50ms"]
    assert {q["type"] for q in ours.values()} == {"quorum"} and all(q["durable"] for q in ours.values())
    assert ours[HANDLER]["arguments"]["x-delivery-limit"] == 3       # one try and two retries
    assert ours[HANDLER]["arguments"]["x-dead-letter-routing-key"] == f"{HANDLER}.dlq"
    assert ours[f"{HANDLER}.retry.50ms"]["arguments"]["x-dead-letter-strategy"] == "at-least-once"
    assert found["rpc-counting"]["type"] == "quorum"     # and the service's RPC calls


def test_queue_type_classic_keeps_the_queues_of_an_older_vhost(container_factory, service_config, rabbit_config):
    container_factory(Counting, service_config("ranking", QUEUE_TYPE="classic")).start()
    found = declared(rabbit_config["AMQP_URI"])
    assert found[HANDLER]["type"] == found["rpc-counting"]["type"] == "classic"


def old_classic_queues(amqp, waiting):
    """What an older version left: a classic handler queue bound to its events, with messages."""
    queue = Queue(HANDLER, Exchange("submissions.events", type="topic", durable=True),
                  routing_key="report.submitted.v1", durable=True)
    with Connection(amqp) as conn:
        queue.bind(conn.channel()).declare()
        Queue(f"{HANDLER}.dlq", durable=True).bind(conn.channel()).declare()
        Queue("rpc-counting", Exchange("nameko-rpc", type="topic", durable=True), routing_key="counting.*",
              durable=True).bind(conn.channel()).declare()
    relay = OutboxRelay(None, amqp)
    for event in waiting:
        relay.publish_one({"event": event})


def test_a_classic_queue_stops_the_service_with_the_way_out_and_the_upgrade_keeps_its_messages(
        container_factory, service_config, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    waiting = [report_event(unit=unit) for unit in ("U01", "U02")]
    old_classic_queues(amqp, waiting)
    with pytest.raises(RuntimeError, match="python -m thidua.queues upgrade"):
        container_factory(Counting, service_config("ranking")).start()

    moved = queues.upgrade(amqp, MANAGEMENT, attempts=3)
    assert moved == {HANDLER: 2, f"{HANDLER}.dlq": 0, "rpc-counting": 0}
    found = declared(amqp)
    assert found[HANDLER]["type"] == found[f"{HANDLER}.dlq"]["type"] == found["rpc-counting"]["type"] == "quorum"
    assert not any(name.endswith(".upgrading") for name in found)

    SEEN.clear()
    container = container_factory(Counting, service_config("ranking"))
    container.start()
    eventually(lambda: sorted(SEEN) == sorted(e["id"] for e in waiting), what="the kept messages handled")
    with entrypoint_waiter(container, "handle"):   # and still bound to new events
        OutboxRelay(None, amqp).publish_one({"event": report_event(unit="U03")})
    assert len(SEEN) == 3
    assert queues.upgrade(amqp, MANAGEMENT, attempts=3) == {}   # as declared: nothing to do


def test_a_new_retry_policy_s_delivery_limit_is_applied_by_the_upgrade_keeping_the_messages(
        container_factory, service_config, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    before = container_factory(Counting, service_config("ranking"))   # two delays: three attempts
    before.start()
    before.stop()
    waiting = report_event(unit="U04")
    OutboxRelay(None, amqp).publish_one({"event": waiting})          # waits while the service is stopped
    longer = service_config("ranking", RETRY_DELAYS_MS="50,100,200")
    with pytest.raises(RuntimeError, match="python -m thidua.queues upgrade"):
        container_factory(Counting, longer).start()

    assert queues.upgrade(amqp, MANAGEMENT, attempts=4) == {HANDLER: 1}
    assert declared(amqp)[HANDLER]["arguments"]["x-delivery-limit"] == 4
    SEEN.clear()
    container_factory(Counting, longer).start()
    eventually(lambda: SEEN == [waiting["id"]], what="the kept message handled")
