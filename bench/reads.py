"""What the reads people make of a province's lists cost the database.

The embedded server (the database of ``make run`` without Docker) is one process: a read that
makes it go through many documents holds every other request meanwhile. This bench fills a scratch
database of its own on ``MONGO_URI`` (unset: on a freshly started embedded server of its own) as a
province's quarter leaves it, reads it the platform's way, and prints each read's wall time and
the database's CPU (embedded server only):

- a cluster's people: the meeting's seats (the minutes, the ranking workbook) and the audiences of
  the submissions service, in a directory of ``--units`` units of three people and 20 leaders;
- a leader's inbox (the page and its unread count, which every open browser asks for every 3 s):
  ``--notices`` notices over 90 days, a fifth of them the leader's, two in three unread; the count
  is taken from the inbox the first time it is asked, then kept (``services/notifications/unread.py``);
- the audit trail of the quarter, newest first: ``--audit`` entries over 90 days;
- a unit's trend over a year (the leaders' dashboard asks it for every unit of the table) and a
  cluster's year ranking, among every cluster's four quarters of three years (``--versions``
  snapshots of each table, and ranking's copies of the reports).

With ``--before`` each read is also made the way the platform made it before (one query joining
a role and the units; a page as one sorted query, the next one after a ``$or``; the unread count
counted from the inbox; the newest snapshot of every table of the year), and the answers are checked
to be the same. Asserts nothing; drops its
database at the end.

    .venv/bin/python bench/reads.py [--units 13400] [--sizes 16,80] [--notices 100000] [--audit 60000] [--before]
"""
import argparse
import sys
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.recompute import python_reference  # noqa: E402
from bench.throughput import database_cpu  # noqa: E402
from scripts.launcher import bench_database  # noqa: E402
from services.notifications import unread  # noqa: E402
from services.ranking import queries  # noqa: E402
from services.ranking.service import RankingService, ensure_indexes as ranking_indexes  # noqa: E402
from services.notifications.service import INBOX_ORDER, ensure_indexes as notifications_indexes  # noqa: E402
from services.submissions import store  # noqa: E402
from services.submissions.domain import access  # noqa: E402
from services.submissions.entrypoints.common import Common  # noqa: E402
from services.submissions.entrypoints.directory import Directory  # noqa: E402
from thidua import audit, paging  # noqa: E402
from thidua.caller import Caller  # noqa: E402
from thidua.events import utcnow  # noqa: E402
from thidua.mongo import client_for  # noqa: E402
from thidua.uow import UnitOfWork  # noqa: E402

LEADERS, LEADER = 20, "lanhdao00"
QUARTER = timedelta(days=90)


def directory(units):
    people = [{"_id": f"p{u:05d}-{k}", "name": f"Người {u}-{k}", "role": "unit_leader" if k == 0 else "unit_officer",
               "unit": f"U{u:05d}"} for u in range(units) for k in range(3)]
    people += [{"_id": f"lanhdao{i:02d}", "name": f"Lãnh đạo {i}",
                "role": "provincial_leader" if i % 2 else "standing_office"} for i in range(LEADERS)]
    return people


def inbox(notices, now):
    step = QUARTER / notices
    return [{"_id": f"n{i:07d}", "person": LEADER if i % 5 == 0 else f"p{i % 3000:05d}-1",
             "title": "Xếp hạng cụm", "body": "…", "created_at": now - step * i,
             "read_at": None if i % 3 else now} for i in range(notices)]


def trail(entries, units, now):
    step = QUARTER / entries
    return [{"_id": f"a{i:07d}", "at": now - step * i, "actor": f"p{i % units:05d}-1", "action": "report.submit",
             "entity": "report", "entity_id": f"r{i}", "before": None, "after": "x", "correlation_id": f"c{i}",
             "context": {"unit": f"U{i % units:05d}", "period": "2021-Q1"}} for i in range(entries)]


def members(units, k):
    """The units of the ``k``-th cluster of 16 (every year the same)."""
    return [f"U{u:05d}" for u in range(k * 16, min(units, k * 16 + 16))]


def clusters(units, years):
    """Every year's clusters of 16 units (a unit in one cluster a year)."""
    return [{"_id": f"C{year}-{k:04d}", "name": f"Cụm {k}", "year": year, "level": "province",
             "members": [{"unit": u, "role": "lead" if n == 0 else "member"} for n, u in enumerate(members(units, k))]}
            for year in years for k in range((units + 15) // 16)]


def rankings(units, years, versions):
    """Every cluster's tables of ``years`` (four quarters each): the version pointers, ``versions``
    snapshots of each (16 rows), and ranking's copy of each unit's report."""
    pointers, snapshots, copies = [], [], []
    for year in years:
        for k in range((units + 15) // 16):
            cluster, units_of = f"C{year}-{k:04d}", members(units, k)
            for quarter in range(1, 5):
                period = f"{year}-Q{quarter}"
                key = f"{cluster}|{period}"
                pointers.append({"_id": key, "version": versions, "input_hash": "h"})
                table = [{"unit": u, "unit_name": u, "rank": n + 1, "total": 90.0 - n, "class": "TOT",
                          "breakdown_ref": f"{key}|{u}|x"} for n, u in enumerate(units_of)]
                snapshots += [{"_id": f"{key}|{v}", "cluster": cluster, "period": period, "version": v,
                               "table": table, "leader": units_of[0]} for v in range(1, versions + 1)]
                copies += [{"_id": f"{period}|{u}", "cluster": cluster, "period": period, "unit": u,
                            "status": "SUBMITTED", "version": 1} for u in units_of]
    return pointers, snapshots, copies


def joined(who, cluster):
    """The one query naming a role and the units that submissions sent before."""
    units = [m["unit"] for m in cluster["members"]]
    if who == access.MEETING:
        return {"$or": [{"role": {"$in": list(access.LEADER_ROLES)}}, {"role": "unit_leader", "unit": {"$in": units}}]}
    return {"role": {"$in": list(access.UNIT_ROLES)}, "unit": {"$in": units}}    # members


def page_before(collection, filters, sort, limit, after=None):
    """The ids of a page as it was read before: one sorted query, after a ``$or`` of the cursor's key."""
    query = filters if after is None else {"$and": [filters, paging.after(sort, after)]}
    return [d["_id"] for d in collection.find(query).sort(sort).limit(limit)]


def ids(page):
    return [d.get("id", d.get("_id")) for d in page["items"]]


class Reader(Common, Directory):
    """The submissions service's reading code, on the bench's database, for ``caller``."""

    def __init__(self, db, caller=None):
        self.db, self._caller = db, caller

    @property
    def caller(self):
        return SimpleNamespace(require=lambda: self._caller)


class Table:
    def __init__(self, uri):
        self.uri = uri
        print(f"{'read':<52} {'found':>7} {'wall ms':>9} {'database CPU ms':>16}")

    def time(self, what, read, repeat=3, same=None):
        cpu, started = database_cpu(self.uri), time.perf_counter()
        for _ in range(repeat):
            found = read()
        wall = (time.perf_counter() - started) / repeat
        cpu = "-" if cpu is None else f"{(database_cpu(self.uri) - cpu) / repeat * 1000:.1f}"
        count = found if isinstance(found, int) else len(found)
        check = "" if same is None or same == found else "  DIFFERENT ANSWER"
        print(f"{what:<52} {count:>7} {wall * 1000:>9.1f} {cpu:>16}{check}", flush=True)
        return found


def people_reads(table, reader, sizes, units, before):
    for size in sizes:
        first = units // 2
        cluster = {"members": [{"unit": f"U{u:05d}", "role": "lead" if u == first else "member"}
                               for u in range(first, first + size)]}
        for who in (access.MEETING, "members", "leaders"):
            found = table.time(f"{who} of a cluster of {size}",
                               lambda: reader._people_in(access.audience_groups(who, cluster)))
            if before and who in (access.MEETING, "members"):
                table.time("  before: one query joining role and units",
                           lambda: list(reader.db.people.find(joined(who, cluster)).sort("_id")), 1, same=found)


def me_reads(table, db, before):
    officer = Reader(db, Caller("p00100-1", "unit_officer", "U00100"))
    found = table.time("an officer's clusters of every year (/me)", lambda: officer.me()["clusters"])
    if before:
        db.clusters.drop_index("members.unit_1")
        table.time("  before: without the index on members.unit", lambda: officer.me()["clusters"], 1, same=found)
        db.clusters.create_index("members.unit")
    leader = Reader(db, Caller(LEADER, "standing_office"))
    table.time("a leader's clusters: every cluster of every year (/me)", lambda: leader.me()["clusters"])


def every_latest_snapshot(db, year):
    """How the trend and the year's table read the snapshots before: the newest of every table of the year."""
    pointers = sorted(db.rankings.find({"_id": {"$regex": f"\\|{year}-"}}), key=lambda p: p["_id"])
    return [db.snapshots.find_one({"_id": f"{p['_id']}|{p['version']}"}) for p in pointers]


def ranking_reads(table, db, before):
    service = RankingService()
    service.db = db
    trend = table.time("a unit's trend over 2022 (asked for each unit)",
                       lambda: service.unit_trend("U00100", 2022)["periods"])
    if before:
        table.time("  before: every table's newest snapshot of the year",
                   lambda: queries.trend(every_latest_snapshot(db, 2022), "U00100"), 1, same=trend)
    year = table.time("a cluster's year ranking of 2022", lambda: service.year_ranking("C2022-0006", 2022)["table"])
    if before:
        table.time("  before: every table's newest snapshot of the year",
                   lambda: queries.year_table([s for s in every_latest_snapshot(db, 2022)
                                               if s["cluster"] == "C2022-0006"])["table"], 1, same=year)


def inbox_reads(table, db, before):
    query = {"person": LEADER}

    def page(cursor=None):
        return paging.page(db.inbox, query, INBOX_ORDER, name="inbox", limit=30, most=200, cursor=cursor,
                           recent=paging.RECENT)
    first = table.time("a leader's inbox, first page of 30", lambda: ids(page()))
    if before:
        table.time("  before: one sorted query", lambda: page_before(db.inbox, query, INBOX_ORDER, 30), 1, same=first)
    cursor = page()["next"]
    second = table.time("a leader's inbox, second page", lambda: ids(page(cursor)))
    if before:
        after = paging.decode("inbox", cursor, len(INBOX_ORDER))
        table.time("  before: after a $or", lambda: page_before(db.inbox, query, INBOX_ORDER, 30, after), 1,
                   same=second)
    unread_only = {**query, "read_at": None}
    table.time("a leader's first page of unread notices",
               lambda: ids(paging.page(db.inbox, unread_only, INBOX_ORDER, name="inbox", limit=30, most=200,
                                       recent=paging.RECENT)))
    uow = UnitOfWork(db, "system:bench", None)
    count = table.time("a leader's unread count, taken once from the inbox", lambda: unread.count(db, uow, LEADER), 1)
    table.time("a leader's unread count, kept", lambda: unread.count(db, uow, LEADER), same=count)
    if before:
        table.time("  before: counted from the inbox", lambda: db.inbox.count_documents(unread_only), 1, same=count)


def audit_reads(table, db, before):
    first = table.time("the quarter's audit trail, first page of 100", lambda: ids(audit.query(db, period="2021-Q1")))
    if before:
        table.time("  before: one sorted query",
                   lambda: page_before(db.audit, {"context.period": "2021-Q1"}, audit.ORDER, 100), 1, same=first)
    every = table.time("the whole audit trail, first page of 100", lambda: ids(audit.query(db)))
    if before:
        table.time("  before: one sorted query", lambda: page_before(db.audit, {}, audit.ORDER, 100), 1, same=every)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=13400, help="units in the directory (3 people each)")
    parser.add_argument("--sizes", default="16,80", help="the clusters' sizes, in units")
    parser.add_argument("--notices", type=int, default=100000, help="notices in the inbox collection")
    parser.add_argument("--audit", type=int, default=60000, help="entries in the audit trail")
    parser.add_argument("--versions", type=int, default=3, help="snapshots of each table")
    parser.add_argument("--before", action="store_true", help="also read the way the platform read before")
    args = parser.parse_args()
    with bench_database() as uri:
        measure(args, uri)


def measure(args, uri):
    db = client_for(uri)[f"bench_reads_{uuid.uuid4().hex[:8]}"]
    ranked = db.client[f"{db.name}_ranking"]     # the ranking service's own database
    now = utcnow()
    try:
        store.ensure_indexes(db)
        notifications_indexes(db)
        audit.ensure_indexes(db)
        ranking_indexes(ranked)
        pointers, snapshots, copies = rankings(args.units, (2021, 2022, 2023), args.versions)
        for collection, documents in (("people", directory(args.units)), ("inbox", inbox(args.notices, now)),
                                      ("audit", trail(args.audit, args.units, now)),
                                      ("clusters", clusters(args.units, (2021, 2022, 2023)))):
            db[collection].insert_many(documents)
        for collection, documents in (("rankings", pointers), ("snapshots", snapshots), ("reports", copies)):
            ranked[collection].insert_many(documents)
        print(f"{args.units:,} units of 3 people, {args.notices:,} notices, {args.audit:,} audit entries on {uri}; "
              f"Python reference {python_reference():.1f} ms (bench/recompute.py)")
        table = Table(uri)
        people_reads(table, Reader(db), [int(s) for s in args.sizes.split(",")], args.units, args.before)
        me_reads(table, db, args.before)
        ranking_reads(table, ranked, args.before)
        inbox_reads(table, db, args.before)
        audit_reads(table, db, args.before)
    finally:
        db.client.drop_database(db.name)
        db.client.drop_database(ranked.name)


if __name__ == "__main__":
    main()
