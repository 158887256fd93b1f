"""What marking an outbox entry published costs the database, with others waiting behind it.

A service's relay publishes the events each commit recorded and marks them published
(``thidua.outbox.mark_published``; what half a second confirmed goes into one mark). This bench fills a scratch outbox on ``MONGO_URI`` (unset: a
freshly started embedded server of its own) with ``--published`` entries already published and,
in turn, ``--waiting`` entries still waiting, then marks 100 more entries (waiting too until each
is marked) one a command, as after 100 commits: the platform's way (an update per entry by its id)
against the way before (the ids in one ``$in`` beside ``published_at: None``). Prints the best of
``--rounds`` per mark; asserts nothing; drops its database at the end.

    .venv/bin/python bench/outbox_marks.py [--published 5000] [--waiting 0,50,500] [--rounds 3]
"""
import argparse
import sys
import time
import uuid
from pathlib import Path

import pymongo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.launcher import bench_database  # noqa: E402
from thidua import outbox  # noqa: E402
from thidua.events import utcnow  # noqa: E402
from thidua.mongo import update_in  # noqa: E402

MARKS = 100


def before(db, entries):
    """The mark as it was: the ids in ``$in``s beside ``published_at: None``."""
    update_in(db[outbox.COLLECTION], "_id", [entry["_id"] for entry in entries],
              {"$set": {"published_at": utcnow()}, "$inc": {"attempts": 1}}, {"published_at": None})


def entries(count, published):
    now = utcnow()
    return [{"_id": str(uuid.uuid4()), "event": {"padding": "x" * 500}, "created_at": now, "seq": n,
             "published_at": now if published else None, "attempts": int(published)} for n in range(count)]


def per_mark(db, mark, waiting):
    """Seconds per mark of one entry, ``waiting`` others unpublished the while."""
    behind, marked = entries(waiting, False), entries(MARKS, False)
    db[outbox.COLLECTION].insert_many(behind + marked)
    started = time.perf_counter()
    for entry in marked:
        mark(db, [entry])
    took = (time.perf_counter() - started) / MARKS
    db[outbox.COLLECTION].delete_many({"_id": {"$in": [entry["_id"] for entry in behind]}})
    return took


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--published", type=int, default=5000)
    parser.add_argument("--waiting", default="0,50,500")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with bench_database() as uri:
        client = pymongo.MongoClient(uri)
        db = client[f"thidua_bench_marks_{uuid.uuid4().hex[:8]}"]
        try:
            outbox.ensure_indexes(db)
            db[outbox.COLLECTION].insert_many(entries(args.published, True))
            print(f"an outbox of {args.published:,} published entries; {MARKS} marks of one entry each, "
                  f"best of {args.rounds}")
            for waiting in (int(w) for w in args.waiting.split(",")):
                best = {name: min(per_mark(db, mark, waiting) for _ in range(args.rounds))
                        for name, mark in (("by id", outbox.mark_published), ("one $in", before))}
                print(f"  {waiting:>5} waiting: by id {best['by id'] * 1000:6.2f} ms a mark; "
                      f"one $in beside published_at (before) {best['one $in'] * 1000:6.2f} ms")
        finally:
            client.drop_database(db.name)
            client.close()


if __name__ == "__main__":
    main()
