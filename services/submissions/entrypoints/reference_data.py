"""Reference data: criteria templates, periods and the bulk load of everything an
administrator keeps (templates, units, clusters, periods, people)."""
from services.submissions import reference
from services.submissions.domain import access, people
from services.submissions.domain.aggregate import Event
from services.submissions.domain.period import Period, Run
from services.submissions.entrypoints.common import LOST_RACE
from thidua.errors import Conflict, UnknownTemplate
from thidua.events import utcnow
from thidua.mongo import find_in, public
from thidua.rpc import rpc

# What other services keep a copy of: collection -> (event type, data field).
DIRECTORY_EVENTS = {"units": ("unit.upserted.v1", "unit"), "clusters": ("cluster.upserted.v1", "cluster"),
                    "people": ("person.upserted.v1", "person")}


def view(collection, document):
    """A reference document as the API and the directory events show it."""
    return public(people.without_account(document) if collection == "people" else document)


def stored(collection, clean, before, started=()):
    """The document to store for ``clean``, or ``None`` when it is already so (``started``: the
    clusters whose run of the period has left PLANNED)."""
    if collection == "periods":
        return Period.plan(clean, before, started)
    document = people.with_account_of(clean, before) if collection == "people" else clean
    return None if document == before else document


def template_body(document):
    return {k: v for k, v in document.items() if k not in ("_id", "version", "published_at")}


class ReferenceData:
    @rpc
    def load_reference_data(self, data):
        """Create or replace templates, units, clusters, periods and people in one go
        (administrator, demo loader), each checked as its own endpoint would. Idempotent:
        the same data twice changes nothing. Each cluster gets its run (PLANNED) of each period
        of its year; a run that has started keeps its state."""
        access.require_loader(self.caller.require())
        counts = {"templates": sum(self._publish(t, True) is not None for t in data.get("templates", []))}
        for name in ("units", "clusters", "periods", "people"):
            counts[name] = sum(self._upsert(name, self._clean_reference(name, p)) is not None
                               for p in data.get(name, []))
        return counts

    def _clean_reference(self, collection, payload):
        if collection == "units":
            return reference.unit(payload)
        if collection == "clusters":
            members = payload.get("members") if isinstance(payload.get("members"), list) else []
            named = [m.get("unit") for m in members if isinstance(m, dict)]
            return self._cluster_alone(reference.cluster(payload, self._units(named)))
        if collection == "periods":
            known = {(t["id"], t["version"]) for t in self.db.templates.find({}, {"id": 1, "version": 1})}
            return reference.period(payload, known)
        return reference.person(payload, self._units([payload.get("unit")]))

    def _cluster_alone(self, clean):
        """``clean`` unless one of its units is in another cluster of its level and year. Queries on the
        (year, members.unit) index for the members, a few at a time (``find_in``); the level and the
        cluster itself are told apart here: a query naming them too is read by scanning every cluster
        on some servers, once per member (a province's load took minutes)."""
        members = {member["unit"] for member in clean["members"]}
        for other in find_in(self.db.clusters, "members.unit", sorted(members), {"year": clean["year"]},
                             {"level": 1, "members.unit": 1}):
            if other["_id"] == clean["_id"] or other.get("level") != clean["level"]:
                continue
            unit = sorted(members & {m["unit"] for m in other["members"]})[0]
            raise Conflict(f"Unit {unit} is already in {other['_id']} for {clean['year']}: "
                           "a unit belongs to one cluster per level per year.")
        return clean

    def _units(self, named):
        """The known unit codes among ``named``: only those are looked up, so a bulk load of
        thousands of people stays linear."""
        codes = [code for code in named if isinstance(code, str)]
        return {u["_id"] for u in find_in(self.db.units, "_id", codes, projection={"_id": 1})}

    def _upsert(self, collection, clean):
        """Store a reference document with its audit entry and, for the directory, its event;
        ``None`` if it was already so (nothing is written, nothing is told)."""
        def work(tx):
            before = tx.find_one(collection, {"_id": clean["_id"]})
            document = stored(collection, clean, before, self._started(tx, collection, clean))
            if document is None:
                return None
            shown = view(collection, document)
            kind = DIRECTORY_EVENTS.get(collection)
            events = [Event(kind[0], {kind[1]: shown})] if kind else []
            context = {"period": clean["_id"]} if collection == "periods" else {}
            self._save(tx, collection, before, document, f"{collection}.upsert", collection, context, events)
            self._plan_runs(tx, collection, document)
            return shown
        return self.uow.run(work)

    @rpc
    def plan_period(self, payload):
        """Create a period, with a PLANNED run for each cluster of its year, or re-plan one whose
        runs have not opened yet."""
        access.require_period_manager(self.caller.require())
        clean = self._clean_reference("periods", payload)
        return self._upsert("periods", clean) or public(self.db.periods.find_one({"_id": clean["_id"]}))

    @rpc
    def publish_template(self, payload, idempotency_key=None):
        access.require_admin(self.caller.require(), "publish criteria templates")
        return self._publish(payload, False, idempotency_key)

    def _publish(self, payload, skip_if_same, idempotency_key=None):
        """A new immutable version of a criteria template; templates are never edited in place."""
        template = reference.template(payload)

        def work(tx):
            latest = tx.find_one("templates", {"id": template["id"]}, sort=[("version", -1)])
            if skip_if_same and latest is not None and template_body(latest) == template:
                return None
            version = (latest or {}).get("version", 0) + 1
            document = {**template, "_id": f"{template['id']}@{version}", "version": version,
                        "published_at": utcnow()}
            event = Event("template.published.v1", {"template": {**template_body(document), "version": version}})
            self._save(tx, "templates", None, document, "template.publish", "template", {}, [event])
            return public({k: v for k, v in document.items() if k != "_id"})
        return self.uow.run(work, idempotency_key=idempotency_key, request={"template": payload}, retry_on=LOST_RACE)

    @rpc
    def get_template(self, template_id, version=None):
        query = {"id": template_id} if version is None else {"id": template_id, "version": version}
        found = self.db.templates.find_one(query, sort=[("version", -1)], projection={"_id": False})
        if found is None:
            raise UnknownTemplate(f"No criteria template {template_id!r}" +
                                  (f" version {version}." if version else "."))
        return public(found)

    @rpc
    def list_periods(self):
        """The periods (calendar labels), each with its clusters' runs: ``runs: [{cluster, level,
        state, version}]``."""
        runs = {}
        for run in self.db.runs.find({}, {"cluster": 1, "period": 1, "level": 1, "state": 1, "version": 1}):
            runs.setdefault(run["period"], []).append({k: run[k] for k in ("cluster", "level", "state", "version")})
        return [public({**p, "runs": sorted(runs.get(p["_id"], []), key=lambda r: r["cluster"])})
                for p in self.db.periods.find().sort("_id")]

    def _started(self, tx, collection, clean):
        """The clusters whose run of the period being re-planned has left PLANNED."""
        if collection != "periods":
            return ()
        return [r["cluster"] for r in self.db.runs.find({"period": clean["_id"], "state": {"$ne": "PLANNED"}},
                                                        {"cluster": 1}, session=tx.session)]

    def _plan_runs(self, tx, collection, document):
        """A cluster's run of each period it takes part in: made when the period is planned (one per
        cluster of its year) or the cluster added for a year with planned periods; a re-planned
        period passes its new defaults to its runs that do not override them."""
        if collection == "periods":
            pairs = [(document, c) for c in self.db.clusters.find({"year": document["year"]}, session=tx.session)]
        elif collection == "clusters":
            pairs = [(p, document) for p in self.db.periods.find({"year": document["year"]}, session=tx.session)]
        else:
            return
        for period, cluster in pairs:
            before = tx.find_one("runs", {"_id": f"{cluster['_id']}:{period['_id']}"})
            after = Run.new(period, cluster) if before is None else Run(before).replanned(period)
            if after is not None:
                self._save(tx, "runs", before, after, "run.plan", "run",
                           {"period": period["_id"], "cluster": cluster["_id"]})
