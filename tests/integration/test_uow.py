"""The unit of work against the real database: a change, its audit entry and its events are
committed together or not at all; versions are compared and set; retries are safe."""
import pytest

from thidua import outbox
from thidua.errors import IdempotencyKeyReused, StaleVersion
from thidua.events import new_event
from thidua.uow import UnitOfWork
from tests.helpers import report_event

pytestmark = pytest.mark.integration


def period_event(code="2021-Q1"):
    return new_event("period.opened.v2", {"cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "level": "province",
                                          "period": code, "label": "Quý I/2021", "state": "OPEN", "year": 2021,
                                          "deadline": "2021-04-05T16:59:59Z"}, "cid-1")


@pytest.fixture
def db(db_of):
    return db_of("uow")


def test_a_change_its_audit_entry_and_its_events_commit_together(db):
    event = period_event()

    def work(tx):
        tx.insert("periods", {"_id": "2021-Q1", "state": "OPEN", "version": 1})
        tx.record("period.open", "period", "2021-Q1", None, {"state": "OPEN"}, {"period": "2021-Q1"}, [event])
        return "done"

    assert UnitOfWork(db, "trung.th", "cid-1").run(work) == "done"
    entry = db.audit.find_one()
    assert (entry["actor"], entry["action"], entry["correlation_id"]) == ("trung.th", "period.open", "cid-1")
    assert entry["context"] == {"period": "2021-Q1", "event_ids": [event["id"]]}
    assert db.outbox.find_one()["_id"] == event["id"]


def test_a_failure_anywhere_leaves_nothing_behind(db):
    def work(tx):
        tx.insert("periods", {"_id": "2021-Q1", "state": "OPEN", "version": 1})
        tx.record("period.open", "period", "2021-Q1", None, {}, events=[period_event()])
        raise RuntimeError("after the writes")

    with pytest.raises(RuntimeError):
        UnitOfWork(db, "trung.th", "cid").run(work)
    assert [db[c].count_documents({}) for c in ("periods", "audit", "outbox")] == [0, 0, 0]


class Woken:
    """Stands for a relay of the database in this process (thidua.outbox.Relay registers itself so)."""

    def __init__(self):
        self.handed = []

    @property
    def times(self):
        return len(self.handed)

    def hand(self, entries):
        self.handed.append(entries)


def test_a_unit_of_work_that_recorded_events_hands_them_to_its_databases_relay_once_it_committed(db, db_of,
                                                                                                monkeypatch):
    relay, elsewhere = Woken(), Woken()
    monkeypatch.setattr(outbox, "_RELAYS", {db.name: {relay}, db_of("other").name: {elsewhere}})
    event = period_event()

    def with_event(tx):
        tx.record("period.open", "period", "2021-Q1", None, {}, events=[event])
        assert relay.times == 0         # not before the commit: the relay would find nothing yet

    UnitOfWork(db, "a", "c").run(with_event)
    assert (relay.times, elsewhere.times) == (1, 0)
    assert [(e["_id"], e["event"]) for e in relay.handed[0]] == [(event["id"], event)]   # the entry committed
    UnitOfWork(db, "a", "c").run(lambda tx: tx.insert("periods", {"_id": "2021-Q2"}))   # no event
    assert relay.times == 1

    def failing(tx):
        tx.record("period.open", "period", "2021-Q3", None, {}, events=[period_event("2021-Q3")])
        raise RuntimeError("after the event")

    with pytest.raises(RuntimeError):
        UnitOfWork(db, "a", "c").run(failing)
    assert relay.times == 1             # nothing committed, nothing to publish


def test_replace_is_a_compare_and_set_on_the_version(db):
    db.reports.insert_one({"_id": "r1", "status": "DRAFT", "version": 1})
    read = db.reports.find_one({"_id": "r1"})
    UnitOfWork(db, "a", "c").run(lambda tx: tx.replace("reports", read, {**read, "status": "SUBMITTED",
                                                                            "version": 2}))
    with pytest.raises(StaleVersion):   # the same stale read, written again
        UnitOfWork(db, "b", "c").run(lambda tx: tx.replace("reports", read, {**read, "status": "RETURNED",
                                                                                "version": 2}))
    assert db.reports.find_one({"_id": "r1"})["status"] == "SUBMITTED"


def test_a_lost_race_listed_in_retry_on_reruns_the_whole_transaction(db):
    attempts = []

    class LostRace(Exception):
        pass

    def work(tx):
        attempts.append(1)
        tx.insert("effects", {"attempt": len(attempts)})
        if len(attempts) < 3:
            raise LostRace()
        return len(attempts)

    assert UnitOfWork(db, "a", "c").run(work, retry_on=(LostRace,)) == 3
    assert [e["attempt"] for e in db.effects.find()] == [3]   # the lost attempts left nothing
    attempts.clear()
    with pytest.raises(LostRace):
        UnitOfWork(db, "a", "c").run(work, retry_on=(LostRace,), retries=2)


def test_an_idempotency_key_returns_the_first_answer_and_refuses_another_request(db):
    def work(tx):
        number = tx.db.reports.count_documents({}, session=tx.session) + 1
        tx.insert("reports", {"_id": number})
        return {"report": number}

    uow = UnitOfWork(db, "canbo.u02", "c")
    assert uow.run(work, idempotency_key="k1", request={"a": 1}) == {"report": 1}
    assert uow.run(work, idempotency_key="k1", request={"a": 1}) == {"report": 1}
    assert db.reports.count_documents({}) == 1      # the retry's own work was abandoned
    with pytest.raises(IdempotencyKeyReused):
        uow.run(work, idempotency_key="k1", request={"a": 2})
    assert db.reports.count_documents({}) == 1
    assert UnitOfWork(db, "canbo.u03", "c").run(work, idempotency_key="k1", request={"a": 1}) == {"report": 2}


def test_a_retry_whose_work_now_fails_gets_the_first_answer_and_the_first_request_reads_no_key(db):
    def submit(tx):
        if tx.find_one("reports", {"_id": "U02"}) is not None:
            raise StaleVersion("already handed in")      # what the first request changed refuses the retry's work
        tx.insert("reports", {"_id": "U02"})
        return {"report": "U02"}

    uow = UnitOfWork(db, "canbo.u02", "c")
    db.command("profile", 2)
    db.system.profile.drop()
    try:
        assert uow.run(submit, idempotency_key="k2", request={"unit": "U02"}) == {"report": "U02"}
        first = [entry["op"] for entry in db.system.profile.find({"ns": f"{db.name}.idempotency"})]
        assert uow.run(submit, idempotency_key="k2", request={"unit": "U02"}) == {"report": "U02"}
    finally:
        db.command("profile", 0)
    assert first == ["insert"]          # no read of the key before the first request's work
    with pytest.raises(StaleVersion):   # without the key, the refusal stands
        uow.run(submit)
    with pytest.raises(IdempotencyKeyReused):
        uow.run(submit, idempotency_key="k2", request={"unit": "U03"})


def test_a_consumer_applies_an_event_once(db):
    event = report_event()
    uow = UnitOfWork(db, "ranking.on_report", "c")
    effect = lambda tx: tx.insert("copies", {"event": event["id"]}) and "applied"  # noqa: E731
    assert uow.run(effect, processed=("ranking.on_report", event)) == (True, "applied")
    assert uow.run(effect, processed=("ranking.on_report", event)) == (False, None)
    assert db.copies.count_documents({}) == 1


def test_two_deliveries_of_one_event_at_once_apply_it_once(db):
    """The second delivery's claim meets the first's uncommitted one: its transaction is rerun,
    and once the first has committed it is recognised as a duplicate, having done nothing."""
    import threading
    import time
    event, entered, answers = report_event(), threading.Event(), {}

    def effect(tx):
        entered.set()
        tx.insert("copies", {"event": event["id"]})
        time.sleep(0.5)             # the first delivery's transaction stays open meanwhile
        return "applied"

    def deliver(name):
        answers[name] = UnitOfWork(db, "ranking.on_report", "c").run(effect, processed=("ranking.on_report", event))

    first = threading.Thread(target=deliver, args=("first",))
    first.start()
    assert entered.wait(10)
    deliver("second")
    first.join()
    assert answers == {"first": (True, "applied"), "second": (False, None)}
    assert db.copies.count_documents({}) == 1 and db.processed_events.count_documents({}) == 1


def test_a_duplicate_key_in_the_work_itself_is_not_taken_for_a_processed_event(db):
    from pymongo.errors import DuplicateKeyError
    db.copies.insert_one({"_id": "taken"})
    event = report_event()
    with pytest.raises(DuplicateKeyError):
        UnitOfWork(db, "ranking.on_report", "c").run(lambda tx: tx.insert("copies", {"_id": "taken"}),
                                                    processed=("ranking.on_report", event))
    assert db.processed_events.count_documents({}) == 0          # not claimed: a later delivery applies it
    assert UnitOfWork(db, "ranking.on_report", "c").run(lambda tx: tx.insert("copies", {"_id": "free"}) and "ok",
                                                        processed=("ranking.on_report", event)) == (True, "ok")
