"""Secret ballots against the whole platform: five units vote over HTTP while a broker reader
listens to every RPC message and the database's change stream and oplog record every write; then
nothing read (the three services' databases, the change stream, the oplog, the bus) links any
ballot's content to its unit (docs/security.md, "Secret ballots")."""
import json
import uuid

import pytest
import requests
from kombu import Connection, Exchange, Queue

from tests.e2e.conftest import Platform
from thidua.mongo import client_for

pytestmark = pytest.mark.e2e
JSON = {"Content-Type": "application/json"}
PERIOD = "2021-Q2"
VOTE = f"/clusters/CUM-01/periods/{PERIOD}/vote"
# Five distinct ballots, each its unit's: what a reader must not be able to tie together.
BALLOTS = {
    "U01": {"classes": {"U01": "XUAT_SAC", "U02": "TOT"}, "leading_unit": "U01"},
    "U02": {"classes": {"U01": "TOT", "U03": "KHA"}, "leading_unit": "U02"},
    "U03": {"classes": {"U02": "XUAT_SAC", "U04": "TOT", "U05": "KHA"}, "leading_unit": "U01"},
    "U04": {"classes": {"U06": "XUAT_SAC"}, "leading_unit": "U03"},
    "U05": {"classes": {"U01": "KHA", "U02": "KHA", "U03": "TOT"}, "leading_unit": "U06"},
}
UNITS = set(BALLOTS) | {"U06"}
PEOPLE = {f"canbo.{u.lower()}" for u in UNITS} | {"hanh.ptv", "lanhdao.u02", "trung.th"}


def as_(person):
    return {**JSON, "X-Actor": person}


def walk(value):
    """Every dict and string inside ``value``."""
    if isinstance(value, dict):
        yield value
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from walk(item)
    elif isinstance(value, str):
        yield value


def choices_in(value):
    """The units whose ballot content appears in ``value`` in the clear: its classes as given."""
    found = set()
    for item in walk(value):
        for unit, ballot in BALLOTS.items():
            if item == ballot["classes"] or item == ballot or (
                    isinstance(item, str) and json.dumps(ballot["classes"]) in item):
                found.add(unit)
    return found


def names_a_voter(value):
    """Whether ``value`` names a person or unit as a whole string (a unit code, a person id)."""
    return any(isinstance(item, str) and (item in UNITS or item in PEOPLE) for item in walk(value))


def test_the_checks_below_can_fail():
    """Each detector finds what the old design leaked: the ballot with its unit in one message."""
    leaked = {"args": ["CUM-01", PERIOD, BALLOTS["U03"]], "kwargs": {}}
    assert choices_in(leaked) == {"U03"} and choices_in(json.dumps(leaked)) == {"U03"}
    assert names_a_voter({"nameko.caller": {"id": "canbo.u03"}}) and names_a_voter({"context": {"unit": "U03"}})
    assert not choices_in({"tally": {"U01": {"TOT": 1}}}) and not names_a_voter({"sealed": "xU01y"})


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    try:
        with Platform(tmp_path_factory.mktemp("ballots"), OUTBOX_SWEEP_SECONDS="0.3") as p:
            yield p
    except SystemExit as exc:
        pytest.fail(f"{exc}")


def post(platform, path, body=None, headers=JSON):
    return requests.post(f"{platform.url}/api/v1{path}", data=json.dumps(body or {}), headers=headers, timeout=15)


def move_to_voting(platform):
    for action in ("close", "start_scoring", "start_voting"):
        run = requests.get(f"{platform.url}/api/v1/clusters/CUM-01/periods/{PERIOD}", headers=as_("trung.th"),
                           timeout=15).json()
        moved = post(platform, f"/clusters/CUM-01/periods/{PERIOD}/transitions",
                     {"action": action, "version": run["version"]}, as_("trung.th"))
        assert moved.status_code == 200, moved.text


@pytest.fixture(scope="module")
def voted(platform):
    """The vote, recorded: the bus, the change stream, the oplog, and what each request answered."""
    client = client_for(platform.mongo_uri)
    submissions = platform.database_name("submissions")
    start = client.admin.command("hello")["operationTime"]
    stream = client[submissions].watch(full_document="updateLookup")
    spy = Queue(f"spy-{uuid.uuid4().hex}", Exchange("nameko-rpc", type="topic", durable=True), routing_key="#",
                auto_delete=True)
    with Connection(platform.amqp_uri) as connection:
        spy = spy(connection.default_channel)
        spy.declare()
        move_to_voting(platform)
        assert post(platform, f"{VOTE}/open", headers=as_("hanh.ptv")).status_code == 200
        answers = {}
        for unit, ballot in BALLOTS.items():
            taken = post(platform, f"{VOTE}/token", headers=as_(f"canbo.{unit.lower()}"))
            assert taken.status_code == 201, taken.text
            cast = post(platform, f"{VOTE}/ballots", {"token": taken.json()["token"], **ballot})   # no person
            assert cast.status_code == 201, cast.text
            answers[unit] = (taken.json()["token"], cast.json())
        # What stays refused: a unit votes once, a token casts once.
        again = post(platform, f"{VOTE}/token", headers=as_("hanh.ptv"))   # U01's leader, after its officer
        assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_VOTED")
        reused = post(platform, f"{VOTE}/ballots", {"token": answers["U02"][0], **BALLOTS["U01"]})
        assert (reused.status_code, reused.json()["error"]["code"]) == (409, "ALREADY_VOTED")
        made_up = post(platform, f"{VOTE}/ballots", {"token": "0" * 32 + "." + "0" * 32, **BALLOTS["U01"]})
        assert (made_up.status_code, made_up.json()["error"]["code"]) == (403, "FORBIDDEN")
        closed = post(platform, f"{VOTE}/close", headers=as_("hanh.ptv"))
        assert closed.status_code == 200, closed.text
        messages = []
        while (message := spy.get(no_ack=True)) is not None:
            messages.append((message.delivery_info["routing_key"], message.headers or {},
                             json.loads(message.body)))
    changes = []
    while (change := stream.try_next()) is not None:
        changes.append(change)
    stream.close()
    oplog = list(client.local["oplog.rs"].find({"ts": {"$gt": start}, "ns": {"$regex": f"^{submissions}\\."}}))
    return {"messages": messages, "changes": changes, "oplog": oplog, "closed": closed.json(), "answers": answers,
            "client": client}


def test_the_vote_is_counted_in_full(voted):
    tally = voted["closed"]["tally"]
    assert (tally["ballots_cast"], tally["eligible"]) == (5, 6) and "withheld" not in tally
    expected = {}
    for ballot in BALLOTS.values():
        for unit, level in ballot["classes"].items():
            expected.setdefault(unit, {}).setdefault(level, 0)
            expected[unit][level] += 1
    assert tally["classes"] == expected
    assert tally["leading_unit"] == {"U01": 2, "U02": 1, "U03": 1, "U06": 1}
    assert voted["closed"]["voted"] == sorted(BALLOTS)


def test_no_stored_document_of_any_service_holds_a_ballot(platform, voted):
    client = voted["client"]
    for service in ("submissions", "ranking", "notifications"):
        db = client[platform.database_name(service)]
        for name in db.list_collection_names():
            documents = list(db[name].find())
            assert not choices_in(documents), f"{service}.{name} holds a ballot in the clear"
    box = client[platform.database_name("submissions")].ballot_boxes
    assert box.count_documents({}) == 0   # counted at the close, then emptied


def test_the_change_stream_grouped_by_transaction_never_ties_a_ballot_to_a_unit(voted):
    changes = voted["changes"]
    assert sum(c["ns"]["coll"] == "ballot_boxes" for c in changes) >= len(BALLOTS)   # it did record the vote
    assert not choices_in([c.get("fullDocument") for c in changes] + [c.get("updateDescription") for c in changes])
    transactions = {}
    for change in changes:
        if change.get("txnNumber") is not None:
            transactions.setdefault((change["lsid"]["id"], change["txnNumber"]), []).append(change)
    boxes = [t for t in transactions.values() if any(c["ns"]["coll"] == "ballot_boxes" for c in t)]
    assert len(boxes) >= len(BALLOTS)
    for writes in boxes:
        assert {c["ns"]["coll"] for c in writes} <= {"ballot_boxes", "audit", "vote_sessions", "outbox"}
        closing = any(c["ns"]["coll"] == "vote_sessions" for c in writes)
        for change in writes:
            document = change.get("fullDocument") or {}
            if change["ns"]["coll"] == "audit":
                if closing:
                    assert document["action"] == "vote.close"
                else:   # a ballot's receipt: no actor, no request, no unit
                    assert (document["actor"], document["correlation_id"]) == (None, None)
                    assert not names_a_voter(document["context"])
            if change["ns"]["coll"] == "ballot_boxes" and document:
                assert set(document) == {"_id", "sealed", "spent", "version"}   # no time, no voter
                assert not names_a_voter(document)
    takes = [t for t in transactions.values() if any((c.get("fullDocument") or {}).get("action") == "vote.ballot_taken"
                                                     for c in t)]
    assert len(takes) == len(BALLOTS)
    assert not any(c["ns"]["coll"] == "ballot_boxes" for t in takes for c in t)


def test_the_oplog_grouped_by_transaction_never_ties_a_ballot_to_a_unit(voted):
    entries = voted["oplog"]
    assert entries, "the database keeps an oplog (local.oplog.rs)"

    def operations(entry):   # a transaction may be written as one applyOps entry
        inner = entry.get("o", {}).get("applyOps") if entry.get("op") == "c" else None
        return inner if inner is not None else [entry]

    transactions = {}
    for entry in entries:
        for op in operations(entry):
            key = (entry.get("lsid", {}).get("id"), entry.get("txnNumber"))
            transactions.setdefault(key, []).append(op)
    assert not choices_in([op.get("o") for ops in transactions.values() for op in ops])
    boxes = [ops for key, ops in transactions.items()
             if key[1] is not None and any(op.get("ns", "").endswith(".ballot_boxes") for op in ops)]
    assert len(boxes) >= len(BALLOTS)
    for ops in boxes:
        names = {op["ns"].rsplit(".", 1)[1] for op in ops}
        if "vote_sessions" in names:   # the close: it writes the tally, then the box is gone
            continue
        assert names <= {"ballot_boxes", "audit"}
        for op in ops:
            if op["ns"].endswith(".audit"):
                assert (op["o"]["actor"], op["o"]["correlation_id"]) == (None, None)
                assert not names_a_voter(op["o"]["context"])


def test_a_broker_reader_sees_no_message_with_a_voter_and_a_ballot(voted):
    messages = voted["messages"]
    routed = [key for key, _, _ in messages]
    assert routed.count("submissions.take_ballot") == len(BALLOTS) + 1
    assert routed.count("submissions.cast_ballot") == len(BALLOTS) + 2   # it did listen to the vote
    for key, headers, body in messages:
        assert not choices_in(body) and not choices_in(headers), f"{key} carries a ballot in the clear"
        if key == "submissions.cast_ballot":
            assert not names_a_voter(headers) and "nameko.caller" not in headers
            cluster, period, token, sealed = body["args"]
            assert not names_a_voter([token, sealed])
