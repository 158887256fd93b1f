"""The ranking service: recomputes a cluster's table on every event that can change it.

It keeps its own copies of templates, reports and closed votes from the submissions
events (it never reads the submissions database), recomputes the whole cluster for
the period with the pure :mod:`engine`, and stores an immutable, versioned snapshot
with its ``ranking.updated.v1`` event in one transaction.
"""
from collections import defaultdict

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.ranking import engine, queries
from thidua import audit, outbox
from thidua.caller import CallerProvider, ask_submissions
from thidua.correlation import CorrelationId
from thidua.errors import RankingNotFound, ValidationFailed
from thidua.events import new_event, utcnow
from thidua.messaging import event_handler
from thidua.mongo import Mongo, public
from thidua.security import StartupChecks
from thidua.uow import Work
from thidua import rpc as shared_rpc
from thidua.rpc import rpc

ACTOR = "system:ranking"
CONFLICT_RETRIES = 5
RANKED_STATUSES = ("SUBMITTED", "RESUBMITTED", "REVIEWED", "FINALIZED")  # a returned report waits for its fix
ROW_FIELDS = ("unit", "unit_name", "rank", "total", "class", "late")   # what the event carries of each row


class TableLocks(DependencyProvider):
    """One recompute of a cluster's period at a time in this service instance: concurrent
    ones would only conflict on the snapshot version and redo their work. Other replicas
    still race, and the compare-and-set on the version keeps that safe."""

    def setup(self):
        self.locks = defaultdict(Semaphore)

    def get_dependency(self, worker_ctx):
        return self.locks


class TemplateNotYetKnown(Exception):
    """A report names a template whose template.published event has not been handled yet;
    the message is retried until it has."""


class ConcurrentRecompute(Exception):
    """Another recompute of the same cluster and period committed first."""


def ensure_indexes(db):
    db.reports.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.snapshots.create_index([("cluster", ASCENDING), ("period", ASCENDING), ("version", DESCENDING)],
                              unique=True)
    db.snapshots.create_index([("table.unit", ASCENDING), ("period", ASCENDING)])
    audit.ensure_indexes(db)
    outbox.ensure_indexes(db)


def table_key(cluster, period):
    return f"{cluster}|{period}"


class RankingService(shared_rpc.Operations):
    name = "ranking"

    db = Mongo(indexes=ensure_indexes)
    relay = outbox.Relay()
    correlation_id = CorrelationId()
    table_locks = TableLocks()
    uow = Work()
    startup_checks = StartupChecks(events=True)
    submissions = shared_rpc.TimedRpcProxy("submissions")           # who the caller is (the audit trail is not for everyone)
    caller = CallerProvider(ask_submissions)

    @event_handler("submissions", "template.published.v1")
    def on_template_published(self, event):
        template = event["data"]["template"]
        key = f"{template['id']}@{template['version']}"
        self.uow.as_actor("ranking.on_template_published").run(
            lambda tx: self.db.templates.replace_one({"_id": key}, {"_id": key, **template}, upsert=True,
                                                     session=tx.session),
            processed=("ranking.on_template_published", event))

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
        self.uow.as_actor("ranking.on_run_moved").run(
            lambda tx: self.db.run_states.replace_one({"_id": key}, {"_id": key, "state": data["state"]}, upsert=True,
                                                      session=tx.session),
            processed=("ranking.on_run_moved", event))

    def _handle(self, consumer, event, apply):
        """Keep the event's input (once), then bring the cluster's table up to date.

        Two steps, each its own transaction: in a burst, reports are stored while another
        worker recomputes, and the next recompute takes all of them at once; the workers
        after it find the table already reflecting their report and stop there. A failure
        between the steps loses nothing: the redelivered event skips the first and
        retries the second.
        """
        data = event["data"]
        self.uow.as_actor(consumer).run(lambda tx: apply(tx.session, event), processed=(consumer, event))
        if self.db.run_states.find_one({"_id": table_key(data["cluster"], data["period"]),
                                        "state": {"$in": ["CONCLUDED", "ARCHIVED"]}}):
            return   # concluded: the input is kept for a reopening, the published table stays
        with self.table_locks[table_key(data["cluster"], data["period"])]:
            self.uow.as_actor(ACTOR).run(
                lambda tx: self._recompute(tx, data["cluster"], data["cluster_name"], data["period"], event),
                retry_on=(ConcurrentRecompute, DuplicateKeyError), retries=CONFLICT_RETRIES)

    def _apply_report(self, session, event):
        data = event["data"]
        copy_id = f"{data['period']}|{data['unit']}"
        stored = self.db.reports.find_one({"_id": copy_id}, session=session)
        if stored is None or stored["version"] < data["version"]:  # never go back to an older version
            self.db.reports.replace_one({"_id": copy_id}, {"_id": copy_id, **data}, upsert=True, session=session)

    def _apply_vote(self, session, event):
        data = event["data"]
        key = table_key(data["cluster"], data["period"])
        self.db.votes.replace_one({"_id": key}, {"_id": key, **data}, upsert=True, session=session)

    def _inputs(self, session, cluster, period):
        copies = list(self.db.reports.find({"cluster": cluster, "period": period,
                                            "status": {"$in": list(RANKED_STATUSES)}}, session=session))
        templates = {(c["template"]["id"], c["template"]["version"]) for c in copies}
        if not templates:
            return None, [], None
        template_id, version = sorted(templates)[-1]
        template = self.db.templates.find_one({"_id": f"{template_id}@{version}"}, session=session)
        if template is None:
            raise TemplateNotYetKnown(f"template {template_id} v{version} has not arrived yet")
        template.pop("_id")
        reports = [{k: c[k] for k in ("unit", "unit_name", "submitted_at", "late", "version", "values",
                                      "self_scores", "violations", "commendations")} | {"review": c["review"]}
                   for c in copies if (c["template"]["id"], c["template"]["version"]) == (template_id, version)]
        vote = self.db.votes.find_one({"_id": table_key(cluster, period)}, session=session)
        return template, reports, vote["tally"] if vote else None

    def _recompute(self, tx, cluster, cluster_name, period, trigger):
        session = tx.session
        template, reports, votes = self._inputs(session, cluster, period)
        key = table_key(cluster, period)
        current = self.db.rankings.find_one({"_id": key}, session=session)
        digest = engine.input_hash(template, reports, votes) if template else _empty()["input_hash"]
        if current is not None and current["input_hash"] == digest:
            return None  # the table already reflects these inputs: no new version
        result = engine.compute(template, reports, votes) if template else _empty()
        previous_version = current["version"] if current else 0
        previous = self.db.snapshots.find_one({"_id": f"{key}|{previous_version}"}, session=session)
        snapshot = {
            "_id": f"{key}|{previous_version + 1}", "cluster": cluster, "cluster_name": cluster_name,
            "period": period, "version": previous_version + 1, "trigger_event_id": trigger["id"],
            "trigger_event_type": trigger["type"], "computed_at": utcnow(), **result,
        }
        self.db.snapshots.insert_one(snapshot, session=session)
        # Compare-and-set on the version: a concurrent recompute that got here first wins.
        written = self.db.rankings.update_one(
            {"_id": key, "version": previous_version},
            {"$set": {"version": snapshot["version"], "input_hash": result["input_hash"]}},
            upsert=current is None, session=session)
        if written.matched_count == 0 and written.upserted_id is None:
            raise ConcurrentRecompute(key)
        changes = engine.diff(previous, result)
        event = new_event("ranking.updated.v1", {
            "cluster": cluster, "cluster_name": cluster_name, "period": period, "version": snapshot["version"],
            "table": [{k: row[k] for k in ROW_FIELDS} for row in result["table"]],
            "leader_status": result["leader_status"], **changes, "trigger_event_id": trigger["id"],
            "trigger_event_type": trigger["type"],
        }, trigger["correlation_id"])
        tx.record("ranking.recompute", "ranking", key, previous, snapshot,
                  {"trigger_event_id": trigger["id"], "version": snapshot["version"], "period": period,
                   "cluster": cluster}, [event])
        return snapshot["version"]

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
            row.pop("breakdown")
        return snapshot

    @rpc
    def unit_breakdown(self, cluster, period, unit, version=None):
        """Why a unit got its score: each criterion's inputs, formula and points."""
        snapshot = self._snapshot(cluster, period, version)
        row = next((r for r in snapshot["table"] if r["unit"] == unit), None)
        if row is None:
            raise RankingNotFound(f"Unit {unit!r} is not in the ranking of {cluster} for {period}.")
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
        return {"unit": unit, "year": year, "periods": queries.trend(self._latest_snapshots(year), unit)}

    @rpc
    def year_ranking(self, cluster, year):
        """The year's table built from the quarters: the mean of the unit's quarterly totals."""
        snapshots = [s for s in self._latest_snapshots(year) if s["cluster"] == cluster]
        if not snapshots:
            raise RankingNotFound(f"No quarter of {year} has been ranked for cluster {cluster!r}.")
        return {"cluster": cluster, "year": year, **queries.year_table(snapshots)}

    def _latest_snapshots(self, year):
        """The newest snapshot of each cluster's period of ``year`` (periods are coded YYYY-…)."""
        latest = {}
        for pointer in self.db.rankings.find({"_id": {"$regex": f"\\|{year}-"}}):
            latest[pointer["_id"]] = pointer["version"]
        return [self.db.snapshots.find_one({"_id": f"{key}|{version}"}) for key, version in sorted(latest.items())]



def _empty():
    """The table of a period with nothing to rank (every report returned for correction)."""
    return {"rule_version": engine.RULE_VERSION, "template": None, "input_hash": "empty", "table": [],
            "leader": None, "leader_status": "none", "quorum_met": None}
