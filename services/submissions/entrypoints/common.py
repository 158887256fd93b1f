"""What every concern of the submissions service uses: reference look-ups with the domain's
"unknown" errors, and the envelope around an aggregate's events."""
import copy

from pymongo.errors import DuplicateKeyError

from services.submissions import store
from services.submissions.domain import access
from services.submissions.domain.period import run_id
from services.submissions.domain.report import Scope
from thidua.errors import NotAMember, UnknownCluster, UnknownPeriod, UnknownUnit
from thidua.events import new_event
from thidua.mongo import find_in, public

UNKNOWN = {"units": (UnknownUnit, ": use a unit code from /api/v1/units"),
           "periods": (UnknownPeriod, ", e.g. \"2021-Q1\" (see /api/v1/periods)"),
           "clusters": (UnknownCluster, "")}
# A lost race: a concurrent insert of the same key (a second report or vote, the same idempotency
# key); run again from a fresh read, the loser then gets the answer it should (exists, or the first).
LOST_RACE = (DuplicateKeyError,)


class Common:
    def _get(self, collection, code, tx=None):
        """A reference document by its code, or the domain's "unknown" error saying what to use."""
        return self._found(collection, code, tx.find_one(collection, {"_id": code}) if tx else
                           self.db[collection].find_one({"_id": code}))

    @staticmethod
    def _found(collection, code, found):
        """``found``, or the domain's "unknown" error saying what to use when it is None."""
        if found is None:
            error, hint = UNKNOWN[collection]
            raise error(f"No {error.__name__[len('Unknown'):].lower()} has the code {code!r}{hint}.")
        return found

    def _clusters(self):
        """A look-up of clusters by code, each read at most once."""
        known = {}

        def cluster(code):
            if code not in known:
                known[code] = self.db.clusters.find_one({"_id": code}) or {"_id": code, "members": []}
            return known[code]
        return cluster

    def _people_in(self, groups, projection=None):
        """The people of ``groups`` (``access.audience_groups``), sorted by id: each group read by one
        indexed field (its roles, or its units in short ``$in``s), never a query joining the two."""
        found = {}
        for roles, units in groups:
            read = self.db.people.find({"role": {"$in": list(roles)}}, projection) if units is None \
                else find_in(self.db.people, "unit", units, projection=projection)
            found.update((p["_id"], p) for p in read if access.in_groups(p, [(roles, units)]))
        return [found[key] for key in sorted(found)]

    def _scope(self, unit_code, period_code, tx=None):
        """What a report of ``unit_code`` for ``period_code`` is judged against: its cluster's run."""
        one = self._reader(tx)
        unit = self._found("units", unit_code, one("units", unit_code))
        period = self._found("periods", period_code, one("periods", period_code))
        cluster = one("cluster_of", (unit_code, period["year"]))
        if cluster is None:
            raise NotAMember(f"Unit {unit_code} belongs to no emulation cluster in {period['year']}.")
        run = one("runs", run_id(cluster["_id"], period_code)) or self._run(cluster["_id"], period_code, tx)
        template = store.template(self.db, run["template"]["id"], run["template"]["version"], tx and tx.session)
        return Scope(unit, run, cluster, template)

    def _reader(self, tx):
        """``one(collection, id)``: a document by its id (``"cluster_of"``, ``(unit, year)``: the unit's
        cluster of the year) or None; read in ``tx``, or else from what the process keeps
        (``store.KEPT``), as a copy: a report's rules may change what they are given. What is kept
        of a cluster is the cluster by its code, shared by its units, found from the year's members."""
        session = tx and tx.session

        def read(collection, key):
            if collection == "cluster_of":
                return store.cluster_of(self.db, *key, session)
            return self.db[collection].find_one({"_id": key}, session=session)
        if tx is not None:
            return read
        reads = self.remembered.reads()

        def kept(collection, key):
            if collection == "cluster_of":
                unit, year = key
                codes = reads.one(("clusters_of_year", year), lambda: store.clusters_of_year(self.db, year)).get(unit)
                if not codes:
                    return None
                if len(codes) == 1:     # else: one per level; which one is the direct read's answer
                    collection, key = "clusters", codes[0]
            found = reads.one((collection, key), lambda: read(collection, key))
            if collection == "clusters" and found is not None:
                reads.one(("members read", key), lambda: self._members_read(reads, found))
            return copy.deepcopy(found)
        return kept

    def _members_read(self, reads, cluster):
        """A cluster's units and their people, kept together the first time one of them hands in: at
        a deadline the units of a cluster hand in within minutes of one another, and each read its
        own unit and caller before (two commands a report; now two a cluster). True, once read."""
        units = [member["unit"] for member in cluster.get("members", [])]
        reads.each("units", units, lambda missing: {u["_id"]: u for u in find_in(self.db.units, "_id", missing)})
        for person in find_in(self.db.people, "unit", units, projection=store.CALLER):
            reads.keep(("people", person["_id"]), person)
        return True

    def _run(self, cluster_code, period_code, tx=None):
        """A cluster's run of a period, or the "unknown" error saying which exist."""
        key = {"_id": run_id(cluster_code, period_code)}
        found = tx.find_one("runs", key) if tx else self.db.runs.find_one(key)
        if found is None:
            self._get("periods", period_code, tx)
            self._get("clusters", cluster_code, tx)
            raise UnknownPeriod(f"{cluster_code} does not run {period_code}: a cluster runs the periods of its year "
                                f"(see /api/v1/periods/{period_code}/runs).")
        return found

    def _envelope(self, event):
        """An aggregate's event (type and data) as it goes out; moments written as ISO-8601."""
        return new_event(event.type, public(event.data), self.correlation_id)

    def _save(self, tx, collection, before, after, action, entity, context=None, events=()):
        """Write ``after`` (over ``before``, compare-and-set; or new) with its audit entry and events."""
        if before is None:
            tx.insert(collection, after)
        else:
            tx.replace(collection, before, after)
        tx.record(action, entity, after["_id"], before, after, context, [self._envelope(e) for e in events])
        return after
