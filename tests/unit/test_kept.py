"""What a process keeps of its reads (thidua.kept): read once while the counters stay, forgotten
when they move, when the kept reads grow too many or too old."""
import eventlet
import pytest

from thidua.kept import CHANGES, Kept, Reads


class Reader:
    """Counts its reads; answers the value it holds now."""

    def __init__(self, value):
        self.value, self.reads = value, 0

    def __call__(self):
        self.reads += 1
        return self.value


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_read_is_kept_while_the_counters_stay_and_read_again_once_they_move():
    kept, reader = Kept(), Reader({"_id": "CUM-01"})
    assert kept.under(((0, 1),)).one("cluster", reader) == {"_id": "CUM-01"}
    reader.value = {"_id": "CUM-01", "name": "changed"}
    assert kept.under(((0, 1),)).one("cluster", reader) == {"_id": "CUM-01"}
    assert reader.reads == 1
    assert kept.under(((0, 2),)).one("cluster", reader) == {"_id": "CUM-01", "name": "changed"}
    assert reader.reads == 2


def test_nothing_read_is_kept_longer_than_its_age_or_past_the_most_it_holds():
    clock = Clock()
    kept, reader = Kept(max_age=60, most=3, clock=clock), Reader(1)
    kept.under("m").one("a", reader)
    clock.now = 59.9
    kept.under("m").one("a", reader)
    assert reader.reads == 1
    clock.now = 60.0                      # the counters say nothing changed; a hand edit would not have marked
    kept.under("m").one("a", reader)
    assert reader.reads == 2
    for key in ("b", "c"):
        kept.under("m").one(key, Reader(key))
    kept.under("m").one("a", reader)      # three kept: forgotten, so a province's directory never fills memory
    assert reader.reads == 3


def test_a_handler_that_read_the_old_counters_never_adds_to_what_the_new_ones_keep():
    kept = Kept()
    late = kept.under("old")              # its handler read the counters before a change
    kept.under("new")
    late.one("people", Reader(["before the change"]))
    assert kept.under("new").one("people", Reader(["after"])) == ["after"]


def test_each_reads_only_the_keys_not_kept_together_and_keeps_the_absent_ones_too():
    asked = []

    def read(missing):
        asked.append(list(missing))
        return {key: key.upper() for key in missing if key != "x"}

    reads = Reads()
    assert reads.each("units", ["a", "b", "a"], read) == {"a": "A", "b": "B"}
    assert reads.each("units", ["b", "c", "x"], read, absent=()) == {"b": "B", "c": "C", "x": ()}
    assert reads.each("units", ["x", "c"], read) == {"x": (), "c": "C"}
    assert reads.each("people", ["a"], read) == {"a": "A"}      # another name: another key
    assert asked == [["a", "b"], ["c", "x"], ["a"]]


class Counters:
    """A database whose counters answer one read at a time, when the test lets them."""

    def __init__(self):
        self.reads, self.answers = 0, eventlet.queue.Queue()

    def __getitem__(self, name):
        assert name == CHANGES
        return self

    def find(self):
        self.reads += 1
        answer = self.answers.get()
        if isinstance(answer, Exception):
            raise answer
        return [{"_id": 0, "n": answer}]


def test_workers_asking_during_a_read_of_the_counters_share_the_next_never_the_one_under_way():
    kept, db = Kept(), Counters()
    first = eventlet.spawn(kept.marks, db)
    eventlet.sleep(0)                                   # the first read is under way
    during = [eventlet.spawn(kept.marks, db) for _ in range(3)]
    eventlet.sleep(0)
    db.answers.put(1)                                   # the first read answers: the counters as they were
    assert first.wait() == ((0, 1),)
    eventlet.sleep(0)
    db.answers.put(2)                                   # the next read began after the three asked
    with eventlet.Timeout(5):                           # a read each would wait for answers never given
        assert [worker.wait() for worker in during] == [((0, 2),)] * 3
    assert db.reads == 2
    db.answers.put(3)
    assert kept.marks(db) == ((0, 3),) and db.reads == 3   # alone: a read of its own


def test_a_failed_read_of_the_counters_fails_its_own_askers_and_those_waiting_read_again():
    kept, db = Kept(), Counters()
    first = eventlet.spawn(kept.marks, db)
    eventlet.sleep(0)
    waiting = eventlet.spawn(kept.marks, db)
    eventlet.sleep(0)
    db.answers.put(ConnectionError("the database is away"))
    with pytest.raises(ConnectionError):
        first.wait()
    db.answers.put(4)
    assert waiting.wait() == ((0, 4),) and db.reads == 2


def test_what_is_read_with_others_is_kept_unless_something_is_kept_there_already():
    kept, reader = Kept(), Reader("read alone")
    reads = kept.under("m")
    reads.one("a", reader)
    reads.keep("a", "read with others")
    reads.keep("b", "read with others")
    assert kept.under("m").one("a", reader) == "read alone" and kept.under("m").one("b", reader) == "read with others"
    assert reader.reads == 1


def test_a_read_of_the_counters_whose_worker_was_killed_leaves_those_waiting_to_read_again():
    kept, db = Kept(), Counters()
    killed = eventlet.spawn(kept.marks, db)
    eventlet.sleep(0)
    waiting = [eventlet.spawn(kept.marks, db) for _ in range(2)]
    eventlet.sleep(0)
    killed.kill()
    db.answers.put(5)
    with eventlet.Timeout(5):
        assert [worker.wait() for worker in waiting] == [((0, 5),)] * 2
    assert db.reads == 2
