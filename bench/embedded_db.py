"""Why the embedded database slows down over its life, and what brings it back.

SecantusDB (the embedded MongoDB-compatible server of `make run` and `make test`) keeps, in
memory, the transaction record of every server session that ever ran a transaction, even after
the session is ended, and each later transactional statement walks all of them. Every process
that uses the database brings new sessions (a restarted service, a test's platform), so the
server slows down over its life; restarting it (the data stay on disk) empties the registry.

This bench starts a server of its own on a free port, then prints one client's transactions per
second: at first, after ``--processes`` short processes that each commit transactions on
``--sessions`` sessions through the platform's ``thidua.mongo.client_for`` and exit, and after a
restart of the server. Asserts nothing; touches no other database.

    .venv/bin/python bench/embedded_db.py [--processes 100] [--sessions 8]
"""
import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pymongo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.launcher import EmbeddedServer  # noqa: E402

# One process of a service's life: a transaction on each of a few concurrent sessions, then the exit.
CHILD = """
import sys, threading, uuid
from thidua.mongo import client_for
db = client_for(sys.argv[1])["bench"]
def work():
    with db.client.start_session() as session:
        session.with_transaction(lambda s: db.probe.insert_one({"_id": uuid.uuid4().hex}, session=s))
threads = [threading.Thread(target=work) for _ in range(int(sys.argv[2]))]
[t.start() for t in threads]
[t.join() for t in threads]
db.client.close()
"""


def rate(uri, seconds=3.0):
    """Transactions (a read, an update, an insert) per second of one client, for ``seconds``."""
    client = pymongo.MongoClient(uri)
    db = client["bench"]
    db.counter.update_one({"_id": 1}, {"$set": {"n": 0}}, upsert=True)
    done, until = 0, time.monotonic() + seconds
    while time.monotonic() < until:
        def work(session):
            db.counter.find_one({"_id": 1}, session=session)
            db.counter.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)
            db.probe.insert_one({"_id": uuid.uuid4().hex}, session=session)
        with client.start_session() as session:
            session.with_transaction(work)
        done += 1
    client.close()
    return done / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=8, help="concurrent sessions per process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        server = EmbeddedServer(data).start()
        try:
            rate(server.uri, 1.0)     # warm up: the first transactions of a server are slower
            print(f"{'one client, after':<56} {'transactions/s':>15}")
            print(f"{'a fresh start':<56} {rate(server.uri):>15.0f}", flush=True)
            for _ in range(args.processes):
                subprocess.run([sys.executable, "-c", CHILD, server.uri, str(args.sessions)], cwd=ROOT, check=True)
            label = f"{args.processes} processes of {args.sessions} sessions each"
            print(f"{label:<56} {rate(server.uri):>15.0f}", flush=True)
            server.stop()
            server.start()
            print(f"{'a restart of the server (same data)':<56} {rate(server.uri):>15.0f}", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
