"""Reading, updating and deleting by a long list of values asks the server in short ``$in``s
(thidua.mongo.find_in): the embedded server compares every document it reads with every value of
an ``$in``, so one of thousands of ids held it for seconds. The answers are those of one ``$in``."""
import pytest

from thidua.mongo import IN_PART, delete_in, find_in, parts, update_in

pytestmark = pytest.mark.integration

MANY = 3 * IN_PART + 1


@pytest.fixture
def docs(db_of):
    db = db_of("mongo_in")
    db.docs.insert_many([{"_id": f"d{i:03d}", "group": i % 7, "done": False} for i in range(MANY + 20)])
    db.command("profile", 2)
    db.system.profile.drop()
    yield db.docs
    db.command("profile", 0)


def longest_in(collection):
    """The most values any profiled command on ``collection`` asked for in one ``$in``."""
    db = collection.database

    def ins(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from ([len(inner)] if key == "$in" and isinstance(inner, list) else ins(inner))
        elif isinstance(value, list):
            for inner in value:
                yield from ins(inner)
    return max((n for entry in db.system.profile.find({"ns": collection.full_name})
                for n in ins(entry.get("command", {}))), default=0)


def test_parts_keep_the_first_order_without_repeats():
    assert parts(["b", "a", "b", "c"], size=2) == [["b", "a"], ["c"]]
    assert parts([]) == []


def test_find_in_answers_as_one_in_would_in_short_ins(docs):
    wanted = [f"d{i:03d}" for i in range(MANY)] + ["absent", "d000"]
    one_in = sorted(d["_id"] for d in docs.find({"_id": {"$in": wanted}, "group": {"$ne": 3}}))
    docs.database.system.profile.drop()
    found = list(find_in(docs, "_id", wanted, {"group": {"$ne": 3}}, {"group": 1}))
    assert sorted(d["_id"] for d in found) == one_in
    assert len(found) == len({d["_id"] for d in found})          # each document once
    assert all(set(d) == {"_id", "group"} for d in found)
    assert longest_in(docs) == IN_PART


def test_update_in_and_delete_in_touch_exactly_the_documents_named(docs):
    named = [f"d{i:03d}" for i in range(0, MANY + 20, 2)]
    assert update_in(docs, "_id", named, {"$set": {"done": True}}, {"group": {"$ne": 0}}) == \
        len([i for i in range(0, MANY + 20, 2) if i % 7])
    assert {d["_id"] for d in docs.find({"done": True})} == {f"d{i:03d}" for i in range(0, MANY + 20, 2) if i % 7}
    assert delete_in(docs, "_id", named) == len(named)
    assert docs.count_documents({}) == MANY + 20 - len(named)
    assert longest_in(docs) == IN_PART
