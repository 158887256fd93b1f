"""Notifications against the real broker and database, with submissions answering who the leaders are."""
import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.notifications.service import NotificationsService
from services.submissions.service import SubmissionsService
from thidua.outbox import OutboxRelay
from tests.helpers import demo_reference, report_event

pytestmark = pytest.mark.integration
LEADERS = {"thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02"}


@pytest.fixture
def notifications(container_factory, service_config):
    submissions = container_factory(SubmissionsService, service_config("submissions"))
    submissions.start()
    with entrypoint_hook(submissions, "load_reference_data") as load:
        load(demo_reference(), {"id": "system:test"})
    container = container_factory(NotificationsService, service_config("notifications"))
    container.start()
    return container


def test_a_submitted_report_reaches_each_leader_once_even_when_redelivered(notifications, rabbit_config, db_of):
    relay = OutboxRelay(db_of("scratch"), rabbit_config["AMQP_URI"])
    event = report_event(unit="U04", correlation_id="req-42")
    for _ in range(2):
        with entrypoint_waiter(notifications, "on_submissions_event"):
            relay.publish_one({"event": event})
    inbox = db_of("notifications").inbox
    assert {n["person"] for n in inbox.find()} == LEADERS
    assert inbox.count_documents({}) == len(LEADERS)
    with entrypoint_hook(notifications, "inbox") as read:
        box = read("thien.nh")
    assert box["unread"] == 1
    assert box["items"][0]["title"] == "Unit U04 đã nộp báo cáo Quý I/2021"
    assert box["items"][0]["correlation_id"] == "req-42"


def test_a_unit_officer_is_not_told_of_other_units_reports(notifications, rabbit_config, db_of):
    with entrypoint_waiter(notifications, "on_submissions_event"):
        OutboxRelay(db_of("scratch"), rabbit_config["AMQP_URI"]).publish_one({"event": report_event()})
    with entrypoint_hook(notifications, "inbox") as read:
        assert read("canbo.u04") == {"person": "canbo.u04", "unread": 0, "items": []}
