"""Notifications against the real broker and database, a real SMTP server (aiosmtpd) and a
real webhook receiver, both on loopback. Who is who comes from notifications' own copy of the
directory, filled by the directory events; the service that owns people only answers who the
caller is (a stand-in here, except for the reminders, which need submissions' reporting status)."""
import os
import time
from datetime import datetime

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from scripts.launcher import free_port
from services.notifications.service import NotificationsService
from services.submissions.service import SubmissionsService
from tests import receivers
from tests.helpers import demo_reference, eventually, report_event, system
from tests.integration.test_notifications_interface import directory_events
from tests.integration.test_submissions import Client
from thidua import dlq, tokens
from thidua.caller import Caller, CallerProvider
from thidua.errors import Forbidden, Unauthenticated
from thidua.events import new_event
from thidua.outbox import OutboxRelay
from thidua.rpc import rpc

pytestmark = pytest.mark.integration
CLUSTER_LEAD = {"hanh.ptv", "lanhdao.u02"}
ADMIN = {"id": "admin"}
DEMO_PEOPLE = {p["id"]: p for p in demo_reference()["people"]}


def demo_caller(service, credential):
    """As submissions resolves a credential in demo mode: the id names the person; a system caller
    needs its service token."""
    if credential.get("assertion"):
        claims = tokens.verify_on_bus(os.environ["SERVICE_SECRET"], credential["assertion"], time.time())
        return Caller(claims["sub"], role="system")
    person = DEMO_PEOPLE.get(credential.get("id"))
    if person is None:
        raise Unauthenticated("unknown person")
    return Caller(person["id"], role=person["role"], unit=person.get("unit"))


class People:
    """Stands for the service that owns people: it answers who the caller is, and nothing else
    (asked for an audience, it would fail: notifications must not need it for that)."""
    name = "submissions"
    caller = CallerProvider(demo_caller)

    @rpc
    def whois(self):
        return self.caller.require().as_dict()


class As:
    """Calls the service's RPC methods through its real entrypoints, with a caller in the context."""

    def __init__(self, container, credential=None):
        self.container, self.credential = container, credential

    def __call__(self, credential):
        return As(self.container, credential)

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            credential = self.credential() if callable(self.credential) else self.credential
            context = {"caller": credential} if credential else None
            with entrypoint_hook(self.container, method, context_data=context) as hook:
                return hook(*args, **kwargs)
        return call


@pytest.fixture
def mail(tmp_path):
    port = free_port()
    server = receivers.mail_server(port, tmp_path / "maildir").start(port)
    server.port, server.maildir = port, tmp_path / "maildir"
    yield server
    server.stop()


def start_platform(container_factory, service_config, rabbit_config, db_of, mail, owner):
    owner_container = container_factory(owner, service_config("submissions"))
    owner_container.start()
    notifications = container_factory(NotificationsService, service_config(
        "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=mail.port, DELIVERY_BACKOFF_SECONDS=0.05,
        DELIVERY_MAX_ATTEMPTS=3, PUBLIC_URL="https://thidua.example"))
    notifications.start()

    class Platform:
        container = notifications
        owner = owner_container
        service = As(notifications, system())
        db = db_of("notifications")
        relay = OutboxRelay(db_of("scratch"), rabbit_config["AMQP_URI"])
        amqp = rabbit_config["AMQP_URI"]

        def publish(self, event, handler="on_submissions_event"):
            """Publish ``event`` and wait until the service has handled this very event (the
            submissions service publishes its own events on the same exchange meanwhile)."""
            def this_event(worker_ctx, result, exc_info):
                return worker_ctx.args[0]["id"] == event["id"]
            with entrypoint_waiter(notifications, handler, callback=this_event):
                self.relay.publish_one({"event": event})

    platform = Platform()
    for event in directory_events():     # what submissions publishes as the reference data is loaded
        platform.publish(event)
    return platform


@pytest.fixture
def platform(container_factory, service_config, mail, rabbit_config, db_of):
    return start_platform(container_factory, service_config, rabbit_config, db_of, mail, People)


def mails_to(maildir, address):
    return [m for m in receivers.received_mail(maildir) if address in m["To"]]


def test_a_submitted_report_reaches_the_cluster_leads_inbox_and_mailbox_once(platform, mail):
    event = report_event(unit="U04", correlation_id="req-42")
    for _ in range(2):   # delivered twice: one notice per person and channel all the same
        platform.publish(event)
    inbox = platform.db.inbox
    assert {n["person"] for n in inbox.find()} == CLUSTER_LEAD and inbox.count_documents({}) == 2
    box = platform.service.inbox("hanh.ptv")
    assert box["unread"] == 1 and box["items"][0]["title"] == "Unit U04 đã nộp báo cáo Quý I/2021"
    assert box["items"][0]["correlation_id"] == "req-42"
    eventually(lambda: len(mails_to(mail.maildir, "hanh.ptv@example.com")) == 1, what="the e-mail")
    message = mails_to(mail.maildir, "hanh.ptv@example.com")[0]
    assert message["Subject"] == "Unit U04 đã nộp báo cáo Quý I/2021"
    text = message.get_content()
    assert "Kính gửi đồng chí Phạm Thị Vân Hạnh" in text and "https://thidua.example/api/v1/reports/" in text
    platform.service.deliver_pending()
    assert len(mails_to(mail.maildir, "hanh.ptv@example.com")) == 1
    assert platform.service.inbox("canbo.u04")["items"] == []   # not the cluster lead


def test_marking_read_and_muting_e_mail(platform, mail):
    platform.publish(report_event(unit="U05"))
    notice = platform.service.inbox("lanhdao.u02")["items"][0]["id"]
    assert platform.service({"id": "lanhdao.u02"}).mark_read("lanhdao.u02", notice)["unread"] == 0
    assert platform.db.audit.find_one({"action": "notice.read", "entity_id": notice})["actor"] == "lanhdao.u02"
    with pytest.raises(Forbidden):
        platform.service({"id": "canbo.u05"}).mark_read("lanhdao.u02", notice)
    with pytest.raises(Unauthenticated):
        platform.service(None).mark_read("lanhdao.u02", notice)
    platform.service({"id": "hanh.ptv"}).set_preferences("hanh.ptv", {"muted": ["report.submitted"]})
    platform.publish(report_event(unit="U06"))
    platform.service.deliver_pending()
    subjects = [m["Subject"] for m in mails_to(mail.maildir, "hanh.ptv@example.com")]
    assert not any("Unit U06" in s for s in subjects)                      # muted: no e-mail ...
    assert any("Unit U06" in n["title"] for n in platform.service.inbox("hanh.ptv")["items"])   # ... inbox yes


def test_an_smtp_outage_is_retried_then_failed_and_the_administrators_retry_delivers(platform, mail):
    mail.stop()                                                    # the mail server is down
    platform.publish(report_event(unit="U03"))
    admin = platform.service(ADMIN)
    failed = eventually(lambda: [n for n in admin.failed_notices()["items"] if n["to"] ==
                                 "hanh.ptv@example.com"], what="the notice marked failed")[0]
    assert failed["attempts"] == 3 and "SMTP" in failed["last_error"]
    log = admin.notice_deliveries(failed["id"])
    assert [(d["attempt"], d["ok"]) for d in log] == [(1, False), (2, False), (3, False)]
    assert log[1]["at"] > log[0]["at"]
    mail.start(mail.port)                                          # fixed
    admin.retry_notice(failed["id"])
    eventually(lambda: len(mails_to(mail.maildir, "hanh.ptv@example.com")) == 1, what="the retried e-mail")
    # The mail server has the message before the sender records the delivery: wait for the record.
    eventually(lambda: platform.db.outgoing.find_one({"_id": failed["id"]})["status"] == "SENT",
               what="the notice recorded as sent")


def test_a_signed_webhook_is_delivered_and_an_outage_is_retried(platform, tmp_path):
    port, out = free_port(), tmp_path / "hooks.jsonl"
    secret = "a-shared-secret-of-some-length"
    admin = platform.service(ADMIN)
    admin.add_webhook({"url": f"http://127.0.0.1:{port}/thidua", "secret": secret, "kinds": ["report.submitted"]})
    broken = receivers.webhook_server(port, secret, out, status=503).start(port)
    try:
        platform.publish(report_event(unit="U04"))
        failed = eventually(lambda: [n for n in admin.failed_notices()["items"] if n["channel"] == "webhook"],
                            what="the webhook notice failed")[0]
        assert failed["last_error"].endswith("HTTP 503")
    finally:
        broken.stop()
    working = receivers.webhook_server(port, secret, out).start(port)
    try:
        admin.retry_notice(failed["id"])
        hooks = eventually(lambda: [h for h in receivers.received_hooks(out)][3:], what="the delivered webhook")
        assert hooks[0]["verified"] is True
        assert hooks[0]["body"]["kind"] == "report.submitted" and hooks[0]["body"]["title"].startswith("Unit U04")
        assert all(h["verified"] for h in receivers.received_hooks(out))
    finally:
        working.stop()


def period_payload(code, deadline):
    return {"code": code, "kind": "quarter", "year": 2021, "label": code, "starts_on": "2021-07-01T00:00:00+07:00",
            "ends_on": "2021-09-30T23:59:59+07:00", "deadline": deadline,
            "template": {"id": "TCTD-CAT-2021", "version": 1}}


@pytest.fixture
def with_submissions(container_factory, service_config, mail, rabbit_config, db_of):
    """The real submissions service: reminders need its reporting status (periods, deadlines, reports)."""
    platform = start_platform(container_factory, service_config, rabbit_config, db_of, mail, SubmissionsService)
    platform.submissions_client = Client(platform.owner)
    platform.submissions_client.as_(system()).load_reference_data(demo_reference())
    return platform


def titles(db, person):
    return [n["title"] for n in db.inbox.find({"person": person}).sort([("created_at", -1), ("_id", 1)])]


def test_reminders_are_sent_once_per_offset_even_across_a_restart_and_the_missed_notice_names_the_missing(
        with_submissions, container_factory, service_config, mail, monkeypatch):
    platform = with_submissions
    subs = platform.submissions_client
    subs.as_({"id": "trung.th"}).plan_period(period_payload("2021-Q3", "2021-10-10T17:00:00+07:00"))
    subs.as_({"id": "trung.th"}).transition_run("CUM-01", "2021-Q3", "open", {"version": 1})
    for unit in ("U01", "U02", "U04", "U06"):
        subs.as_({"id": f"canbo.{unit.lower()}"}).submit_report({"unit": unit, "period": "2021-Q3"})
    svc = platform.service

    def at(moment):   # the service's own clock: run_reminders takes none from its caller
        monkeypatch.setattr("services.notifications.service.utcnow",
                            lambda: datetime.fromisoformat(moment.replace("Z", "+00:00")))
    at("2021-10-06T10:00:00Z")
    assert svc.run_reminders() == []                                          # more than 3 days before
    at("2021-10-07T11:00:00Z")
    three_days = svc.run_reminders()
    assert three_days == ["due|2021-Q3|U03|72h", "due|2021-Q3|U05|72h"]
    at("2021-10-07T12:00:00Z")
    assert svc.run_reminders() == []                                          # not twice
    platform.container.stop()                                                 # a restart
    restarted = container_factory(NotificationsService, service_config("notifications"))
    restarted.start()
    again = As(restarted, system())
    at("2021-10-07T13:00:00Z")
    assert again.run_reminders() == []
    at("2021-10-09T12:00:00Z")
    assert again.run_reminders() == ["due|2021-Q3|U03|24h", "due|2021-Q3|U05|24h"]
    at("2021-10-10T10:01:00Z")
    missed = again.run_reminders()
    assert missed == ["missed|2021-Q3|U03", "missed|2021-Q3|U05", "missed|2021-Q3|CUM-01"]
    assert titles(platform.db, "canbo.u04") == []                              # it had handed in
    assert titles(platform.db, "canbo.u03") == ["Quá hạn nộp báo cáo Quý III/2021",
                                                "Còn 1 ngày đến hạn nộp báo cáo Quý III/2021",
                                                "Còn 3 ngày đến hạn nộp báo cáo Quý III/2021"]
    missing = platform.db.inbox.find_one({"person": "hanh.ptv", "kind": "deadline.missed"})["body"]
    assert "Phòng Công tác Đảng và công tác chính trị, Phòng Hồ sơ." in missing
    assert "Phòng Tham mưu" not in missing and "Phòng Hậu cần" not in missing


def test_minor_ranking_updates_wait_for_the_digest_and_the_votes_result_is_told_at_once(platform):
    def ranking_event(version, leader_changed, status="provisional", trigger="report.submitted.v1"):
        return new_event("ranking.updated.v1", {
            "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "period": "2021-Q1", "version": version,
            "table": [{"rank": 1, "unit": "U04", "unit_name": "Phòng Hậu cần", "total": 91, "class": "TOT",
                       "late": False}], "leader": "U04", "previous_leader": None if leader_changed else "U04",
            "leader_changed": leader_changed, "rank_moves": [], "class_changes": [], "leader_status": status,
            "trigger_event_id": "t", "trigger_event_type": trigger}, "c")
    platform.publish(ranking_event(1, True), "on_ranking_updated")          # a provisional leader: minor
    platform.publish(ranking_event(2, False), "on_ranking_updated")
    assert platform.service.inbox("thien.nh")["items"] == []
    platform.publish(ranking_event(3, False, "elected", "vote.closed.v1"), "on_ranking_updated")
    titles = [n["title"] for n in platform.service.inbox("thien.nh")["items"]]
    assert titles == ["Cụm thi đua số 1 Quý I/2021: Phòng Hậu cần được bầu là đơn vị dẫn đầu"]
    assert platform.service.send_digests(None, 0) == 4                      # one per leader
    digest = platform.service.inbox("thien.nh")["items"][0]
    assert digest["title"] == "Tổng hợp 2 cập nhật bảng xếp hạng"
    assert digest["body"] == "• Cụm thi đua số 1, Quý I/2021: 2 cập nhật; dẫn đầu: Phòng Hậu cần (tạm thời)"
    assert platform.service.send_digests(None, 0) == 0


HANDLER_QUEUE = "evt-submissions-#--notifications.on_submissions_event"


def test_a_version_nobody_declared_is_parked_in_the_dead_letter_queue_not_read_as_v1(platform):
    event = report_event(unit="U04")
    event["type"] = "report.submitted.v2"
    platform.relay.publish_one({"event": event})
    parked = eventually(lambda: dlq.peek(platform.amqp, f"{HANDLER_QUEUE}.dlq"), what="the parked v2")
    assert [(p["event_id"], p["type"]) for p in parked] == [(event["id"], "report.submitted.v2")]
    assert "report.submitted.v2" in parked[0]["error"]     # the reason names the type
    assert platform.db.inbox.count_documents({}) == 0


def test_an_event_that_arrives_before_the_directory_knows_its_cluster_is_applied_on_replay(platform):
    cluster = {"id": "CUM-09", "name": "Cụm thi đua số 9", "year": 2021, "level": "province",
               "members": [{"unit": "U09", "role": "lead"}]}
    event = report_event(unit="U09", cluster="CUM-09")
    platform.relay.publish_one({"event": event})
    eventually(lambda: dlq.peek(platform.amqp, f"{HANDLER_QUEUE}.dlq"), what="the parked event")
    platform.publish(new_event("unit.upserted.v1", {"unit": {"id": "U09", "name": "Phòng 9"}}, "c"))
    platform.publish(new_event("cluster.upserted.v1", {"cluster": cluster}, "c"))
    platform.publish(new_event("person.upserted.v1", {"person": {
        "id": "lanhdao.u09", "name": "Lãnh đạo 9", "role": "unit_leader", "unit": "U09"}}, "c"))
    with entrypoint_waiter(platform.container, "on_submissions_event"):
        assert dlq.replay(platform.amqp, f"{HANDLER_QUEUE}.dlq") == 1
    assert [n["person"] for n in platform.db.inbox.find()] == ["lanhdao.u09"]
