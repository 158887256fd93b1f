"""Backup and restore (thidua.backup): a running platform's databases, dumped after some activity,
come back identical in fresh databases; a damaged dump or an occupied target is refused."""
import json
import uuid
from datetime import datetime, timezone

import pytest
import requests
from bson import Decimal128, ObjectId, json_util

from tests.e2e.conftest import platform  # noqa: F401  (the whole platform, each service its own process)
from tests.helpers import eventually
from thidua import backup
from thidua.mongo import client_for

JSON = {"Content-Type": "application/json"}
CLUSTER_LEAD = "hanh.ptv"


def submit(platform, unit, actual):
    body = {"unit": unit, "period": "2021-Q2", "values": {"C1.1": {"actual": actual}, "C2.1": {"passed": True}},
            "self_scores": {"C1.1": 10, "C2.1": 5}}
    response = requests.post(f"{platform.url}/api/v1/reports", data=json.dumps(body), timeout=15,
                             headers={**JSON, "X-Actor": f"canbo.{unit.lower()}", "X-Correlation-Id": f"backup-{unit}"})
    assert response.status_code == 201, response.text
    return response.json()


def settled(db):
    """A probe, true when no outbox holds a pending event and nothing changed since its last look."""
    last = {}

    def probe():
        counts = (db["submissions"].outbox.count_documents({"published_at": None}),
                  db["ranking"].outbox.count_documents({"published_at": None}),
                  *(db[s].audit.count_documents({}) for s in ("submissions", "ranking")),
                  db["notifications"].inbox.count_documents({}))
        previous, last["counts"] = last.get("counts"), counts
        return counts[:2] == (0, 0) and counts == previous
    return probe


def contents(db, collection):
    return list(db[collection].find({}).sort("_id", 1))


def index_keys(db, collection):
    return sorted((i["name"], list(i["key"].items()), i.get("unique", False)) for i in db[collection].list_indexes())


def test_a_dump_of_a_running_platform_restores_identical_into_fresh_databases(platform, tmp_path):
    for unit, actual in (("U03", 100), ("U06", 80)):
        submit(platform, unit, actual)
    db = {service: platform.db(service) for service in backup.SERVICES}
    eventually(lambda: db["ranking"].snapshots.count_documents({"period": "2021-Q2"}) and
               len([n for n in db["notifications"].inbox.find({"person": CLUSTER_LEAD})
                    if str(n.get("correlation_id", "")).startswith("backup-")]) >= 2,
               timeout=30, what="the reports ranked and in the cluster lead's inbox")
    eventually(settled(db), timeout=30, interval=1.0, what="every event published and handled")
    names = {service: platform.database_name(service) for service in backup.SERVICES}
    options = ["--uri", platform.mongo_uri, *(f"--db={s}={n}" for s, n in names.items())]
    assert backup.main(["dump", str(tmp_path / "dump"), *options]) == 0

    fresh = {service: f"r{uuid.uuid4().hex[:8]}_{service}" for service in backup.SERVICES}
    client = client_for(platform.mongo_uri)
    try:
        assert backup.main(["restore", str(tmp_path / "dump"), "--uri", platform.mongo_uri,
                            *(f"--db={s}={n}" for s, n in fresh.items())]) == 0
        restored = {service: client[name] for service, name in fresh.items()}
        for service, collection in (("ranking", "snapshots"), ("notifications", "inbox"), ("submissions", "audit"),
                                    ("ranking", "audit"), ("submissions", "reports")):
            original = contents(db[service], collection)
            assert original, f"{service}.{collection} is empty: nothing was tested"
            assert contents(restored[service], collection) == original, f"{service}.{collection} differs"
        for service in backup.SERVICES:
            assert sorted(restored[service].list_collection_names()) == sorted(db[service].list_collection_names())
            for collection in db[service].list_collection_names():
                assert index_keys(restored[service], collection) == index_keys(db[service], collection)
        audit = restored["submissions"].audit.find_one({"correlation_id": "backup-U03"})
        assert isinstance(audit["at"], datetime) and audit["at"].tzinfo is not None   # types kept
    finally:
        for name in fresh.values():
            client.drop_database(name)


@pytest.fixture
def small_dump(mongo_uri, db_prefix, tmp_path):
    """A dump of one small database holding the types BSON keeps and JSON would lose."""
    client = client_for(mongo_uri)
    source = client[f"{db_prefix}_source"]
    source.items.insert_many([{"_id": ObjectId(), "at": datetime(2021, 4, 10, 7, 30, tzinfo=timezone.utc),
                               "score": Decimal128("9.75"), "n": i} for i in range(5)])
    source.items.create_index([("n", 1), ("at", -1)], unique=True, name="n_at")
    backup.dump(client, {"ranking": source.name}, tmp_path / "dump")
    return client, source, tmp_path / "dump", mongo_uri


def test_restore_refuses_a_dump_whose_checksum_does_not_match_and_writes_nothing(small_dump, db_prefix):
    client, source, dump, uri = small_dump
    data = bytearray((dump / "ranking" / "items.bson").read_bytes())
    data[-2] ^= 0x01
    (dump / "ranking" / "items.bson").write_bytes(bytes(data))
    target = f"{db_prefix}_target"
    assert backup.main(["restore", str(dump), f"--db=ranking={target}", "--uri", uri]) == 2
    assert target not in client.list_database_names()


def test_restore_refuses_a_database_that_holds_data_unless_forced(small_dump, db_prefix):
    client, source, dump, uri = small_dump
    target = client[f"{db_prefix}_target"]
    target.other.insert_one({"_id": "kept"})
    with pytest.raises(backup.BackupError, match="already hold data"):
        backup.restore(client, dump, {"ranking": target.name})
    assert contents(target, "other") == [{"_id": "kept"}]
    backup.restore(client, dump, {"ranking": target.name}, force=True)
    assert target.list_collection_names() == ["items"]
    assert contents(target, "items") == contents(source, "items")
    assert index_keys(target, "items") == index_keys(source, "items")


def test_the_manifest_counts_and_fingerprints_every_collection(small_dump):
    client, source, dump, uri = small_dump
    manifest, documents = backup.read_dump(dump)
    entry = manifest["databases"]["ranking"]["collections"]["items"]
    assert entry["count"] == 5 and len(entry["sha256"]) == 64
    assert documents["ranking", "items"] == contents(source, "items")
    manifest["databases"]["ranking"]["collections"]["items"]["count"] = 6
    (dump / backup.MANIFEST).write_text(json_util.dumps(manifest))
    with pytest.raises(backup.BackupError, match="the manifest says 6"):
        backup.read_dump(dump)

