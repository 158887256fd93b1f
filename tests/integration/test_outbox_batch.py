"""The relay publishes the outbox in batches with one wait for the broker's confirms per batch, and
what its own process committed without reading it back."""
from datetime import timedelta

import pytest
from nameko.testing.utils import get_extension

from thidua import outbox
from thidua.outbox import OutboxRelay
from thidua.uow import UnitOfWork
from tests.helpers import eventually, report_event, template_event
from tests.integration.test_delivery import bind_probe_queue, drain

pytestmark = pytest.mark.integration


def commit(db, events):
    """Commit ``events`` in one unit of work; the outbox entries it recorded (what it hands its relay)."""
    tried = []

    def work(tx):
        tried.append(tx)
        for event in events:
            tx.emit(event)
    UnitOfWork(db, "test", "batch").run(work)
    return tried[-1].recorded


def test_a_batch_goes_out_in_order_and_each_event_once(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    events = [report_event(unit=f"U{n:03d}") for n in range(250)]
    for start in range(0, 250, 50):          # five commits, created in this order
        commit(db, events[start:start + 50])
    relay = OutboxRelay(db, amqp)
    assert [relay.publish_pending() for _ in range(4)] == [100, 100, 50, 0]
    relay.close()
    assert [body["id"] for body in drain(amqp, probe)] == [e["id"] for e in events]
    assert outbox.pending(db) == []


def test_an_entry_another_relay_marked_first_keeps_its_mark_and_the_rest_of_the_batch_is_marked(
        rabbit_config, db_of):
    """Two relays may publish one entry (a sweep and the process that recorded it): the first mark
    stays, its time and its one attempt, and the other entries of the later batch are marked."""
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    entries = commit(db, [report_event(unit=f"U{n:02d}") for n in range(3)])
    first, second = OutboxRelay(db, amqp), OutboxRelay(db, amqp)
    first.mark_published(entries[:1])
    marked = db.outbox.find_one({"_id": entries[0]["_id"]})
    second.mark_published(entries)
    first.close()
    second.close()
    assert db.outbox.find_one({"_id": entries[0]["_id"]}) == marked and marked["attempts"] == 1
    assert outbox.pending(db) == [] and db.outbox.count_documents({"attempts": 1}) == 3


def test_an_unroutable_event_in_a_batch_stops_the_batch_there_and_keeps_the_order(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp, routing_key="report.submitted.v1")   # nothing is bound to templates
    events = [report_event(unit="U01"), report_event(unit="U02"), template_event(), report_event(unit="U04")]
    commit(db, events)
    relay = OutboxRelay(db, amqp)
    assert relay.publish_pending() == 2
    relay.close()
    assert [e["_id"] for e in outbox.pending(db)] == [e["id"] for e in events[2:]]   # U04 waits behind U03
    assert "unroutable" in db.outbox.find_one({"_id": events[2]["id"]})["last_error"]
    assert [body["id"] for body in drain(amqp, probe)][:2] == [e["id"] for e in events[:2]]


def test_handed_entries_go_out_without_a_read_and_the_sweeps_read_finds_the_rest(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    earlier, mine, elsewhere = (report_event(unit=unit) for unit in ("U01", "U02", "U03"))
    commit(db, [earlier])                   # left by a process that stopped before relaying it
    relay = OutboxRelay(db, amqp)
    assert relay.publish_next() == 1        # a relay starts by reading the outbox
    relay.hand(commit(db, [mine]))
    commit(db, [elsewhere])                 # another process's: never handed to this relay
    assert relay.publish_next() == 1        # only the handed one: the outbox was not read
    assert [e["_id"] for e in outbox.pending(db)] == [elsewhere["id"]]
    assert relay.publish_next(read=True) == 1
    relay.close()
    assert [body["id"] for body in drain(amqp, probe)] == [earlier["id"], mine["id"], elsewhere["id"]]
    assert outbox.pending(db) == []


def test_a_sweep_leaves_a_young_entry_to_the_process_that_recorded_it_and_takes_it_once_old(rabbit_config,
                                                                                           db_of):
    """Another replica's entry, handed to its own relay and on its way out there, is not published
    a second time by this relay's sweep; one left behind (its process died) goes out after the grace."""
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    elsewhere, mine = report_event(unit="U01"), report_event(unit="U02")
    relay = OutboxRelay(db, amqp)
    assert relay.publish_next() == 0                    # the first read: the outbox is empty
    commit(db, [elsewhere])                             # another replica's, never handed to this relay
    relay.hand(commit(db, [mine]))
    assert relay.publish_next(read=True, grace=outbox.SWEEP_GRACE) == 0    # both are younger than the grace
    assert relay.publish_next() == 1                    # this relay's own stayed handed
    assert [e["_id"] for e in outbox.pending(db)] == [elsewhere["id"]]
    left = db.outbox.find_one({"_id": elsewhere["id"]})["created_at"]
    db.outbox.update_one({"_id": elsewhere["id"]},
                         {"$set": {"created_at": left - timedelta(seconds=outbox.SWEEP_GRACE + 1)}})
    assert relay.publish_next(read=True, grace=outbox.SWEEP_GRACE) == 1   # left behind: the sweep takes it
    relay.close()
    assert [body["id"] for body in drain(amqp, probe)] == [mine["id"], elsewhere["id"]]
    assert outbox.pending(db) == []


def test_after_a_refusal_the_relay_reads_the_outbox_so_no_handed_event_overtakes_the_refused_one(rabbit_config,
                                                                                                  db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp, routing_key="report.submitted.v1")   # nothing is bound to templates
    first, refused, after = report_event(unit="U01"), template_event(), report_event(unit="U04")
    relay = OutboxRelay(db, amqp)
    assert relay.publish_next() == 0        # the outbox is empty: caught up
    relay.hand(commit(db, [first, refused]))
    assert relay.publish_next() == 1
    relay.hand(commit(db, [after]))
    assert relay.publish_next() == 0        # read again: the refused template is still first in line
    assert [e["_id"] for e in outbox.pending(db)] == [refused["id"], after["id"]]   # neither marked
    bind_probe_queue(amqp, routing_key="template.#")                     # a consumer of templates came
    assert relay.publish_next() == 2
    assert relay.publish_next() == 0
    relay.close()
    # The batch behind a refused event goes out again with it (consumers deduplicate).
    drained = [body["id"] for body in drain(amqp, probe)]
    assert drained[0] == first["id"] and drained[-2:] == [refused["id"], after["id"]]
    assert outbox.pending(db) == []


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def counting_marks(relay):
    """The ids each of ``relay``'s mark commands marked."""
    marks, mark = [], relay.mark_published

    def counted(entries):
        marks.append([e["_id"] for e in entries])
        mark(entries)
    relay.mark_published = counted
    return marks


def test_with_a_mark_delay_what_went_out_is_marked_in_one_command_once_the_delay_has_passed(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    clock = Clock()
    relay = OutboxRelay(db, amqp, mark_delay=0.5, clock=clock)
    marks = counting_marks(relay)
    assert relay.publish_next() == 0 and relay.marks_due_in() is None     # the first read: nothing waits
    events = [report_event(unit=f"U0{n}") for n in range(3)]
    for event in events:                    # three commits, each published as soon as handed
        relay.hand(commit(db, [event]))
        assert relay.publish_next() == 1
        clock.now += 0.1
    assert [body["id"] for body in drain(amqp, probe)] == [e["id"] for e in events]   # all out already
    assert marks == [] and len(outbox.pending(db)) == 3
    assert relay.marks_due_in() == pytest.approx(0.2)
    relay.mark_confirmed(due_only=True)
    assert marks == []                      # not yet due
    clock.now += 0.2
    relay.mark_confirmed(due_only=True)
    relay.close()
    assert marks == [[e["id"] for e in events]] and outbox.pending(db) == []
    assert relay.marks_due_in() is None


def test_a_read_of_the_outbox_marks_what_went_out_first_so_it_does_not_go_out_again(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    relay = OutboxRelay(db, amqp, mark_delay=60.0)
    marks = counting_marks(relay)
    assert relay.publish_next() == 0
    event = report_event()
    relay.hand(commit(db, [event]))
    assert relay.publish_next() == 1 and marks == []
    assert relay.publish_next(read=True) == 0        # a sweep's read: marked first, so not found waiting
    relay.close()
    assert marks == [[event["id"]]] and outbox.pending(db) == []
    assert [body["id"] for body in drain(amqp, probe)] == [event["id"]]


def test_a_mark_that_failed_makes_the_relay_read_the_outbox_and_publish_those_events_again(rabbit_config, db_of):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    relay = OutboxRelay(db, amqp, mark_delay=60.0)
    assert relay.publish_next() == 0
    event, after = report_event(unit="U01"), report_event(unit="U02")
    relay.hand(commit(db, [event]))
    assert relay.publish_next() == 1
    working, relay.mark_published = relay.mark_published, lambda entries: (_ for _ in ()).throw(OSError("down"))
    with pytest.raises(OSError):
        relay.mark_confirmed()
    relay.mark_published = working
    relay.hand(commit(db, [after]))
    assert relay.publish_next() == 2                 # not caught up: it read the outbox, the unmarked one first
    relay.mark_confirmed()
    relay.close()
    assert outbox.pending(db) == []
    assert [body["id"] for body in drain(amqp, probe)] == [event["id"], event["id"], after["id"]]


class Relaying:
    """A service with nothing but the relay of its database."""
    name = "relaying"
    relay = outbox.Relay()


def test_a_services_relay_marks_what_went_out_when_due_and_what_is_left_when_it_stops(
        container_factory, service_config, rabbit_config, db_of, monkeypatch):
    amqp, db = rabbit_config["AMQP_URI"], db_of("submissions")
    outbox.ensure_indexes(db)
    probe = bind_probe_queue(amqp)
    config = service_config("submissions", OUTBOX_SWEEP_SECONDS=3600)    # no sweep's read marks them
    monkeypatch.setattr(outbox, "MARK_DELAY", 0.2)
    soon = container_factory(Relaying, config)
    soon.start()
    due = report_event(unit="U01")
    commit(db, [due])
    eventually(lambda: outbox.pending(db) == [], what="the relay's mark, once due")
    soon.stop()
    monkeypatch.setattr(outbox, "MARK_DELAY", 3600.0)
    late = container_factory(Relaying, config)
    late.start()
    left = report_event(unit="U02")
    commit(db, [left])
    relay = get_extension(late, outbox.Relay).relay
    eventually(lambda: relay.marks_due_in() is not None, what="the broker's confirm")
    assert [e["_id"] for e in outbox.pending(db)] == [left["id"]]      # out, its mark an hour away
    late.stop()
    assert outbox.pending(db) == []
    assert [body["id"] for body in drain(amqp, probe)] == [due["id"], left["id"]]
