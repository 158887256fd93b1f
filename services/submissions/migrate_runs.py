"""Turn periods that still carry a state (from when one state held for every cluster) into each
cluster's run of them, without dropping anything:

    MONGO_URI=mongodb://127.0.0.1:27027 .venv/bin/python -m services.submissions.migrate_runs

For each such period, in one transaction: a run per cluster of the period's year (its state, deadline
and template the period's; a run that exists already is kept as it is), then the period without its
state. Every write is audited as ``system:migrate-runs``. Idempotent: a second run finds no period
with a state and changes nothing. It writes to the submissions database (``SUBMISSIONS_DB``) directly;
no events are sent (nothing changes for the other services).
"""
import os
import sys
import uuid

from services.submissions.domain.period import Run, run_id
from thidua.mongo import client_for
from thidua.uow import UnitOfWork

ACTOR = "system:migrate-runs"


def migrate(db):
    """``{"periods": n, "runs": n}``: the periods migrated and the runs made."""
    uow = UnitOfWork(db, ACTOR, f"migrate-runs-{uuid.uuid4()}")
    counts = {"periods": 0, "runs": 0}
    for period in list(db.periods.find({"state": {"$exists": True}})):
        counts["runs"] += uow.run(lambda tx, period=period: _migrate_period(tx, period))
        counts["periods"] += 1
    return counts


def _migrate_period(tx, period):
    made = 0
    for cluster in tx.db.clusters.find({"year": period["year"]}, session=tx.session):
        if tx.find_one("runs", {"_id": run_id(cluster["_id"], period["_id"])}) is not None:
            continue
        run = {**Run.new(period, cluster), "state": period["state"]}
        tx.insert("runs", run)
        tx.record("run.migrate", "run", run["_id"], None, run, {"period": period["_id"], "cluster": cluster["_id"]})
        made += 1
    after = {k: v for k, v in period.items() if k != "state"}
    after["version"] = period.get("version", 0) + 1
    tx.replace("periods", period, after)
    tx.record("period.migrate", "periods", period["_id"], period, after, {"period": period["_id"]})
    return made


def main():
    uri = os.environ.get("MONGO_URI", "mongodb://127.0.0.1:27027/?retryWrites=false")
    counts = migrate(client_for(uri)[os.environ.get("SUBMISSIONS_DB", "thidua_submissions")])
    print(f"{counts['periods']} period(s) migrated, {counts['runs']} run(s) made")
    return 0


if __name__ == "__main__":
    sys.exit(main())
