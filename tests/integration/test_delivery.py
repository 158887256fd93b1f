"""Delivery guarantees against the real broker and database: the outbox relay,
deduplication, retries with backoff and the dead-letter queue."""
import json

import pytest
from kombu import Connection, Exchange, Queue
from nameko.testing.services import entrypoint_waiter

from services.ranking.service import RankingService
from thidua import dlq, outbox
from thidua.messaging import ATTEMPT_HEADER, ERROR_HEADER, event_handler
from thidua.outbox import OutboxRelay
from thidua.uow import UnitOfWork
from tests.helpers import eventually, report_event, template_event

pytestmark = pytest.mark.integration


def bind_probe_queue(amqp_uri, source="submissions", routing_key="#"):
    """A durable queue bound to a service's events, to count what the relay publishes."""
    queue = Queue(f"probe-{source}", Exchange(f"{source}.events", type="topic", durable=True),
                  routing_key=routing_key, durable=True)
    with Connection(amqp_uri) as conn:
        queue.bind(conn.channel()).declare()
    return queue.name


def drain(amqp_uri, queue):
    bodies = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def ranking_with_template(container_factory, service_config, amqp, scratch_db):
    """A running ranking service that already knows the demo criteria template."""
    ranking = container_factory(RankingService, service_config("ranking"))
    ranking.start()
    with entrypoint_waiter(ranking, "on_template_published"):
        OutboxRelay(scratch_db, amqp).publish_one({"event": template_event()})
    return ranking


def commit_with_event(db, event):
    def work(tx):
        tx.insert("reports", {"_id": event["data"]["report_id"]})
        tx.emit(event)
    UnitOfWork(db, "test", event["correlation_id"]).run(work)


def test_an_event_committed_while_no_relay_runs_goes_out_once_when_one_starts(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    event = report_event()
    commit_with_event(db, event)            # the relay is down: the event waits in the outbox
    assert [e["_id"] for e in outbox.pending(db)] == [event["id"]]

    relay = OutboxRelay(db, amqp)           # the relay comes back
    assert relay.publish_pending() == 1
    assert relay.publish_pending() == 0     # and does not publish it again
    assert [body["id"] for body in drain(amqp, probe)] == [event["id"]]
    assert outbox.pending(db) == []


def test_a_relay_killed_between_publish_and_mark_republishes_and_the_consumer_applies_it_once(
        rabbit_config, db_of, container_factory, service_config):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    ranking = ranking_with_template(container_factory, service_config, amqp, db_of("scratch"))
    event = report_event(unit="U02", actual=80)
    commit_with_event(db, event)

    class Killed(BaseException):
        pass

    dying = OutboxRelay(db, amqp)
    dying.mark_published = lambda entry: (_ for _ in ()).throw(Killed())  # dies right after the confirm
    with entrypoint_waiter(ranking, "on_report_changed"):
        with pytest.raises(Killed):
            dying.publish_pending()
    assert [e["_id"] for e in outbox.pending(db)] == [event["id"]]  # not marked: it will go again

    with entrypoint_waiter(ranking, "on_report_changed"):
        assert OutboxRelay(db, amqp).publish_pending() == 1   # the restarted relay sends it again

    ranking_db = db_of("ranking")
    eventually(lambda: ranking_db.snapshots.count_documents({}) == 1, what="the recompute")   # coalesced, after the handler
    eventually(lambda: ranking_db.dirty_tables.count_documents({}) == 0, what="the marker taken in")
    assert ranking_db.snapshots.count_documents({}) == 1
    assert ranking_db.processed_events.count_documents({"event_id": event["id"]}) == 1
    assert ranking_db.outbox.count_documents({}) == 1       # one ranking.updated, not two


def test_the_same_event_delivered_twice_changes_nothing_the_second_time(
        rabbit_config, db_of, container_factory, service_config):
    amqp = rabbit_config["AMQP_URI"]
    ranking = ranking_with_template(container_factory, service_config, amqp, db_of("scratch"))
    relay = OutboxRelay(db_of("scratch"), amqp)
    event = report_event(unit="U04", actual=91)
    for _ in range(2):
        with entrypoint_waiter(ranking, "on_report_changed"):
            relay.publish_one({"event": event})
    db = db_of("ranking")
    eventually(lambda: db.snapshots.count_documents({}) == 1 and db.dirty_tables.count_documents({}) == 0,
               what="the recompute")
    state = [db[name].count_documents({}) for name in ("snapshots", "outbox", "audit", "reports")]
    assert state == [1, 1, 1, 1]
    assert db.processed_events.count_documents({"event_id": event["id"]}) == 1


def test_an_event_that_no_queue_is_bound_to_stays_in_the_outbox(rabbit_config, db_of):
    db = db_of("submissions")
    outbox.ensure_indexes(db)
    event = report_event()
    commit_with_event(db, event)
    assert OutboxRelay(db, rabbit_config["AMQP_URI"]).publish_pending() == 0
    entry = db.outbox.find_one({"_id": event["id"]})
    assert entry["published_at"] is None and "unroutable" in entry["last_error"]


FAILURES = []


class Flaky:
    """A consumer that fails ``fail_times`` times, then succeeds."""
    name = "flaky"
    fail_times = 0

    @event_handler("submissions", "report.submitted.v1")
    def handle(self, event):
        FAILURES.append(event["id"])
        if len(FAILURES) <= Flaky.fail_times:
            raise ValueError(f"cannot handle {event['data']['unit']} yet")


@pytest.fixture
def flaky(container_factory, service_config, rabbit_config):
    FAILURES.clear()

    def start(fail_times):
        Flaky.fail_times = fail_times
        container = container_factory(Flaky, service_config("ranking"))  # RETRY_DELAYS_MS=50,100
        container.start()
        return container
    return start


def test_a_failing_handler_is_retried_with_backoff_and_then_succeeds(flaky, rabbit_config, db_of):
    flaky(fail_times=2)
    event = report_event()
    OutboxRelay(db_of("scratch"), rabbit_config["AMQP_URI"]).publish_one({"event": event})
    eventually(lambda: len(FAILURES) == 3, what="two retries and a success")
    eventlet_sleep_and_assert_no_more(3)
    queues = dlq.dead_letter_queues(rabbit_config["AMQP_URI"], "http://guest:guest@127.0.0.1:15672")
    assert queues == [("evt-submissions-report.submitted.v1--flaky.handle.dlq", 0)]


def eventlet_sleep_and_assert_no_more(expected):
    import eventlet
    eventlet.sleep(0.5)
    assert len(FAILURES) == expected


def test_a_handler_that_keeps_failing_parks_the_message_in_the_dead_letter_queue_for_replay(
        flaky, rabbit_config, db_of):
    amqp = rabbit_config["AMQP_URI"]
    container = flaky(fail_times=3)      # one try and two retries: all fail
    event = report_event(unit="U05")
    OutboxRelay(db_of("scratch"), amqp).publish_one({"event": event})
    queue = "evt-submissions-report.submitted.v1--flaky.handle.dlq"
    parked = eventually(lambda: dlq.peek(amqp, queue), what="the dead letter")
    assert len(FAILURES) == 3
    assert parked == [{"event_id": event["id"], "type": "report.submitted.v1", "correlation_id": "test",
                       "queue": "evt-submissions-report.submitted.v1--flaky.handle", "attempts": 3,
                       "error": "ValueError: cannot handle U05 yet", "failed_at": parked[0]["failed_at"]}]
    assert dlq.peek(amqp, queue) == parked          # looking does not consume

    with entrypoint_waiter(container, "handle"):    # the operator fixed the cause and replays
        assert dlq.replay(amqp, queue) == 1
    assert FAILURES == [event["id"]] * 4
    assert dlq.peek(amqp, queue) == []


def test_headers_of_a_retried_message_count_attempts_and_keep_the_error(flaky, rabbit_config, db_of):
    amqp = rabbit_config["AMQP_URI"]
    flaky(fail_times=10)
    OutboxRelay(db_of("scratch"), amqp).publish_one({"event": report_event()})
    queue = "evt-submissions-report.submitted.v1--flaky.handle.dlq"
    eventually(lambda: dlq.peek(amqp, queue), what="the dead letter")
    with Connection(amqp) as conn:
        message = conn.channel().basic_get(queue, no_ack=True)
    assert message.headers[ATTEMPT_HEADER] == 4
    assert message.headers[ERROR_HEADER].startswith("ValueError")
    assert message.properties["delivery_mode"] == 2   # persistent all the way
