"""The notifications service's metrics (thidua.metrics): notices waiting and failed per queued
channel, read from ``outgoing`` when Prometheus scrapes, and the delivery series created at zero
for every queued channel so their rates are defined before the first notice."""
from services.notifications import channels
from services.notifications.channels.base import Outgoing
from thidua.metrics import DELIVERY_ATTEMPTS, DELIVERY_SECONDS

WAITING = ("PENDING", "SENDING")


def queued_channels():
    return sorted(c.name for c in channels.REGISTRY if isinstance(c, Outgoing))


def by_channel(db, statuses, names):
    """``[((channel,), count), ...]`` of the notices in ``statuses``: every name of ``names``, and any
    other channel that still has some."""
    found = {row["_id"]: row["n"] for row in db.outgoing.aggregate([
        {"$match": {"status": {"$in": list(statuses)}}}, {"$group": {"_id": "$channel", "n": {"$sum": 1}}}])}
    return [((name,), found.get(name, 0)) for name in sorted(set(names) | set(found))]


def readings(container, db):
    names = queued_channels()
    for name in names:
        DELIVERY_SECONDS.labels(name)
        for outcome in ("delivered", "failed"):
            DELIVERY_ATTEMPTS.labels(name, outcome)
    key = f"notifications:{id(container)}"
    return [(f"{key}:pending", "thidua_notifications_pending", "Queued notices waiting for delivery", ("channel",),
             lambda: by_channel(db, WAITING, names)),
            (f"{key}:failed", "thidua_notifications_failed",
             "Notices that failed their last attempt, waiting for an administrator to retry them", ("channel",),
             lambda: by_channel(db, ("FAILED",), names))]
