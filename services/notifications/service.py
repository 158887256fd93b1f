"""The notifications service: tells the right people, once, what happened.

At this stage it writes in-app inbox entries for the cluster's leaders on every
submitted or resubmitted report and every ranking update; other events are consumed
and recorded as processed without a notice. Each entry's id is derived from
(event, person, channel), and the event is marked processed in the same
transaction, so a redelivered event never makes a second notice.
"""
import hashlib

from nameko.rpc import RpcProxy
from pymongo import ASCENDING, DESCENDING

from services.notifications import messages
from thidua import audit
from thidua.correlation import CorrelationId
from thidua.errors import ValidationFailed, rpc
from thidua.events import utcnow
from thidua.idempotency import once
from thidua.messaging import event_handler
from thidua.mongo import Mongo, public

CHANNEL = "inbox"
MAX_PAGE = 200


def ensure_indexes(db):
    db.inbox.create_index([("person", ASCENDING), ("created_at", DESCENDING)])
    db.inbox.create_index([("person", ASCENDING), ("read_at", ASCENDING)])
    audit.ensure_indexes(db)


def notice_id(event_id, person, channel):
    return hashlib.sha256(f"{event_id}|{person}|{channel}".encode()).hexdigest()[:32]


class NotificationsService:
    name = "notifications"

    db = Mongo(indexes=ensure_indexes)
    submissions = RpcProxy("submissions")
    correlation_id = CorrelationId()

    # Every submissions event comes here (routing key "#"): each may matter to someone, and
    # a bound queue for every event means the outbox never holds one back as unroutable.
    @event_handler("submissions", "#")
    def on_submissions_event(self, event):
        self._notify_leaders("notifications.on_submissions_event", event)

    @event_handler("ranking", "ranking.updated.v1")
    def on_ranking_updated(self, event):
        self._notify_leaders("notifications.on_ranking_updated", event)

    def _notify_leaders(self, consumer, event):
        rendered = messages.render(event)
        if rendered is None:
            return
        kind, title, body, link = rendered
        # Asked before the transaction: the transaction may run more than once.
        leaders = self.submissions.cluster_leaders(event["data"]["cluster"])
        now = utcnow()

        def deliver(session):
            for person in leaders:
                self.db.inbox.insert_one({
                    "_id": notice_id(event["id"], person["id"], CHANNEL), "person": person["id"],
                    "kind": kind, "title": title, "body": body, "link": link,
                    "event_id": event["id"], "event_type": event["type"],
                    "cluster": event["data"]["cluster"], "period": event["data"]["period"],
                    "created_at": now, "read_at": None, "correlation_id": event["correlation_id"],
                }, session=session)
            return len(leaders)

        once(self.db, consumer, event, deliver)

    @rpc
    def inbox(self, person, unread_only=False, limit=50):
        if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(f"limit must be a whole number from 1 to {MAX_PAGE}.")
        query = {"person": person}
        if unread_only:
            query["read_at"] = None
        cursor = self.db.inbox.find(query).sort([("created_at", DESCENDING), ("_id", ASCENDING)]).limit(limit)
        items = [public(notice) for notice in cursor]
        unread = self.db.inbox.count_documents({"person": person, "read_at": None})
        return {"person": person, "unread": unread, "items": items}

    @rpc
    def ping(self):
        self.db.command("ping")
        return {"service": self.name, "ok": True}
