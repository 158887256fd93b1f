"""Notifications' entrypoints through nameko's ``worker_factory``: the real database, no broker, no
other service (submissions is a mock that must not be asked who the audience is). Fast: the
middle layer between the pure rules and the tests on the whole platform."""
from datetime import timedelta
from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory

from services.notifications import channels, directory, reminders, rules
from services.notifications.channels.base import Outgoing
from services.notifications.service import OBSOLETE_INBOX_INDEX, NotificationsService, ensure_indexes, notice_id
from tests.helpers import demo_reference, report_event
from thidua.caller import Caller
from thidua.errors import Forbidden, ValidationFailed
from thidua.events import new_event, utcnow
from thidua.kept import Kept, Remembered
from thidua.settings import Settings
from thidua.uow import UnitOfWork

pytestmark = pytest.mark.integration
CLUSTER_LEAD = ["hanh.ptv", "lanhdao.u02"]
ADMIN = Caller("admin", role="administrator")


def directory_events(reference=None):
    """``unit``/``cluster``/``person.upserted.v1`` for the demo's reference data, as submissions emits them."""
    reference = reference or demo_reference()
    shown = [("unit", {"id": u["code"], **{k: v for k, v in u.items() if k != "code"}}) for u in reference["units"]]
    shown += [("cluster", {"id": c["code"], **{k: v for k, v in c.items() if k != "code"}})
              for c in reference["clusters"]]
    shown += [("person", {"unit": None, **p}) for p in reference["people"]]
    return [new_event(f"{field}.upserted.v1", {field: document}, "load") for field, document in shown]


class EachCall(Remembered):
    """What a worker of each call reads in a running service: the counters at the call's first read
    (a ``worker_factory`` worker serves every call of a test)."""

    def reads(self):
        return self._kept.under(self._kept.marks(self._db()))


@pytest.fixture
def db(db_of):
    return db_of("notifications")


@pytest.fixture
def make(db):
    """A worker of the service, acting for ``caller``, on the real database."""
    def make(caller=Caller.ANONYMOUS, **config):
        submissions = Mock(name="submissions")
        submissions.audience.side_effect = AssertionError("the audience comes from the own copy")
        config = {"SMTP_HOST": "mail.example", "PUBLIC_URL": "https://thidua.example",
                  "DELIVERY_BACKOFF_SECONDS": 0, "DELIVERY_MAX_ATTEMPTS": 2, **config}
        return worker_factory(NotificationsService, db=db, submissions=submissions, caller=caller,
                              correlation_id="test", uow=UnitOfWork(db, caller.id, "test"), config=config,
                              settings=Settings.of(config), remembered=EachCall(Kept(), lambda: db))
    return make


@pytest.fixture
def service(make):
    worker = make(Caller("system:test", role="system"))   # an operator tool: it may send the digests
    for event in directory_events():
        worker.on_submissions_event(event)
    return worker


def test_the_inbox_index_the_unread_page_outgrew_is_dropped_from_a_database_that_has_it(db):
    ensure_indexes(db)      # a database without it (a new one): nothing to drop
    db.inbox.create_index([("person", 1), ("read_at", 1)])      # as a database from before has it
    assert OBSOLETE_INBOX_INDEX in db.inbox.index_information()
    ensure_indexes(db)
    indexes = db.inbox.index_information()
    assert OBSOLETE_INBOX_INDEX not in indexes and "person_1_read_at_1_created_at_-1" in indexes
    ensure_indexes(db)      # started again (or by a second replica): still nothing to drop


def test_the_directory_events_fill_the_copy_and_a_report_reaches_the_cluster_lead_from_it(service, db):
    reference = demo_reference()
    assert (db.units.count_documents({}), db.clusters.count_documents({}), db.people.count_documents({})) == (
        len(reference["units"]), len(reference["clusters"]), len(reference["people"]))
    service.on_submissions_event(report_event(unit="U04"))
    assert sorted(n["person"] for n in db.inbox.find()) == CLUSTER_LEAD
    mails = {n["to"] for n in db.outgoing.find({"channel": "email"})}
    assert mails == {p["email"] for p in db.people.find({"_id": {"$in": CLUSTER_LEAD}})}
    assert not service.submissions.audience.called


def test_a_redelivered_event_makes_no_second_notice(service, db):
    event = report_event(unit="U04")
    service.on_submissions_event(event)
    service.on_submissions_event(event)
    assert db.inbox.count_documents({}) == 2 and db.outgoing.count_documents({}) == 2
    assert db.inbox.find_one({"person": "hanh.ptv"})["_id"] == notice_id(event["id"], "hanh.ptv", "inbox")


def test_an_undeclared_version_is_refused_and_nothing_is_written(service, db):
    event = report_event(unit="U04")
    event["type"] = "report.submitted.v2"
    with pytest.raises(rules.Undeclared):
        service.on_submissions_event(event)
    assert db.inbox.count_documents({}) == 0 and db.processed_events.count_documents({}) == 0


def test_an_event_about_a_cluster_the_copy_lacks_fails_so_it_is_retried_later(make, db):
    worker = make()
    event = report_event(unit="U04")
    with pytest.raises(directory.NotInDirectory, match="CUM-01"):
        worker.on_submissions_event(event)
    assert db.processed_events.count_documents({}) == 0             # not marked: the retry will apply it
    for directory_event in directory_events():
        worker.on_submissions_event(directory_event)
    worker.on_submissions_event(event)
    assert db.inbox.count_documents({}) == 2


def test_a_late_older_directory_event_does_not_undo_a_newer_one(service, db):
    older, newer = (new_event("unit.upserted.v1", {"unit": {"id": "U03", "name": name}}, "c") for name in ("A", "B"))
    service.on_submissions_event(newer)
    service.on_submissions_event(older | {"occurred_at": "2000-01-01T00:00:00.000Z"})
    assert db.units.find_one({"_id": "U03"})["name"] == "B"
    assert db.units.find_one({"_id": "U03"})["_event"] == newer["id"]
    later = new_event("unit.upserted.v1", {"unit": {"id": "U03", "name": "C"}}, "c")
    service.on_submissions_event(later | {"occurred_at": "2999-01-01T00:00:00.000Z"})
    assert db.units.find_one({"_id": "U03"})["name"] == "C"        # a newer one still replaces it


def test_minor_ranking_updates_wait_for_the_digest_which_goes_out_once(service, db):
    event = new_event("ranking.updated.v1", {
        "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "period": "2021-Q1", "version": 2,
        "table": [{"rank": 1, "unit": "U04", "unit_name": "Phòng Hậu cần", "total": 91, "class": "TOT", "late": False}],
        "leader": "U04", "previous_leader": "U04", "leader_changed": False, "rank_moves": [], "class_changes": [],
        "leader_status": "provisional", "trigger_event_id": "t"}, "c")
    service.on_ranking_updated(event)
    assert db.inbox.count_documents({}) == 0 and db.digest_items.count_documents({"person": "thien.nh"}) == 1
    db.command("profile", 2)        # a minute before the interval: nobody is due, nobody's updates are read
    db.system.profile.drop()
    assert service.send_digests(utcnow(), 3600) == 0
    reads = [e["op"] for e in db.system.profile.find({"ns": f"{db.name}.digest_items"})]
    db.command("profile", 0)
    assert reads == ["command"]                                                # the distinct of who is due
    assert service.send_digests(utcnow() + timedelta(seconds=1), 0) == 4      # one per leader
    assert service.send_digests(utcnow() + timedelta(seconds=1), 0) == 0
    assert db.inbox.find_one({"person": "thien.nh"})["title"] == "Tổng hợp 1 cập nhật bảng xếp hạng"
    assert db.outgoing.count_documents({}) == 0                                # the digest: inbox only by default


def test_preferences_choose_channels_per_kind_and_the_first_shape_still_counts(service, make, db):
    db.preferences.insert_one({"_id": "lanhdao.u02", "email": True, "muted": ["report.submitted"]})   # first shape
    hanh = make(Caller("hanh.ptv", role="unit_leader", unit="U01"))
    shown = hanh.set_preferences("hanh.ptv", {"channels": {"report.submitted": ["inbox"]}})
    assert shown["channels"]["report.submitted"] == ["inbox"] and shown["channels"]["report.returned"] == [
        "inbox", "email"]
    assert db.preferences.find_one({"_id": "hanh.ptv"}) == {
        "_id": "hanh.ptv", "channels": {"report.submitted": ["inbox"]}, "language": "vi"}
    assert db.audit.find_one({"action": "preferences.set"})["actor"] == "hanh.ptv"
    service.on_submissions_event(report_event(unit="U05"))
    assert db.inbox.count_documents({}) == 2 and db.outgoing.count_documents({}) == 0   # both chose no e-mail
    assert make(Caller("lanhdao.u02", role="unit_leader", unit="U02")).get_preferences("lanhdao.u02")["muted"] == [
        "report.submitted"]


def test_preferences_are_the_persons_own_and_wrong_ones_say_what_to_fix(make):
    with pytest.raises(Forbidden):
        make(Caller("canbo.u05", role="unit_officer", unit="U05")).get_preferences("hanh.ptv")
    assert make(ADMIN).get_preferences("hanh.ptv")["email"] is True
    with pytest.raises(ValidationFailed) as refused:
        make(ADMIN).set_preferences("hanh.ptv", {"channels": {"report.submitted": ["pigeon"]}})
    assert "channels.report.submitted" in str(refused.value.details)


def test_reading_the_inbox_needs_the_person_an_administrator_or_an_operator_tool(service, make):
    service.on_submissions_event(report_event(unit="U04"))
    from thidua.errors import Unauthenticated
    with pytest.raises(Unauthenticated):
        make().inbox("hanh.ptv")
    with pytest.raises(Forbidden):
        make(Caller("canbo.u04", role="unit_officer", unit="U04")).inbox("hanh.ptv")
    assert make(Caller("system:test", role="system")).inbox("hanh.ptv")["unread"] == 1
    notice = make(ADMIN).inbox("hanh.ptv")["items"][0]["id"]
    assert make(Caller("hanh.ptv", role="unit_leader")).mark_read("hanh.ptv", notice)["unread"] == 0


def test_the_unread_count_follows_the_inbox_and_is_read_without_counting_it(service, make, db):
    """Counted from the inbox, each poll read every unread notice of the person (330 ms of the embedded
    server for a leader's 13,333): the count is kept beside the inbox instead, and must stay its count."""
    hanh = make(Caller("hanh.ptv", role="unit_leader", unit="U01"))

    def counted():
        return db.inbox.count_documents({"person": "hanh.ptv", "read_at": None})
    event = report_event(unit="U04")
    for sent in (event, event, report_event(unit="U05"), report_event(unit="U06")):   # one delivered twice
        service.on_submissions_event(sent)
        assert hanh.inbox("hanh.ptv")["unread"] == counted()
    first, second = [n["id"] for n in hanh.inbox("hanh.ptv")["items"][:2]]
    assert hanh.mark_read("hanh.ptv", first)["unread"] == 2 == counted()
    assert hanh.mark_read("hanh.ptv", first)["unread"] == 2          # read again: counted once
    db.command("profile", 2)
    db.system.profile.drop()
    try:
        service.on_submissions_event(report_event(unit="U03"))
        assert hanh.mark_read("hanh.ptv", second)["unread"] == 2 and hanh.inbox("hanh.ptv")["unread"] == 2
        counts = list(db.system.profile.find({"command.count": "inbox"})) + \
            list(db.system.profile.find({"command.aggregate": "inbox"}))
    finally:
        db.command("profile", 0)
    assert counted() == 2 and counts == []


def test_an_inbox_kept_before_its_count_is_counted_once_then_kept(service, make, db):
    """A platform whose inboxes predate the count: the first read takes it from the inbox, whatever
    the changes recorded meanwhile said."""
    for unit in ("U03", "U04", "U05"):
        service.on_submissions_event(report_event(unit=unit))
    db.unread.delete_many({})
    db.unread.insert_one({"_id": "hanh.ptv", "count": -7})   # changes recorded before any count
    hanh = make(Caller("hanh.ptv", role="unit_leader", unit="U01"))
    assert hanh.inbox("hanh.ptv")["unread"] == 3 and make(ADMIN).inbox("lanhdao.u02")["unread"] == 3
    service.on_submissions_event(report_event(unit="U06"))
    assert hanh.inbox("hanh.ptv")["unread"] == 4 == db.unread.find_one({"_id": "hanh.ptv"})["count"]


def test_reminders_are_sent_for_an_operator_or_an_administrator_by_the_services_own_clock(make):
    """Finding 7: ``run_reminders(now='2099-…')`` from any broker client sent every reminder early
    and marked it sent for good."""
    from thidua.errors import Unauthenticated
    with pytest.raises(Unauthenticated):
        make().run_reminders()
    with pytest.raises(Forbidden):
        make(Caller("canbo.u04", role="unit_officer", unit="U04")).run_reminders()
    operator = make(Caller("system:test", role="system"))
    operator.submissions.reporting_status.return_value = []
    with pytest.raises(TypeError):
        operator.run_reminders("2099-01-01T00:00:00Z")   # no clock from the caller
    assert operator.run_reminders() == [] and operator.submissions.reporting_status.called


class Sms(Outgoing):
    """A channel as a new module would add it: people with a phone number who chose it."""
    name = "sms"
    sent = []

    def enabled(self, config):
        return bool(config.get("SMS_GATEWAY"))

    def notices(self, happening, people, loaded, config):
        for person in people:
            if person.get("phone"):
                yield person["id"], {"person": person["id"], "to": person["phone"], "text": happening.data["unit_name"]}

    def deliver(self, notice, config, db):
        if notice["to"].startswith("+00"):
            raise channels.DeliveryFailed("the SMS gateway refused the number")
        self.sent.append((notice["to"], notice["text"]))


@pytest.fixture
def sms():
    channel = channels.REGISTRY.register(Sms())
    Sms.sent.clear()
    yield channel
    channels.REGISTRY.unregister("sms")


def test_a_new_channel_is_one_registration_away_from_recording_and_delivery(sms, make, db):
    worker = make(Caller("hanh.ptv", role="unit_leader", unit="U01"), SMS_GATEWAY="https://sms.example")
    reference = demo_reference()
    for person in reference["people"]:
        person["phone"] = {"hanh.ptv": "+84900000001", "lanhdao.u02": "+0000"}.get(person["id"])
    for event in directory_events(reference):
        worker.on_submissions_event(event)
    assert "sms" in worker.get_preferences("hanh.ptv")["available_channels"]
    worker.set_preferences("hanh.ptv", {"channels": {"report.submitted": ["inbox", "sms"]}})
    db.preferences.insert_one({"_id": "lanhdao.u02", "channels": {"report.submitted": ["sms"]}})
    worker.on_submissions_event(report_event(unit="U04"))
    assert {(n["person"], n["channel"]) for n in db.outgoing.find()} == {("hanh.ptv", "sms"), ("lanhdao.u02", "sms")}
    assert worker.deliver_pending() == 3          # no backoff configured: the refused one is retried at once
    assert Sms.sent == [("+84900000001", "Unit U04")]
    failed = make(ADMIN).failed_notices()["items"]
    assert [(n["channel"], n["last_error"], n["attempts"]) for n in failed] == [
        ("sms", "the SMS gateway refused the number", 2)]


def test_a_notice_of_a_channel_no_longer_registered_ends_in_the_failed_list(service, make, db):
    db.outgoing.insert_one({"_id": "n1", "channel": "pigeon", "kind": "digest", "status": "PENDING", "attempts": 1,
                            "next_attempt_at": utcnow(), "to": "roof"})
    assert service.deliver_pending() == 1
    failed = db.outgoing.find_one({"_id": "n1"})
    assert failed["status"] == "FAILED" and "no channel named 'pigeon'" in failed["last_error"]
    retried = make(ADMIN).retry_notice("n1")
    assert retried["status"] == "PENDING" and db.audit.find_one({"action": "notice.retry"})["actor"] == "admin"


def test_an_existing_database_refills_its_copy_from_submissions_once(make, db):
    reference = demo_reference()
    shown = {event["type"].split(".")[0]: [] for event in directory_events(reference)}
    for event in directory_events(reference):
        kind = event["type"].split(".")[0]
        shown[kind].append(event["data"][kind])
    worker = make(Caller("system:refill", role="system"))
    worker.submissions.list_units.return_value = shown["unit"]
    worker.submissions.list_clusters.return_value = shown["cluster"]
    worker.submissions.audience.side_effect = None
    worker.submissions.audience.return_value = [p for p in shown["person"] if p["role"] != "administrator"]
    assert worker.refill_directory() == {"units": len(reference["units"]), "clusters": len(reference["clusters"]),
                                         "people": len(worker.submissions.audience.return_value)}
    worker.submissions.audience.assert_called_once_with("everyone")
    assert db.audit.find_one({"action": "directory.refill"})["actor"] == "system:refill"
    worker.submissions.audience.side_effect = AssertionError("the audience comes from the own copy")
    worker.on_submissions_event(report_event(unit="U04"))
    assert sorted(n["person"] for n in db.inbox.find()) == CLUSTER_LEAD
    with pytest.raises(Forbidden):
        make(Caller("hanh.ptv", role="unit_leader")).refill_directory()


def test_a_whole_inbox_is_walked_in_pages_each_notice_once_in_order_while_new_ones_arrive(service, make, db):
    """The inbox used to answer its newest 200 notices and no more: a leader's notices could not be
    audited in full. Now a cursor walks all of them, newest first, and what arrives meanwhile
    neither repeats nor hides an older notice."""
    for _ in range(130):
        service.on_submissions_event(report_event(unit="U04"))
    before = [n["_id"] for n in db.inbox.find({"person": "hanh.ptv"}).sort([("created_at", -1), ("_id", 1)])]
    assert len(before) == 130
    hanh = make(Caller("hanh.ptv", role="unit_leader", unit="U01"))
    walked, cursor, pages = [], None, 0
    while True:
        page = hanh.inbox("hanh.ptv", limit=50, cursor=cursor)
        walked += [n["id"] for n in page["items"]]
        pages += 1
        service.on_submissions_event(report_event(unit="U05"))   # a newer notice arrives between pages
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3 and walked == before
    assert db.inbox.count_documents({"person": "hanh.ptv"}) == 133
    assert hanh.inbox("hanh.ptv", limit=3)["items"][0]["id"] not in before   # the newest comes first
    unread = hanh.inbox("hanh.ptv", unread_only=True, limit=200)
    assert unread["unread"] == 133 and len(unread["items"]) == 133 and unread["next"] is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJsaXN0IjoicmVwb3J0cyIsImFmdGVyIjpbXX0"])
def test_a_malformed_inbox_cursor_is_refused_with_what_to_do(service, make, cursor):
    from thidua.errors import InvalidQuery
    with pytest.raises(InvalidQuery, match="Send the 'next' value of the previous page unchanged"):
        make(ADMIN).inbox("hanh.ptv", cursor=cursor)


def test_failed_notices_page_too(make, db):
    db.outgoing.insert_many([{"_id": f"o{i:03}", "status": "FAILED", "failed_at": utcnow() - timedelta(minutes=i),
                              "channel": "email"} for i in range(5)])
    first = make(ADMIN).failed_notices(limit=3)
    second = make(ADMIN).failed_notices(limit=3, cursor=first["next"])
    assert [n["id"] for n in first["items"] + second["items"]] == [f"o{i:03}" for i in range(5)]
    assert second["next"] is None


def test_a_cursor_never_widens_the_list_it_is_sent_with(service, make):
    """A cursor holds a place in the order and no filter: sent with another person's inbox it reads
    that person's notices (if the caller may), never the first person's."""
    for _ in range(3):
        service.on_submissions_event(report_event(unit="U04"))
    hanh = make(Caller("hanh.ptv", role="unit_leader", unit="U01"))
    cursor = hanh.inbox("hanh.ptv", limit=1)["next"]
    assert {n["person"] for n in make(ADMIN).inbox("lanhdao.u02", cursor=cursor)["items"]} == {"lanhdao.u02"}
    with pytest.raises(Forbidden):
        hanh.inbox("lanhdao.u02", cursor=cursor)


def test_the_names_of_many_units_are_read_without_a_long_in(db):
    """Past IN_LIMIT units the reminders read every unit's name: a long $in cost the embedded server
    seconds (5,100 ids: 18.7 s). Few or many, the answer is the names asked for."""
    db.units.insert_many([{"_id": f"N{i:03d}", "name": f"Đơn vị {i}"} for i in range(reminders.IN_LIMIT + 50)])
    many = {f"N{i:03d}" for i in range(reminders.IN_LIMIT + 1)}
    assert reminders.unit_names(db, {"N001", "N002", "X"}) == {"N001": "Đơn vị 1", "N002": "Đơn vị 2"}
    assert reminders.unit_names(db, many) == {unit: f"Đơn vị {int(unit[1:])}" for unit in many}
    assert reminders.unit_names(db, set()) == {}


def test_an_event_reads_the_counters_not_the_directory_an_earlier_event_read(service, db):
    """What an event reads of the copy, the preferences and the webhooks is kept (thidua.kept): the next
    event of the cluster reads one set of counters instead."""
    service.on_submissions_event(report_event(unit="U04"))
    db.command("profile", 2)
    db.system.profile.drop()
    service.on_submissions_event(report_event(unit="U05"))
    read = {e["ns"].split(".", 1)[1] for e in db.system.profile.find({"op": "query"})}
    db.command("profile", 0)
    assert "changes" in read and not read & {"people", "clusters", "units", "preferences", "webhooks"}
    assert db.inbox.count_documents({}) == 4


def test_replicas_keeping_their_reads_each_tell_by_what_the_other_changed(make, db):
    """Two replicas on one database, each keeping what it read: a person, a preference or a webhook
    that one of them stores is in the other's very next event."""
    first, second = make(Caller("system:test", role="system")), make(ADMIN)
    for event in directory_events():
        first.on_submissions_event(event)
    first.on_submissions_event(report_event(unit="U04"))      # first keeps the cluster, its heads, their choices
    newcomer = {"id": "moi.u01", "name": "Người mới", "role": "unit_leader", "unit": "U01", "email": "moi@example.vn"}
    second.on_submissions_event(new_event("person.upserted.v1", {"person": newcomer}, "load"))
    second.set_preferences("hanh.ptv", {"channels": {"report.submitted": ["inbox"]}})
    second.add_webhook({"url": "https://hooks.example/thidua", "secret": "s" * 16, "kinds": ["report.submitted"]})
    db.inbox.delete_many({})
    db.outgoing.delete_many({})
    first.on_submissions_event(report_event(unit="U05"))
    assert sorted(n["person"] for n in db.inbox.find()) == sorted(CLUSTER_LEAD + ["moi.u01"])
    assert sorted(n.get("person") or n["channel"] for n in db.outgoing.find()) == ["lanhdao.u02", "moi.u01",
                                                                                  "webhook"]
