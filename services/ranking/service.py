"""The ranking service: recomputes a cluster's table on every event that can change it.

It keeps its own copy of each report from ``report.submitted.v1`` (never reading
the submissions database), recomputes with the pure :mod:`scoring` function, and
stores an immutable, versioned snapshot together with its ``ranking.updated.v1``
event in one transaction.
"""
import logging
from collections import defaultdict

from eventlet.semaphore import Semaphore

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.ranking import scoring
from thidua import audit, outbox
from thidua.correlation import CorrelationId
from thidua.errors import RankingNotFound, rpc
from thidua.events import new_event, utcnow
from thidua.idempotency import once
from thidua.messaging import event_handler
from thidua.mongo import Mongo, public

log = logging.getLogger(__name__)
ACTOR = "system:ranking"
CONFLICT_RETRIES = 5
# One recompute of a cluster's period at a time in this process: concurrent ones would
# only conflict on the snapshot version and redo their work. Other replicas still race,
# and the compare-and-set keeps that safe.
_table_locks = defaultdict(Semaphore)


class ConcurrentRecompute(Exception):
    """Another recompute of the same cluster and period committed first."""


def ensure_indexes(db):
    db.reports.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.snapshots.create_index([("cluster", ASCENDING), ("period", ASCENDING), ("version", ASCENDING)],
                              unique=True)
    audit.ensure_indexes(db)
    outbox.ensure_indexes(db)


def table_key(cluster, period):
    return f"{cluster}|{period}"


class RankingService:
    name = "ranking"

    db = Mongo(indexes=ensure_indexes)
    relay = outbox.Relay()
    correlation_id = CorrelationId()

    @event_handler("submissions", "report.submitted.v1")
    def on_report_submitted(self, event):
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                with _table_locks[table_key(event["data"]["cluster"], event["data"]["period"])]:
                    once(self.db, "ranking.on_report_submitted", event, lambda s: self._apply_report(s, event))
                return
            except (ConcurrentRecompute, DuplicateKeyError):
                log.info("recompute of %s lost a race (attempt %s); retrying", event["data"]["cluster"], attempt)
        raise ConcurrentRecompute(f"gave up after {CONFLICT_RETRIES} conflicting recomputes")

    def _apply_report(self, session, event):
        data = event["data"]
        copy_id = f"{data['period']}|{data['unit']}"
        stored = self.db.reports.find_one({"_id": copy_id}, session=session)
        if stored is not None and stored["version"] >= data["version"]:
            return None  # an older or equal version of a report we already have
        self.db.reports.replace_one({"_id": copy_id}, {"_id": copy_id, **data}, upsert=True, session=session)
        return self._recompute(session, data["cluster"], data["cluster_name"], data["period"], event)

    def _recompute(self, session, cluster, cluster_name, period, trigger):
        entries = list(self.db.reports.find({"cluster": cluster, "period": period}, session=session))
        key = table_key(cluster, period)
        current = self.db.rankings.find_one({"_id": key}, session=session)
        digest = scoring.input_hash(entries)
        if current is not None and current["input_hash"] == digest:
            return None  # same inputs, same table: no new version
        table = scoring.rank(entries)
        previous_version = current["version"] if current else 0
        previous = self.db.snapshots.find_one({"_id": f"{key}|{previous_version}"}, session=session)
        previous_table = previous["table"] if previous else []
        snapshot = {
            "_id": f"{key}|{previous_version + 1}", "cluster": cluster, "cluster_name": cluster_name,
            "period": period, "version": previous_version + 1, "rule_version": scoring.RULE_VERSION,
            "input_hash": digest, "trigger_event_id": trigger["id"], "computed_at": utcnow(),
            "table": table, "leader": scoring.leader(table),
        }
        self.db.snapshots.insert_one(snapshot, session=session)
        # Compare-and-set on the version: a concurrent recompute that got here first wins.
        result = self.db.rankings.update_one(
            {"_id": key, "version": previous_version},
            {"$set": {"version": snapshot["version"], "input_hash": digest}},
            upsert=current is None, session=session)
        if result.matched_count == 0 and result.upserted_id is None:
            raise ConcurrentRecompute(key)
        previous_leader = previous["leader"] if previous else None
        outbox.record(self.db, session, new_event("ranking.updated.v1", {
            "cluster": cluster, "cluster_name": cluster_name, "period": period,
            "version": snapshot["version"], "table": table, "leader": snapshot["leader"],
            "previous_leader": previous_leader, "leader_changed": snapshot["leader"] != previous_leader,
            "rank_moves": scoring.rank_moves(previous_table, table), "trigger_event_id": trigger["id"],
        }, trigger["correlation_id"]))
        audit.record(self.db, session, actor=ACTOR, action="ranking.recompute", entity="ranking",
                     entity_id=key, before=previous, after=snapshot, correlation_id=trigger["correlation_id"],
                     context={"trigger_event_id": trigger["id"], "version": snapshot["version"]})
        return snapshot["version"]

    @rpc
    def get_ranking(self, cluster, period, version=None):
        key = table_key(cluster, period)
        if version is None:
            current = self.db.rankings.find_one({"_id": key})
            version = current["version"] if current else None
        snapshot = self.db.snapshots.find_one({"_id": f"{key}|{version}"}) if version else None
        if snapshot is None:
            raise RankingNotFound(f"No ranking of cluster {cluster!r} for period {period!r} yet: "
                                  "it appears once a unit of the cluster has submitted its report.")
        return public(snapshot)

    @rpc
    def ping(self):
        self.db.command("ping")
        return {"service": self.name, "ok": True}
