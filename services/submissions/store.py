"""Storage of the submissions service: its collections and indexes."""
from pymongo import ASCENDING, DESCENDING

from thidua import audit, kept, outbox
from thidua.mongo import find_immutable, find_in


# What a report's hand-in reads before it writes, kept in memory while unchanged (thidua.kept): the
# caller, the unit, the period, the unit's cluster and its run. Every write to them marks a change
# (the unit of work's ``marked``), so a read from what is kept is as fresh as the read itself.
KEPT = ("people", "units", "periods", "clusters", "runs")
CALLER = {"role": 1, "unit": 1}   # what a call needs of the person calling: all that is kept of them


def ensure_indexes(db):
    db.reports.create_index([("unit", ASCENDING), ("period", ASCENDING)], unique=True)
    db.reports.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.people.create_index([("role", ASCENDING)])
    db.people.create_index([("unit", ASCENDING)])
    db.clusters.create_index([("year", ASCENDING), ("members.unit", ASCENDING)])
    # A person's clusters of every year (``me``, on every page load): without it, a scan of every
    # cluster of every year (118 ms for 2,514 on the embedded server; README, bench/reads.py).
    db.clusters.create_index([("members.unit", ASCENDING)])
    db.templates.create_index([("id", ASCENDING), ("version", DESCENDING)], unique=True)
    db.runs.create_index([("period", ASCENDING), ("level", ASCENDING)])
    db.runs.create_index([("state", ASCENDING)])
    db.vote_sessions.create_index([("cluster", ASCENDING), ("period", ASCENDING)], unique=True)
    db.proposals.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.proposals.create_index([("state", ASCENDING)])
    db.evidence.create_index([("unit", ASCENDING)])
    audit.ensure_indexes(db)
    db.audit.create_index([("context.unit", ASCENDING), ("at", DESCENDING)])
    db.audit.create_index([("context.period", ASCENDING), ("at", DESCENDING)])
    outbox.ensure_indexes(db)
    kept.ensure(db)


def cluster_of(db, unit, year, session=None):
    """The cluster a unit belongs to in ``year`` (one per level per year)."""
    return db.clusters.find_one({"year": year, "members.unit": unit}, session=session)


def clusters_of_year(db, year):
    """``{unit: [cluster codes]}``: the clusters of ``year`` each unit belongs to, in one read (the
    members alone), for a process that keeps it (``KEPT``) so each hand-in need not look its unit up."""
    found = {}
    for cluster in db.clusters.find({"year": year}, {"members.unit": 1}):
        for member in cluster.get("members", []):
            found.setdefault(member["unit"], []).append(cluster["_id"])
    return found


def template(db, template_id, version, session=None):
    """A published criteria template version (never edited in place: read once per process)."""
    return find_immutable(db, "templates", f"{template_id}@{version}", session)



TAKING_REPORTS = ("OPEN", "CLOSED")   # a cluster's run whose reports are still coming in


def taking_reports(db, query=None, fields=None, of=None):
    """Every cluster's run still taking reports (matching ``query``, oldest id first), each with its
    cluster (``{"members": []}`` if none is stored) and the member units whose report is past DRAFT:
    ``[(run, cluster, handed in)]``. ``of``: the (cluster, period) pairs whose reports are read; the
    other runs come with ``None`` for the units handed in and cost no read (None: every run's).
    One query for the runs, then the clusters and the reports by ``find_in`` (one query per
    ``IN_PART`` clusters): a reading per run (two queries each, once a minute for the reminders)
    grew with the province."""
    runs = list(db.runs.find({"state": {"$in": list(TAKING_REPORTS)}, **(query or {})}, fields).sort("_id"))
    wanted = None if of is None else {tuple(pair) for pair in of}
    reading = [r for r in runs if wanted is None or (r["cluster"], r["period"]) in wanted]
    clusters = {c["_id"]: c for c in find_in(db.clusters, "_id", sorted({r["cluster"] for r in runs}),
                                             projection={"name": 1, "members.unit": 1} if reading else {"name": 1})}
    handed_in = {(r["cluster"], r["period"]): set() for r in reading}
    if reading:
        for report in find_in(db.reports, "cluster", sorted({r["cluster"] for r in reading}),
                              {"period": {"$in": sorted({r["period"] for r in reading})}, "status": {"$ne": "DRAFT"}},
                              {"cluster": 1, "period": 1, "unit": 1}):
            units = handed_in.get((report["cluster"], report["period"]))
            if units is not None:
                units.add(report["unit"])
    return [(run, clusters.get(run["cluster"], {"members": []}), handed_in.get((run["cluster"], run["period"])))
            for run in runs]


def reporting_counts(db):
    """``{(cluster, period): (handed in, missing)}`` for every cluster's run still taking reports:
    of the cluster's member units, those whose report is past DRAFT, and the others."""
    counts = {}
    for run, cluster, units in taking_reports(db, fields={"cluster": 1, "period": 1}):
        members = {m["unit"] for m in cluster["members"]}
        counts[(run["cluster"], run["period"])] = (len(members & units), len(members - units))
    return counts


def reporting_readings(container, db):
    """The reporting gauges of thidua.metrics, read when Prometheus scrapes."""
    key = f"submissions:{id(container)}"

    def read(position):
        return lambda: [(labels, pair[position]) for labels, pair in sorted(reporting_counts(db).items())]
    return [(f"{key}:in", "thidua_reports_handed_in", "Member units of a cluster that handed in their report "
             "for a period still taking reports", ("cluster", "period"), read(0)),
            (f"{key}:missing", "thidua_reports_missing", "Member units of a cluster whose report for a period "
             "still taking reports is not handed in", ("cluster", "period"), read(1))]
