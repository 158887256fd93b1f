"""The short form of the fault-injection suite (``bench/faults.py``; ``make faults`` runs the full
one): a few reports through the public API while ranking is killed with -9, the broker node is
stopped and started, the database is stopped and started, and foreign messages are published.
Needs a locally installed RabbitMQ: the suite starts a node of its own on port 5680."""
import pytest

from bench import faults

pytestmark = pytest.mark.skipif(not faults.FaultBroker.available(),
                                reason="needs rabbitmq-server installed locally for a broker node of its own")


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return {row["fault"]: row for row in faults.run(("kill-ranking", "broker", "database", "foreign"), reports=8,
                                                    outage=3.0, deadline=4.0, logs=tmp_path_factory.mktemp("faults"))}


@pytest.mark.parametrize("fault", ["kill-ranking", "broker", "database", "foreign"])
def test_under_each_fault_every_accepted_report_is_stored_ranked_and_notified_once(rows, fault):
    row = rows[fault]
    assert row["accepted"] == 8                                  # the posters' retries got every report in
    assert row["stored"] == row["ranked"] == row["notified"] == row["accepted"]
    assert row["duplicated"] == 0


@pytest.mark.parametrize("fault", ["kill-ranking", "broker", "database", "foreign"])
def test_under_each_fault_no_500_no_502_no_late_answer_and_no_service_dies(rows, fault):
    row = rows[fault]
    assert "500" not in row["5xx"] and "502" not in row["5xx"], row["5xx"]
    assert row["late"] == 0
    assert row["died"] == 0 and row["left dead"] == 0


def test_every_foreign_message_is_dead_lettered_never_dropped(rows):
    assert rows["foreign"]["dead-lettered"] >= rows["foreign"]["foreign"]
