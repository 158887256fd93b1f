"""The ranking service: keeps a cluster's table up to date with the events that can change it.

It keeps its own copies of templates, reports and closed votes from the submissions
events (it never reads the submissions database). A handler stores its event's input
with a dirty marker for the cluster's table in one transaction; the coalescer
(:mod:`coalescer`) then recomputes each dirty table — a burst of reports for one
cluster becomes one recompute — with the pure :mod:`engine`, and stores an immutable,
versioned snapshot with its ``ranking.updated.v1`` event and audit entry in one
transaction (:func:`recompute`).
"""
from collections import OrderedDict

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.ranking import coalescer, engine, queries
from thidua import audit, outbox
from thidua.caller import CallerProvider, ask_submissions
from thidua.correlation import CorrelationId
from thidua.errors import RankingNotFound, ValidationFailed
from thidua.events import new_event, utcnow
from thidua.messaging import event_handler
from thidua.metrics import CLUSTER_SIZE, RECOMPUTE_SECONDS, Metrics
from thidua.mongo import Mongo, find_immutable, find_in, once, public, replace_unless_newer
from thidua.security import StartupChecks
from thidua.uow import UnitOfWork, Work
from thidua import rpc as shared_rpc
from thidua.rpc import rpc

ACTOR = "system:ranking"
CONFLICT_RETRIES = 5
RANKED_STATUSES = ("SUBMITTED", "RESUBMITTED", "REVIEWED", "FINALIZED")  # a returned report waits for its fix
ROW_FIELDS = ("unit", "unit_name", "rank", "total", "class", "late")   # what the event carries of each row


class TemplateNotYetKnown(Exception):
    """A report names a template whose template.published event has not been handled yet;
    its table stays dirty and is recomputed once the template has arrived."""


class ConcurrentRecompute(Exception):
    """Another recompute of the same cluster and period committed first."""


# What a recompute needs of each row of the table before it: engine.diff's unit, class and rank, and
# the reference of the unit's stored breakdown.
PREVIOUS_ROW = ("unit", "class", "rank", "breakdown_ref")


class LastTables:
    """What the next recompute of a table compares its result with (``engine.diff``: the leader, and
    each row's unit, class and rank) and which breakdowns are stored, as the last recompute in this
    process left it, so it need not read the previous snapshot back: in a steady stream every
    report makes a recompute, and that read was one of the database's commands per report. An
    entry is used only for the version and input hash the table's pointer names: the engine is
    deterministic, so equal inputs made an equal table; a version another replica wrote, or one
    whose transaction did not commit, is read."""

    KEPT = 2000     # tables remembered, the least recently recomputed forgotten first

    def __init__(self):
        self._tables = OrderedDict()

    def keep(self, key, version, result):
        self._tables[key] = {"version": version, "input_hash": result["input_hash"], "leader": result["leader"],
                             "table": [{k: row[k] for k in PREVIOUS_ROW} for row in result["table"]]}
        self._tables.move_to_end(key)
        while len(self._tables) > self.KEPT:
            self._tables.popitem(last=False)

    def previous(self, db, session, key, current):
        """The table ``current`` (the pointer: version and input hash) names, or None for no table yet."""
        if current is None:
            return None
        kept = self._tables.get(key)
        if kept is not None and (kept["version"], kept["input_hash"]) == (current["version"], current["input_hash"]):
            return kept
        return db.snapshots.find_one({"_id": f"{key}|{current['version']}"},
                                     {"leader": 1, **{f"table.{k}": 1 for k in PREVIOUS_ROW}}, session=session)


LAST_TABLES = LastTables()


def ensure_indexes(db):
    db.reports.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.reports.create_index([("unit", ASCENDING), ("period", ASCENDING)])     # a unit's trend (tables_of_unit)
    db.snapshots.create_index([("cluster", ASCENDING), ("period", ASCENDING), ("version", DESCENDING)],
                              unique=True)
    db.snapshots.create_index([("table.unit", ASCENDING), ("period", ASCENDING)])
    audit.ensure_indexes(db)
    outbox.ensure_indexes(db)
    coalescer.ensure_indexes(db)


def table_key(cluster, period):
    return f"{cluster}|{period}"


FROZEN_STATES = ("CONCLUDED", "ARCHIVED")   # a run's states in which its table is published and stays


def recompute_table(db, table):
    """Bring one dirty table up to date, taking in every input marked before this transaction
    began; the markers it took in go with the new snapshot. Returns a :class:`coalescer.TakenIn`."""
    with RECOMPUTE_SECONDS.time():
        return UnitOfWork(db, ACTOR, None).run(lambda tx: take_in(tx, table),
                                               retry_on=(ConcurrentRecompute, DuplicateKeyError),
                                               retries=CONFLICT_RETRIES)


def take_in(tx, table):
    """In ``tx``: the table's recompute with its pending inputs, the markers removed. The new version
    (None: nothing pending, or nothing changed) and the markers taken in."""
    taken = coalescer.markers(tx.db, tx.session, table)
    if not taken:
        return coalescer.TakenIn(None, ())   # another recompute (or replica) took them in
    # The newest input names the version, unless a vote's result is among them: leaders hear
    # of that version at once (``trigger_event_type``).
    named = next((m for m in taken if m["event_type"].startswith("vote.closed.")), taken[-1])
    tx.correlation_id = named["correlation_id"]
    trigger = {"id": named["_id"], "type": named["event_type"], "correlation_id": named["correlation_id"],
               "coalesced": len(taken)}
    version = recompute(tx, named["cluster"], named["cluster_name"], named["period"], trigger)
    coalescer.clear(tx.db, tx.session, taken)
    return coalescer.TakenIn(version, tuple(m["_id"] for m in taken))


def move_run(tx, table, data, event):
    """A cluster's run moved (concluded, archived or reopened). Concluding freezes the table as of
    every input received before: those still waiting for the coalescer are taken in first, in the
    same transaction, so the published table never misses a report handed in before the meeting
    concluded. Reopening marks the table dirty, to take in what arrived while it was concluded."""
    if data["state"] in FROZEN_STATES:
        take_in(tx, table)
    tx.db.run_states.replace_one({"_id": table}, {"_id": table, "state": data["state"]}, upsert=True,
                                 session=tx.session)
    if data["state"] not in FROZEN_STATES:
        coalescer.mark_dirty(tx.db, tx.session, table, data["cluster"], data.get("cluster_name", data["cluster"]),
                             data["period"], event)


def recompute(tx, cluster, cluster_name, period, trigger):
    """The one recompute of a cluster's table: a new snapshot, its event and its audit entry,
    or nothing when the table already reflects the inputs."""
    db, session = tx.db, tx.session
    key = table_key(cluster, period)
    if db.run_states.find_one({"_id": key, "state": {"$in": list(FROZEN_STATES)}}, session=session):
        return None   # the run is concluded: its published table stays; the inputs wait for a reopening
    template, reports, votes = _inputs(db, session, cluster, period)
    current = db.rankings.find_one({"_id": key}, session=session)
    digest = engine.input_hash(template, reports, votes) if template else _empty()["input_hash"]
    if current is not None and current["input_hash"] == digest:
        return None  # the table already reflects these inputs: no new version
    result = engine.compute(template, reports, votes, digest=digest) if template else _empty()
    CLUSTER_SIZE.labels(cluster, period).set(len(result["table"]))
    previous_version = current["version"] if current else 0
    previous = LAST_TABLES.previous(db, session, key, current)
    _store_breakdowns(db, session, key, result["table"], previous)
    snapshot = {
        "_id": f"{key}|{previous_version + 1}", "cluster": cluster, "cluster_name": cluster_name,
        "period": period, "version": previous_version + 1, "trigger_event_id": trigger["id"],
        "trigger_event_type": trigger["type"], "coalesced": trigger.get("coalesced", 1),
        "computed_at": utcnow(), **result,
    }
    db.snapshots.insert_one(snapshot, session=session)
    # Compare-and-set on the version: a concurrent recompute that got here first wins.
    written = db.rankings.update_one(
        {"_id": key, "version": previous_version},
        {"$set": {"version": snapshot["version"], "input_hash": result["input_hash"]}},
        upsert=current is None, session=session)
    if written.matched_count == 0 and written.upserted_id is None:
        raise ConcurrentRecompute(key)
    changes = engine.diff(previous, result)
    LAST_TABLES.keep(key, snapshot["version"], result)
    event = new_event("ranking.updated.v1", {
        "cluster": cluster, "cluster_name": cluster_name, "period": period, "version": snapshot["version"],
        "table": [{k: row[k] for k in ROW_FIELDS} for row in result["table"]],
        "leader_status": result["leader_status"], **changes, "trigger_event_id": trigger["id"],
        "trigger_event_type": trigger["type"],
    }, trigger["correlation_id"])
    # The audit entry: what changed and the input hashes, never the tables themselves.
    before = {"version": previous_version, "input_hash": current["input_hash"] if current else None}
    tx.record("ranking.recompute", "ranking", key, before,
              {"version": snapshot["version"], "input_hash": result["input_hash"]},
              {"trigger_event_id": trigger["id"], "version": snapshot["version"], "period": period,
               "cluster": cluster, "input_hash": result["input_hash"], "coalesced": snapshot["coalesced"],
               **changes}, [event])
    return snapshot["version"]


def keep_report(db, session, data):
    """Keep a report's copy, never going back to an older version (events may arrive out of order)."""
    copy_id = f"{data['period']}|{data['unit']}"
    replace_unless_newer(db.reports, {"_id": copy_id, **data}, "version", session, keep_equal=True)


def _inputs(db, session, cluster, period):
    copies = list(db.reports.find({"cluster": cluster, "period": period,
                                   "status": {"$in": list(RANKED_STATUSES)}}, session=session))
    templates = {(c["template"]["id"], c["template"]["version"]) for c in copies}
    if not templates:
        return None, [], None
    template_id, version = sorted(templates)[-1]
    # A published template version never changes: read once per process.
    stored = find_immutable(db, "templates", f"{template_id}@{version}", session)
    if stored is None:
        raise TemplateNotYetKnown(f"template {template_id} v{version} has not arrived yet")
    template = {k: v for k, v in stored.items() if k != "_id"}
    reports = [{k: c[k] for k in ("unit", "unit_name", "submitted_at", "late", "version", "values",
                                  "self_scores", "violations", "commendations")} | {"review": c["review"]}
               for c in copies if (c["template"]["id"], c["template"]["version"]) == (template_id, version)]
    vote = db.votes.find_one({"_id": table_key(cluster, period)}, session=session)
    return template, reports, vote["tally"] if vote else None


def _store_breakdowns(db, session, key, table, previous):
    """Each unit's breakdown is stored once per content (most survive a recompute unchanged);
    the snapshot's row keeps only a reference, so a snapshot stays a compact table. Those the
    previous table references are stored already; the others are written in one command that
    adds only what is missing (a read of which exist, then an insert, was one command more)."""
    stored = {}
    for row in table:
        breakdown = row.pop("breakdown")
        row["breakdown_ref"] = ref = f"{key}|{row['unit']}|{audit.digest(breakdown)}"
        stored[ref] = breakdown
    known = {row.get("breakdown_ref") for row in (previous or {}).get("table", ())}
    missing = [once(ref, {"breakdown": breakdown}) for ref, breakdown in stored.items() if ref not in known]
    if missing:
        db.breakdowns.bulk_write(missing, session=session)


class RankingService(shared_rpc.Operations):
    name = "ranking"

    db = Mongo(indexes=ensure_indexes)
    relay = outbox.Relay()
    correlation_id = CorrelationId()
    recomputer = coalescer.Coalescer(recompute_table)
    uow = Work()
    startup_checks = StartupChecks(events=True)
    submissions = shared_rpc.TimedRpcProxy("submissions")           # who the caller is (the audit trail is not for everyone)
    caller = CallerProvider(ask_submissions)
    metrics = Metrics()   # /metrics on METRICS_PORT; the outbox's gauges come with the relay

    @event_handler("submissions", "template.published.v1")
    def on_template_published(self, event):
        template = event["data"]["template"]
        key = f"{template['id']}@{template['version']}"
        self.uow.as_actor("ranking.on_template_published").run(
            lambda tx: self.db.templates.replace_one({"_id": key}, {"_id": key, **template}, upsert=True,
                                                     session=tx.session),
            processed=("ranking.on_template_published", event))
        self.recomputer()   # tables that waited for this template

    @event_handler("submissions", "report.submitted.v1")
    @event_handler("submissions", "report.resubmitted.v1")
    @event_handler("submissions", "report.returned.v1")
    @event_handler("submissions", "report.reviewed.v1")
    @event_handler("submissions", "report.finalized.v1")
    @event_handler("submissions", "report.excluded.v1")
    def on_report_changed(self, event):
        self._handle("ranking.on_report_changed", event, self._apply_report)

    @event_handler("submissions", "vote.closed.v1")
    def on_vote_closed(self, event):
        self._handle("ranking.on_vote_closed", event, self._apply_vote)

    @event_handler("submissions", "period.concluded.v2")
    @event_handler("submissions", "period.archived.v2")
    @event_handler("submissions", "period.reopened.v1")
    def on_run_moved(self, event):
        """A cluster's run of a period concluded (or archived, or reopened): after the conclusion
        no event writes a new version of its table until it is reopened."""
        data, key = event["data"], table_key(event["data"]["cluster"], event["data"]["period"])
        self.uow.as_actor(ACTOR).run(lambda tx: move_run(tx, key, data, event),
                                     processed=("ranking.on_run_moved", event),
                                     retry_on=(ConcurrentRecompute, DuplicateKeyError), retries=CONFLICT_RETRIES)
        self.recomputer(key, event["id"])

    def _handle(self, consumer, event, apply):
        """Keep the event's input (once) and mark its table dirty, in one transaction; the
        coalescer recomputes the table. A crash after the commit loses nothing: the marker
        stays until a recompute has taken the input in."""
        data = event["data"]
        table = table_key(data["cluster"], data["period"])

        def work(tx):
            apply(tx.session, event)
            coalescer.mark_dirty(self.db, tx.session, table, data["cluster"], data["cluster_name"], data["period"],
                                 event)
        self.uow.as_actor(consumer).run(work, processed=(consumer, event))
        self.recomputer(table, event["id"])

    def _apply_report(self, session, event):
        keep_report(self.db, session, event["data"])

    def _apply_vote(self, session, event):
        data = event["data"]
        key = table_key(data["cluster"], data["period"])
        self.db.votes.replace_one({"_id": key}, {"_id": key, **data}, upsert=True, session=session)

    # --- queries ----------------------------------------------------------------------

    def _snapshot(self, cluster, period, version=None):
        key = table_key(cluster, period)
        if version is None:
            current = self.db.rankings.find_one({"_id": key})
            version = current["version"] if current else None
        snapshot = self.db.snapshots.find_one({"_id": f"{key}|{version}"}) if version else None
        if snapshot is None:
            raise RankingNotFound(f"No ranking of cluster {cluster!r} for period {period!r}" +
                                  (f" at version {version}" if version else "") +
                                  ": it appears once a unit of the cluster has submitted its report.")
        return snapshot

    @rpc
    def get_ranking(self, cluster, period, version=None):
        """The table (without each unit's breakdown, which :meth:`unit_breakdown` gives)."""
        snapshot = public(self._snapshot(cluster, period, version))
        for row in snapshot["table"]:
            row.pop("breakdown", None)       # snapshots stored before breakdowns moved out held them inline
            row.pop("breakdown_ref", None)
        return snapshot

    @rpc
    def unit_breakdown(self, cluster, period, unit, version=None):
        """Why a unit got its score: each criterion's inputs, formula and points."""
        snapshot = self._snapshot(cluster, period, version)
        row = next((r for r in snapshot["table"] if r["unit"] == unit), None)
        if row is None:
            raise RankingNotFound(f"Unit {unit!r} is not in the ranking of {cluster} for {period}.")
        if "breakdown_ref" in row:
            row["breakdown"] = self.db.breakdowns.find_one({"_id": row.pop("breakdown_ref")})["breakdown"]
        return {"cluster": cluster, "period": period, "version": snapshot["version"],
                "template": snapshot["template"], **row}

    @rpc
    def history(self, cluster, period):
        return [public(s) for s in self.db.snapshots.find(
            {"cluster": cluster, "period": period},
            {"version": 1, "computed_at": 1, "trigger_event_id": 1, "trigger_event_type": 1, "leader": 1,
             "leader_status": 1, "input_hash": 1, "rule_version": 1}).sort("version", ASCENDING)]

    @rpc
    def compare(self, cluster, period, version_from, version_to):
        before = self._snapshot(cluster, period, version_from)
        after = self._snapshot(cluster, period, version_to)
        return {"cluster": cluster, "period": period, "from": version_from, "to": version_to,
                **engine.diff(before, after)}

    @rpc
    def unit_trend(self, unit, year):
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValidationFailed("year must be a whole number, e.g. 2021.")
        return {"unit": unit, "year": year,
                "periods": queries.trend(latest_snapshots(self.db, tables_of_unit(self.db, unit, year)), unit)}

    @rpc
    def year_ranking(self, cluster, year):
        """The year's table built from the quarters: the mean of the unit's quarterly totals."""
        snapshots = latest_snapshots(self.db, tables_of_cluster(self.db, cluster, year))
        if not snapshots:
            raise RankingNotFound(f"No quarter of {year} has been ranked for cluster {cluster!r}.")
        return {"cluster": cluster, "year": year, **queries.year_table(snapshots)}


# A unit's trend and a cluster's year read only the tables they are about: they used to read the
# newest snapshot of every cluster's every period of the year (2.2 s for one unit's trend at 838
# clusters on the embedded server, and the dashboard asks it for every unit of the table).

def _of_year(year):
    """The period codes of ``year`` (periods are coded YYYY-…)."""
    return {"$gte": f"{year}-", "$lt": f"{year}-\uffff"}


def tables_of_unit(db, unit, year):
    """The tables of ``year`` the unit has a report in (ranking's copies of the reports)."""
    return {table_key(r["cluster"], r["period"])
            for r in db.reports.find({"unit": unit, "period": _of_year(year)}, {"cluster": 1, "period": 1})}


def tables_of_cluster(db, cluster, year):
    """The cluster's tables of ``year`` with a report (the embedded server scans for a range of ids)."""
    return {table_key(cluster, period)
            for period in db.reports.distinct("period", {"cluster": cluster, "period": _of_year(year)})}


def latest_snapshots(db, tables):
    """The newest snapshot of each of ``tables`` that has been ranked, in the tables' order."""
    pointers = sorted(find_in(db.rankings, "_id", sorted(tables)), key=lambda p: p["_id"])
    return [db.snapshots.find_one({"_id": f"{p['_id']}|{p['version']}"}) for p in pointers]



def _empty():
    """The table of a period with nothing to rank (every report returned for correction)."""
    return {"rule_version": engine.RULE_VERSION, "template": None, "input_hash": "empty", "table": [],
            "leader": None, "leader_status": "none", "quorum_met": None}
