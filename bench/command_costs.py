"""What one database command of each shape the platform sends costs the embedded server.

In a burst the embedded server's one core is what bounds the rate (README, Throughput), and the
number of commands a report is what its CPU follows: this bench says what each kind costs, so a
change can be judged before it is made. It starts a server of its own on a free port, fills small
collections, then sends ``--count`` commands of each shape from one client, nothing else running,
and prints the server's CPU (from /proc) and the client's wall time per command. Asserts nothing;
touches no other database.

    .venv/bin/python bench/command_costs.py [--count 300]
"""
import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.throughput import process_cpu  # noqa: E402
from scripts.launcher import EmbeddedServer  # noqa: E402


def shapes(client):
    """(name, command(i)) for each shape, on a database filled as the platform's are."""
    db = client.costs
    db.changes.insert_many([{"_id": shard, "n": 0} for shard in range(16)])
    db.people.insert_many([{"_id": f"p{i}", "unit": f"U{i:04d}", "name": "Cán bộ", "role": "unit_officer"}
                           for i in range(2000)])
    db.outbox.create_index([("published_at", 1), ("created_at", 1)])
    db.outbox.insert_many([{"_id": f"o{i}", "published_at": None, "created_at": i, "event": {"data": "x" * 500}}
                           for i in range(5000)])

    def transaction(inserts):
        def run(i):
            with client.start_session() as session, session.start_transaction():
                for collection in ("reports", "audit", "outbox_new", "idempotency")[:inserts]:
                    db[collection].insert_one({"_id": uuid.uuid4().hex, "body": "y" * 300}, session=session)
        return run

    return [
        ("ping (what every command costs)", lambda i: db.command("ping")),
        ("find one by _id", lambda i: db.people.find_one({"_id": f"p{i}"})),
        ("find the 16 change counters", lambda i: list(db.changes.find())),
        ("insert one, alone", lambda i: db.alone.insert_one({"_id": uuid.uuid4().hex, "a": 1})),
        ("update one by _id, alone", lambda i: db.people.update_one({"_id": f"p{i}"}, {"$set": {"seen": i}})),
        ("mark an outbox entry published (indexed field)",
         lambda i: db.outbox.update_one({"_id": f"o{i}", "published_at": None}, {"$set": {"published_at": i}})),
        ("$inc a change counter", lambda i: db.changes.update_one({"_id": i % 16}, {"$inc": {"n": 1}})),
        ("transaction: 1 insert and the commit", transaction(1)),
        ("transaction: 4 inserts and the commit (a hand-in)", transaction(4)),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="commands of each shape")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="thidua-bench-db-") as directory:
        server = EmbeddedServer(directory).start()
        try:
            client = pymongo.MongoClient(server.uri)
            print(f"{'shape':<52} {'server CPU':>11} {'wall':>9}  (per command, {args.count} of each)")
            for name, command in shapes(client):
                command(0)
                cpu, wall = process_cpu(server.process.pid), time.perf_counter()
                for i in range(1, args.count + 1):
                    command(i)
                cpu, wall = process_cpu(server.process.pid) - cpu, time.perf_counter() - wall
                print(f"{name:<52} {cpu / args.count * 1000:8.2f} ms {wall / args.count * 1000:6.2f} ms", flush=True)
            client.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
