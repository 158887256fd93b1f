"""Signed events through the real broker: the ranking acts only on what submissions signed. A
forged, an unsigned and a replayed event are each parked in the dead-letter queue with the reason,
and the ranking does not change; a redelivery or the relay's republication is skipped quietly."""
import pytest
from kombu import Exchange
from nameko.amqp.publish import Publisher

from services.ranking.service import RankingService
from thidua import dlq, signing
from thidua.outbox import OutboxRelay
from tests.helpers import eventually, report_event, template_event

pytestmark = pytest.mark.integration
QUEUE = "evt-submissions-report.submitted.v1--ranking.on_report_changed"
EXCHANGE = Exchange("submissions.events", type="topic", durable=True)


def publish_raw(amqp, event, headers):
    """What any holder of the broker's credentials can do: publish whatever they like."""
    Publisher(amqp, use_confirms=True, serializer="json").publish(
        event, exchange=EXCHANGE, routing_key=event["type"], declare=[EXCHANGE], headers=headers,
        message_id=event["id"])


@pytest.fixture
def ranking(container_factory, service_config, rabbit_config, db_of):
    container = container_factory(RankingService, service_config("ranking"))
    container.start()
    relay = OutboxRelay(db_of("scratch"), rabbit_config["AMQP_URI"])
    relay.publish_one({"event": template_event()})
    real = report_event(unit="U03", actual=90)
    delivered = {signing.HEADER: signing.sign(real, signing.keys_from({}))}   # what the relay sends
    publish_raw(rabbit_config["AMQP_URI"], real, delivered)
    db = db_of("ranking")
    eventually(lambda: db.snapshots.count_documents({}) == 1, what="the real report ranked")
    return db, real, delivered


def parked_errors(amqp):
    return [p["error"] for p in dlq.peek(amqp, f"{QUEUE}.dlq")]


def test_a_forged_an_unsigned_and_a_replayed_event_are_refused_and_change_nothing(ranking, rabbit_config):
    db, real, delivered = ranking
    amqp = rabbit_config["AMQP_URI"]
    forged = report_event(unit="U04", version=999)          # finding 4: a version no real report has
    OutboxRelay(db, amqp, keys={"submissions": "an-attackers-own-key-" + "q7" * 16}).publish_one({"event": forged})
    publish_raw(amqp, report_event(unit="U05"), {})         # unsigned
    errors = eventually(lambda: (lambda e: e if len(e) == 2 else None)(parked_errors(amqp)),
                        what="the forged and unsigned events parked")
    assert any("bad signature" in e for e in errors) and any("unsigned event" in e for e in errors)
    publish_raw(amqp, real, delivered)                      # the real message, captured and sent again
    errors = eventually(lambda: (lambda e: e if len(e) == 3 else None)(parked_errors(amqp)),
                        what="the replayed copy parked")
    assert sum("replayed copy" in e for e in errors) == 1
    assert all(p["attempts"] == 0 for p in dlq.peek(amqp, f"{QUEUE}.dlq"))   # refused at once, no retries
    assert db.snapshots.count_documents({}) == 1                               # the ranking did not move
    assert sorted(c["unit"] for c in db.reports.find()) == ["U03"]
    assert db.reports.find_one({"unit": "U03"})["version"] == 1


def test_the_relays_republication_of_a_sent_event_is_skipped_quietly(ranking, rabbit_config, db_of):
    db, real, _ = ranking
    amqp = rabbit_config["AMQP_URI"]
    OutboxRelay(db_of("scratch"), amqp).publish_one({"event": real})   # a relay that died before marking it
    follow = report_event(unit="U06", actual=70)
    OutboxRelay(db_of("scratch"), amqp).publish_one({"event": follow})
    eventually(lambda: db.reports.count_documents({}) == 2, what="the next report")
    assert parked_errors(amqp) == []
    assert db.processed_events.count_documents({"event_id": real["id"]}) == 1
