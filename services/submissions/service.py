"""The submissions service: the system of record for units, clusters, periods and reports.

Every state change is written with its audit entry and its event(s) in one
transaction (transactional outbox); the relay publishes the events.
"""
import uuid


from services.submissions import reports, store
from thidua import audit, outbox
from thidua.correlation import CorrelationId
from thidua.errors import NotAMember, PeriodNotOpen, ReportExists, UnknownCluster, UnknownPeriod, UnknownUnit, rpc
from thidua.events import isoformat, new_event, utcnow
from thidua.mongo import Mongo, in_transaction, public

LEADER_ROLES = ("provincial_leader", "standing_office")
CLUSTER_LEADING_MEMBER_ROLES = ("lead", "deputy")


class SubmissionsService:
    name = "submissions"

    db = Mongo(indexes=store.ensure_indexes)
    relay = outbox.Relay()
    correlation_id = CorrelationId()

    @rpc
    def submit_report(self, payload, actor):
        """A unit hands in its report for a period. Returns the stored report."""
        clean = reports.validate_submission(payload)
        unit = self.db.units.find_one({"_id": clean["unit"]})
        if unit is None:
            raise UnknownUnit(f"No unit has the code {clean['unit']!r}. Use a unit code from /api/v1/units.")
        period = self.db.periods.find_one({"_id": clean["period"]})
        if period is None:
            raise UnknownPeriod(f"No period has the code {clean['period']!r}, e.g. \"2021-Q1\".")
        if period["state"] not in reports.ACCEPTING_STATES:
            raise PeriodNotOpen(f"Period {period['_id']} is {period['state']}: reports are accepted "
                                f"only while it is OPEN (or CLOSED, flagged late).")
        cluster = store.cluster_of(self.db, unit["_id"], period["year"])
        if cluster is None:
            raise NotAMember(f"Unit {unit['_id']} belongs to no emulation cluster in {period['year']}.")

        now = utcnow()
        report = {
            "_id": str(uuid.uuid4()), "unit": unit["_id"], "cluster": cluster["_id"],
            "period": period["_id"], "scores": clean["scores"], "total": reports.total(clean["scores"]),
            "status": "SUBMITTED", "submitted_at": now,
            "late": reports.is_late(now, period.get("deadline")), "version": 1,
            "submitted_by": actor, "correlation_id": self.correlation_id,
        }
        event = new_event("report.submitted.v1", {
            "report_id": report["_id"], "unit": unit["_id"], "unit_name": unit["name"],
            "cluster": cluster["_id"], "cluster_name": cluster["name"], "period": period["_id"],
            "scores": report["scores"],
            "total": report["total"], "submitted_at": isoformat(now), "late": report["late"],
            "version": report["version"],
        }, self.correlation_id, occurred_at=now)

        def write(session):
            if self.db.reports.find_one({"unit": unit["_id"], "period": period["_id"]}, session=session):
                raise ReportExists(f"Unit {unit['_id']} already has a report for {period['_id']}.")
            self.db.reports.insert_one(report, session=session)
            audit.record(self.db, session, actor=actor, action="report.submit", entity="report",
                         entity_id=report["_id"], before=None, after=report,
                         correlation_id=self.correlation_id,
                         context={"unit": unit["_id"], "period": period["_id"], "event_id": event["id"]})
            outbox.record(self.db, session, event)

        in_transaction(self.db, write)
        return public(report)

    @rpc
    def get_report(self, report_id):
        return public(self.db.reports.find_one({"_id": report_id}))

    @rpc
    def list_units(self):
        return [public(u) for u in self.db.units.find().sort("_id")]

    @rpc
    def cluster_leaders(self, cluster_code):
        """People to tell about a cluster: provincial leaders, the standing office,
        and the leaders of the cluster's lead and deputy units."""
        cluster = self.db.clusters.find_one({"_id": cluster_code})
        if cluster is None:
            raise UnknownCluster(f"No cluster has the code {cluster_code!r}.")
        leading_units = [m["unit"] for m in cluster["members"] if m["role"] in CLUSTER_LEADING_MEMBER_ROLES]
        people = self.db.people.find({"$or": [
            {"role": {"$in": list(LEADER_ROLES)}},
            {"role": "unit_leader", "unit": {"$in": leading_units}},
        ]}).sort("_id")
        return [public(p) for p in people]

    @rpc
    def load_reference_data(self, data, actor):
        """Create or replace units, clusters, periods and people (administrator, demo loader).

        Idempotent: loading the same data twice changes nothing the second time.
        """
        collections = ("units", "clusters", "periods", "people")
        documents = {name: [store.from_json(name, d) for d in data.get(name, [])] for name in collections}

        def write(session):
            changed = {name: 0 for name in collections}
            for name in collections:
                for document in documents[name]:
                    before = self.db[name].find_one({"_id": document["_id"]}, session=session)
                    if before == document:
                        continue
                    self.db[name].replace_one({"_id": document["_id"]}, document, upsert=True, session=session)
                    audit.record(self.db, session, actor=actor, action=f"{name}.upsert", entity=name,
                                 entity_id=document["_id"], before=before, after=document,
                                 correlation_id=self.correlation_id)
                    changed[name] += 1
            return changed

        return in_transaction(self.db, write)

    @rpc
    def audit_trail(self, entity=None, entity_id=None, limit=100):
        query = {k: v for k, v in (("entity", entity), ("entity_id", entity_id)) if v is not None}
        return [public(a) for a in self.db.audit.find(query).sort("at", -1).limit(min(int(limit), 500))]

    @rpc
    def ping(self):
        self.db.command("ping")
        return {"service": self.name, "ok": True}
