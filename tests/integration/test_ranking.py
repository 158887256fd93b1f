"""The ranking service against the real broker and database."""
import pytest
from nameko.testing.services import entrypoint_hook

from services.ranking import engine
from services.ranking.service import RankingService
from thidua.outbox import OutboxRelay
from tests.helpers import demo_template, eventually, report_event, template_event

pytestmark = pytest.mark.integration


def test_two_replicas_recomputing_one_cluster_at_once_lose_nothing_and_agree(
        container_factory, service_config, rabbit_config, db_of):
    amqp, scratch = rabbit_config["AMQP_URI"], db_of("scratch")
    replicas = [container_factory(RankingService, service_config("ranking")) for _ in range(2)]
    for replica in replicas:   # competing consumers on the same queues, as two processes would be
        replica.start()
    relay = OutboxRelay(scratch, amqp)
    relay.publish_one({"event": template_event()})
    db = db_of("ranking")
    eventually(lambda: db.templates.count_documents({}) == 1, what="the template")
    events = [report_event(unit=f"U{n:02d}", actual=80 + n) for n in range(1, 21)]
    for event in events:
        relay.publish_one({"event": event})

    expected = engine.compute(demo_template(), [
        {k: e["data"][k] for k in ("unit", "unit_name", "submitted_at", "late", "version", "values",
                                   "self_scores", "violations", "commendations", "review")} for e in events])

    def current_table():
        with entrypoint_hook(replicas[0], "get_ranking") as get_ranking:
            try:
                table = get_ranking("CUM-01", "2021-Q1")
            except Exception:
                return None
        return table if table["input_hash"] == expected["input_hash"] else None

    table = eventually(current_table, timeout=60, what="the table of all twenty reports")
    assert [(r["unit"], r["rank"], r["total"]) for r in table["table"]] == \
        [(r["unit"], r["rank"], r["total"]) for r in expected["table"]]
    versions = sorted(s["version"] for s in db.snapshots.find({}, {"version": 1}))
    assert versions == list(range(1, len(versions) + 1))          # no version lost or written twice
    assert db.outbox.count_documents({}) == len(versions)          # one ranking.updated per snapshot
    assert db.processed_events.count_documents({"type": "report.submitted.v1"}) == 20


def test_a_report_naming_an_unknown_template_waits_and_is_scored_once_the_template_arrives(
        container_factory, service_config, rabbit_config, db_of):
    amqp = rabbit_config["AMQP_URI"]
    ranking = container_factory(RankingService, service_config("ranking", RETRY_DELAYS_MS="100,200,400,800"))
    ranking.start()
    relay = OutboxRelay(db_of("scratch"), amqp)
    relay.publish_one({"event": report_event(unit="U03")})   # before its template: retried with backoff
    relay.publish_one({"event": template_event()})
    db = db_of("ranking")
    eventually(lambda: db.snapshots.count_documents({}) == 1, what="the report scored after retries")
    assert db.snapshots.find_one()["table"][0]["unit"] == "U03"
