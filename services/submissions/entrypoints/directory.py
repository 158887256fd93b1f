"""The directory: units, clusters and people (kept by an administrator, published as
``unit.upserted.v1``, ``cluster.upserted.v1``, ``person.upserted.v1``), who someone is to a
cluster (audiences for notices), the signed-in person, and who has not reported yet."""
from services.submissions import store
from services.submissions.domain import access, people
from services.submissions.entrypoints.reference_data import view
from thidua.errors import ValidationFailed
from thidua.events import isoformat
from thidua.mongo import public
from thidua.rpc import rpc

NO_ACCOUNT = {field: False for field in people.ACCOUNT_FIELDS}   # a projection: account fields never leave


class Directory:
    @rpc
    def upsert_unit(self, payload):
        return self._admin_upsert("units", payload, "change units")

    @rpc
    def upsert_cluster(self, payload):
        return self._admin_upsert("clusters", payload, "change clusters")

    @rpc
    def upsert_person(self, payload):
        return self._admin_upsert("people", payload, "change people")

    def _admin_upsert(self, collection, payload, what):
        access.require_admin(self.caller.require(), what)
        clean = self._clean_reference(collection, payload)
        return self._upsert(collection, clean) or view(collection, clean)

    @rpc
    def list_units(self):
        return [public(u) for u in self.db.units.find().sort("_id")]

    @rpc
    def get_cluster(self, cluster_code):
        return public(self._get("clusters", cluster_code))

    @rpc
    def list_clusters(self):
        return [public(c) for c in self.db.clusters.find().sort([("year", -1), ("_id", 1)])]

    @rpc
    def me(self):
        """The signed-in person (no secrets) and the clusters they take part in, newest year
        first, with their unit's role in each; people without a unit see every cluster."""
        caller = self.caller.require()
        person = self.db.people.find_one({"_id": caller.id}, NO_ACCOUNT) or {"_id": caller.id, "role": caller.role}
        unit = person.get("unit")
        # Without a unit, every cluster of every year, read without their members (no role to find).
        shown = {"name": 1, "year": 1, **({"members": 1} if unit else {})}
        clusters = [{"id": c["_id"], "name": c["name"], "year": c["year"],
                     "role": next((m["role"] for m in c.get("members", ()) if m["unit"] == unit), None)}
                    for c in self.db.clusters.find({"members.unit": unit} if unit else {}, shown)
                    .sort([("year", -1), ("_id", 1)])]
        return {**view("people", person), "clusters": clusters}

    @rpc
    def audience(self, who, cluster_code=None, unit=None):
        """People to tell, by who they are to a cluster (the notification rules' audiences):
        ``leaders`` (provincial leaders, the standing office, the lead and deputy units'
        leaders), ``cluster_lead`` (the lead and deputy units' leaders), ``unit`` (the
        unit's own people), ``members`` (the people of every member unit) or ``everyone``
        (all people with a unit, and the leaders)."""
        access.require_directory_reader(self.caller.require())   # every e-mail address of an audience
        if who not in access.AUDIENCES:
            raise ValidationFailed(f"Unknown audience {who!r}; use one of {', '.join(access.AUDIENCES)}.")
        if who == "unit":
            unit = self._get("units", unit)["_id"]
        cluster = None if who in ("unit", "everyone") else self._get("clusters", cluster_code)
        return [public(p) for p in self._people_in(access.audience_groups(who, cluster, unit), NO_ACCOUNT)]

    @rpc
    def reporting_status(self, missing_for=None):
        """For every cluster's run taking reports (OPEN or CLOSED) with a deadline: its deadline and
        chair, and the member units that have not handed in their report. ``missing_for``: the
        ``[cluster, period]`` pairs whose missing units are wanted; the other runs come with
        ``"missing": None`` and their reports are not read (None: every run's)."""
        return [{"cluster": run["cluster"], "cluster_name": cluster.get("name", run["cluster"]), "level": run["level"],
                 "period": run["period"], "label": run["label"], "deadline": isoformat(run["deadline"]),
                 "chair": run.get("chair"),
                 "missing": None if handed_in is None else
                 sorted(m["unit"] for m in cluster["members"] if m["unit"] not in handed_in)}
                for run, cluster, handed_in in store.taking_reports(self.db, {"deadline": {"$ne": None}},
                                                                    of=missing_for)]
