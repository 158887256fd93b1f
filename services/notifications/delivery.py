"""The delivery loop's two steps for a queued notice (e-mail, webhook, any channel but the inbox):
claim the next one due (with a lease, so several replicas may run the loop), then hand it to its
channel and record the outcome and the attempt in one transaction. What the outcome is (sent,
due again after the backoff, failed for good) is :func:`rules.after_attempt`."""
from datetime import timedelta

from pymongo import ASCENDING, ReturnDocument

from services.notifications import channels, rules
from thidua.events import utcnow
from thidua.metrics import delivered

LEASE = timedelta(seconds=60)   # a claimed notice returns to the queue if its sender died


def claim(db):
    """The next notice due, marked as being sent (or None): one whose sender died with it first, then
    the earliest due. Two queries on the (status, next_attempt_at) index rather than one ``$or``,
    which some servers answer by reading every notice ever sent, every second."""
    now = utcnow()
    for due in ({"status": "SENDING", "claimed_until": {"$lt": now}},
                {"status": "PENDING", "next_attempt_at": {"$lte": now}}):
        claimed = db.outgoing.find_one_and_update(
            due, {"$set": {"status": "SENDING", "claimed_until": now + LEASE}},
            sort=[("next_attempt_at", ASCENDING)], return_document=ReturnDocument.AFTER)
        if claimed is not None:
            return claimed
    return None


def attempt(notice, db, config, delivery, uow):
    """Hand a claimed notice to its channel and record the outcome (``delivery``: the settings)."""
    channel = channels.for_notice(notice)
    try:
        channel.deliver(notice, config, db)
        error = None
    except channels.DeliveryFailed as exc:
        error = str(exc)
    number = notice["attempts"] + 1
    update = rules.after_attempt(number, error, delivery.max_attempts, delivery.backoff_seconds, utcnow())
    if update["status"] == "FAILED":
        channel.report_failure(notice, number, error)
    record = {"notice": notice["_id"], "channel": notice["channel"], "attempt": number, "at": utcnow(),
              "ok": error is None, "error": error}

    def outcome(tx):   # the notice's new state and its delivery log entry: one, both or neither
        db.outgoing.update_one({"_id": notice["_id"]}, {"$set": update, "$unset": {"claimed_until": ""}},
                               session=tx.session)
        tx.insert("deliveries", record)
    uow.as_actor("system:delivery").run(outcome)
    delivered(notice["channel"], notice.get("created_at"), utcnow(), error)
