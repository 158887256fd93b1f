"""What reading a cluster's people costs the database in a province's directory.

The meeting's seats (minutes and the ranking workbook) and the audiences of the submissions service
(``access.audience_groups``) are read by the service's own code (``Common._people_in``): each group
by one indexed field. For comparison, the same people by one query naming a role and the units
(``--joined``), the shape the service used before: the embedded server answered it by comparing every
person of the role with every unit. Both answers are checked to be the same people.

Loads ``--units`` units of three people each (a leader and two officers) and 20 provincial leaders
into a scratch database of its own on ``MONGO_URI`` (the embedded server of ``make infra`` if unset),
prints the database's CPU (embedded server only) and the wall time per read, and drops the database.
Asserts nothing.

    .venv/bin/python bench/directory.py [--units 13400] [--sizes 16,80] [--joined]
"""
import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.recompute import python_reference  # noqa: E402
from bench.throughput import database_cpu  # noqa: E402
from scripts.launcher import EMBEDDED_URI  # noqa: E402
from services.submissions import store  # noqa: E402
from services.submissions.domain import access  # noqa: E402
from services.submissions.entrypoints.common import Common  # noqa: E402
from thidua.mongo import client_for  # noqa: E402

LEADERS = 20


def directory(units):
    people = [{"_id": f"p{u:05d}-{k}", "name": f"Người {u}-{k}", "role": "unit_leader" if k == 0 else "unit_officer",
               "unit": f"U{u:05d}"} for u in range(units) for k in range(3)]
    people += [{"_id": f"lanhdao{i:02d}", "name": f"Lãnh đạo {i}",
                "role": "provincial_leader" if i % 2 else "standing_office"} for i in range(LEADERS)]
    return people


def joined(who, cluster):
    """The one query naming a role and the units that the service sent before."""
    units = [m["unit"] for m in cluster["members"]]
    leaders = {"role": {"$in": list(access.LEADER_ROLES)}}
    if who == access.MEETING:
        return {"$or": [leaders, {"role": "unit_leader", "unit": {"$in": units}}]}
    return {"role": {"$in": list(access.UNIT_ROLES)}, "unit": {"$in": units}}    # members


class Reader(Common):
    def __init__(self, db):
        self.db = db


def timed(uri, read, repeat):
    cpu, started = database_cpu(uri), time.perf_counter()
    for _ in range(repeat):
        found = read()
    wall = (time.perf_counter() - started) / repeat
    cpu = None if cpu is None else (database_cpu(uri) - cpu) / repeat
    return found, wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=13400, help="units in the directory (3 people each)")
    parser.add_argument("--sizes", default="16,80", help="the clusters' sizes, in units")
    parser.add_argument("--repeat", type=int, default=5, help="reads of each kind, the mean printed")
    parser.add_argument("--joined", action="store_true", help="also time the one joined query (seconds each)")
    args = parser.parse_args()
    uri = os.environ.get("MONGO_URI") or EMBEDDED_URI
    db = client_for(uri)[f"bench_directory_{uuid.uuid4().hex[:8]}"]
    try:
        store.ensure_indexes(db)
        people = directory(args.units)
        db.people.insert_many(people)
        reader = Reader(db)
        print(f"{len(people):,} people ({args.units:,} units of 3, {LEADERS} leaders) on {uri}; "
              f"Python reference {python_reference():.1f} ms (bench/recompute.py)")
        print(f"{'read':<34} {'units':>6} {'people':>7} {'wall ms':>9} {'database CPU ms':>16}")
        for size in (int(s) for s in args.sizes.split(",")):
            first = args.units // 2
            cluster = {"members": [{"unit": f"U{u:05d}", "role": "lead" if u == first else "member"}
                                   for u in range(first, first + size)]}
            for who in (access.MEETING, "members", "leaders"):
                groups = access.audience_groups(who, cluster)
                found, wall, cpu = timed(uri, lambda: reader._people_in(groups), args.repeat)
                print(f"{who + ', by one field per group':<34} {size:>6} {len(found):>7} {wall * 1000:>9.1f} "
                      f"{'-' if cpu is None else f'{cpu * 1000:.1f}':>16}")
                if args.joined and who in (access.MEETING, "members"):
                    same, wall, cpu = timed(uri, lambda: list(db.people.find(joined(who, cluster)).sort("_id")), 1)
                    check = "" if [p["_id"] for p in same] == [p["_id"] for p in found] else "  DIFFERENT PEOPLE"
                    print(f"{who + ', one joined query':<34} {size:>6} {len(same):>7} {wall * 1000:>9.1f} "
                          f"{'-' if cpu is None else f'{cpu * 1000:.1f}':>16}{check}")
    finally:
        db.client.drop_database(db.name)


if __name__ == "__main__":
    main()
