"""The storage side of the deadline reminders: the runs notifications keeps (chair, deadline) and the
stages of reminders already done. What is due is ``rules.stage`` / ``rules.reminders`` (pure); the
service sends them.

A run is at a *stage* of reminders (``rules.stage``): the nearest offset whose time has come, or
``missed`` from its deadline on. A stage is done (``reminder_stages``, one document per run and
stage) once every one of its reminders is recorded, and a done stage costs no read of the run's
reports and no attempt at its reminders again: before, every reminder ever due was tried again every
minute, each an audience read and a transaction that found it sent.
"""
from pymongo import ReplaceOne

from services.notifications import rules
from thidua.mongo import find_in, once

IN_LIMIT = 100      # units named at most before unit_names reads every unit's name


def keep_runs(db, uow, runs):
    """Keep the runs' chairs and deadlines, writing only those that changed, in one command (``uow``:
    the service's, as its actor): every run written every minute was a write per cluster, however
    quiet the province."""
    kept = {run["_id"]: run for run in find_in(db.runs, "_id", [run["_id"] for run in runs])}
    changed = [ReplaceOne({"_id": run["_id"]}, run, upsert=True) for run in runs if kept.get(run["_id"]) != run]
    if changed:
        uow.run(lambda tx: tx.db.runs.bulk_write(changed, session=tx.session))


def done_stages(db, runs, now, offsets):
    """The stage keys among ``runs`` (reporting status entries) that are done, and the runs at a
    stage not done yet, as ``[cluster, period]`` pairs (what ``reporting_status(missing_for=)`` takes)."""
    stages = {rules.stage_key(entry, at): entry for entry in runs
              if (at := rules.stage(entry, now, offsets)) is not None}
    done = {d["_id"] for d in find_in(db.reminder_stages, "_id", sorted(stages), projection={"_id": 1})}
    return done, [[entry["cluster"], entry["period"]] for key, entry in stages.items() if key not in done]


def finish_stages(db, keys, now):
    """Every reminder of the stages ``keys`` is recorded: they are done, in one command."""
    if keys:
        db.reminder_stages.bulk_write([once(key, {"at": now}) for key in keys])


def unit_names(db, units):
    """``{unit: name}`` for ``units``, from the service's copy: by their ids (``find_in``) up to
    ``IN_LIMIT`` units, past it every unit's name in one read, which costs the embedded server
    less than the parts (every one of 5,100 units: 0.07 s; 1,000 ids in parts of 25: 0.16 s)."""
    if not units:
        return {}
    found = find_in(db.units, "_id", sorted(units), projection={"name": 1}) if len(units) <= IN_LIMIT \
        else db.units.find({}, {"name": 1})
    return {u["_id"]: u["name"] for u in found if u["_id"] in units}
