"""The notifications service: the right people learn what matters, once.

Rules (``rules.py``) decide who hears of an event and how soon; texts come from the
Vietnamese templates (``messages.py``); notices go to the in-app inbox at once, and by
e-mail and signed webhook through a delivery loop that retries with exponential
backoff and, after the last attempt, marks the notice failed for an administrator to
retry. Each notice's id is derived from (event, recipient, channel), and the event is
marked processed in the same transaction, so a redelivered event makes no second
notice. Deadline reminders run on a timer and are keyed per unit and offset, so a
restart never repeats one.
"""
import hashlib
import logging
from datetime import datetime, timedelta

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from nameko.timer import timer
from pymongo import ASCENDING, DESCENDING, ReturnDocument

from services.notifications import channels, messages, rules
from thidua import audit
from thidua.correlation import CorrelationId
from thidua.errors import Forbidden, Problems, UnknownNotice, ValidationFailed
from thidua.events import utcnow
from thidua.idempotency import once
from thidua.messaging import event_handler
from thidua.mongo import Mongo, in_transaction, public
from thidua.rpc import rpc
from thidua.settings import Delivery

log = logging.getLogger(__name__)
MAX_PAGE = 200
LEASE = timedelta(seconds=60)   # a claimed notice returns to the queue if its sender died


def ensure_indexes(db):
    db.inbox.create_index([("person", ASCENDING), ("created_at", DESCENDING)])
    db.inbox.create_index([("person", ASCENDING), ("read_at", ASCENDING)])
    db.outgoing.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
    db.deliveries.create_index([("notice", ASCENDING), ("at", ASCENDING)])
    db.digest_items.create_index([("person", ASCENDING), ("sent_at", ASCENDING)])
    audit.ensure_indexes(db)


def notice_id(key, recipient, channel):
    return hashlib.sha256(f"{key}|{recipient}|{channel}".encode()).hexdigest()[:32]


class NotificationsService:
    name = "notifications"

    db = Mongo(indexes=ensure_indexes)
    submissions = RpcProxy("submissions")
    correlation_id = CorrelationId()
    config = Config()

    # --- events ---------------------------------------------------------------------

    # Every submissions event comes here (routing key "#"): each may matter to someone, and
    # a bound queue for every event means the outbox never holds one back as unroutable.
    @event_handler("submissions", "#")
    def on_submissions_event(self, event):
        self._on_event("notifications.on_submissions_event", event)

    @event_handler("ranking", "ranking.updated.v1")
    def on_ranking_updated(self, event):
        self._on_event("notifications.on_ranking_updated", event)

    def _on_event(self, consumer, event):
        decision = rules.decide(event)
        if decision is None:
            return
        kind, audience, when = decision
        data = event["data"]
        # Asked before the transaction: the transaction may run more than once.
        people = self.submissions.audience(audience, data.get("cluster"), data.get("unit"))
        context = self._context(people)
        once(self.db, consumer, event, lambda session: self._record(
            session, kind, data, people, when, event["id"], event["correlation_id"], context))

    def _context(self, people):
        """What the recording needs that lives outside the transaction: preferences and webhooks."""
        preferences = {p["_id"]: p for p in self.db.preferences.find({"_id": {"$in": [p["id"] for p in people]}})}
        return {"preferences": preferences, "webhooks": list(self.db.webhooks.find()),
                "email": channels.Smtp(self.config).enabled, "now": utcnow()}

    def _record(self, session, kind, data, people, when, key, correlation_id, context):
        """Write every notice of one happening: inbox entries (or digest items), e-mails, webhooks."""
        now = context["now"]
        if when == rules.DIGEST:
            title, body, _ = messages.inbox(kind, data)
            for person in people:
                self.db.digest_items.update_one(
                    {"_id": notice_id(key, person["id"], "digest")},
                    {"$setOnInsert": {"person": person["id"], "line": body, "event_id": key, "created_at": now,
                                      "sent_at": None}}, upsert=True, session=session)
            return
        title, body, path = messages.inbox(kind, data)
        for person in people:
            self.db.inbox.update_one({"_id": notice_id(key, person["id"], "inbox")}, {"$setOnInsert": {
                "person": person["id"], "kind": kind, "title": title, "body": body, "link": path,
                "event_id": key, "cluster": data.get("cluster"), "period": data.get("period"),
                "created_at": now, "read_at": None, "correlation_id": correlation_id}},
                upsert=True, session=session)
            preference = context["preferences"].get(person["id"], {})
            if context["email"] and person.get("email") and preference.get("email", True) \
                    and kind not in preference.get("muted", []):
                subject, text = messages.email(kind, data, person["name"], Delivery.of(self.config).public_url)
                self._queue(session, notice_id(key, person["id"], "email"), "email", kind, key, now,
                            {"person": person["id"], "to": person["email"], "to_name": person["name"],
                             "subject": subject, "text": text})
        for hook in context["webhooks"]:
            if "*" in hook["kinds"] or kind in hook["kinds"]:
                self._queue(session, notice_id(key, f"webhook:{hook['_id']}", "webhook"), "webhook", kind, key,
                            now, {"webhook": hook["_id"], "to": hook["url"],
                                  "payload": messages.webhook(kind, data, key)})

    def _queue(self, session, notice, channel, kind, key, now, fields):
        self.db.outgoing.update_one({"_id": notice}, {"$setOnInsert": {
            **fields, "channel": channel, "kind": kind, "event_id": key, "status": "PENDING", "attempts": 0,
            "next_attempt_at": now, "created_at": now, "last_error": None}}, upsert=True, session=session)

    # --- delivery ---------------------------------------------------------------------

    @timer(interval=1)
    def deliver_on_timer(self):
        self.deliver_pending()

    @rpc
    def deliver_pending(self, limit=100):
        """Send what is due; returns how many notices were attempted."""
        smtp = channels.Smtp(self.config)
        delivery = Delivery.of(self.config)
        max_attempts, base = delivery.max_attempts, delivery.backoff_seconds
        attempted = 0
        while attempted < limit:
            now = utcnow()
            notice = self.db.outgoing.find_one_and_update(
                {"$or": [{"status": "PENDING", "next_attempt_at": {"$lte": now}},
                         {"status": "SENDING", "claimed_until": {"$lt": now}}]},
                {"$set": {"status": "SENDING", "claimed_until": now + LEASE}},
                sort=[("next_attempt_at", ASCENDING)], return_document=ReturnDocument.AFTER)
            if notice is None:
                return attempted
            attempted += 1
            error = self._send(notice, smtp)
            attempt = notice["attempts"] + 1
            if error is None:
                update = {"status": "SENT", "sent_at": utcnow(), "last_error": None}
            elif attempt >= max_attempts:
                update = {"status": "FAILED", "failed_at": utcnow(), "last_error": error}
                log.error("notice %s (%s to %s) failed %s times: %s", notice["_id"], notice["channel"],
                          notice["to"], attempt, error)
            else:
                update = {"status": "PENDING", "last_error": error,
                          "next_attempt_at": utcnow() + timedelta(seconds=rules.backoff_seconds(attempt, base))}
            self.db.outgoing.update_one({"_id": notice["_id"]}, {"$set": {**update, "attempts": attempt},
                                                                 "$unset": {"claimed_until": ""}})
            self.db.deliveries.insert_one({"notice": notice["_id"], "channel": notice["channel"],
                                           "attempt": attempt, "at": utcnow(), "ok": error is None, "error": error})
        return attempted

    def _send(self, notice, smtp):
        try:
            if notice["channel"] == "email":
                if not smtp.enabled:
                    raise channels.DeliveryFailed("no SMTP server is configured (SMTP_HOST)")
                smtp.send(notice["to"], notice["to_name"], notice["subject"], notice["text"], notice["_id"])
            else:
                hook = self.db.webhooks.find_one({"_id": notice["webhook"]})
                if hook is None:
                    raise channels.DeliveryFailed("the webhook subscription no longer exists")
                channels.post_webhook(hook["url"], hook["secret"], notice["payload"],
                                      Delivery.of(self.config).webhook_timeout)
        except channels.DeliveryFailed as exc:
            return str(exc)
        return None

    # --- reminders and digests -----------------------------------------------------------

    @timer(interval=60)
    def reminders_on_timer(self):
        self.run_reminders()
        self.send_digests()

    @rpc
    def run_reminders(self, now=None):
        """Send the deadline reminders that are due at ``now`` (ISO-8601; default: the clock),
        each one once, whatever restarts happen. Returns the keys of those sent now."""
        now = datetime.fromisoformat(now.replace("Z", "+00:00")) if now else utcnow()
        offsets = list(Delivery.of(self.config).reminder_offsets_hours)
        sent = []
        due = list(rules.due_reminders(self.submissions.reporting_status(), now, offsets))
        units = {u["id"]: u["name"] for u in self.submissions.list_units()} if due else {}
        for kind, key, cluster, unit, hours, entry in due:
            people = self.submissions.audience("unit" if unit else "cluster_lead", cluster, unit)
            data = {**entry, "unit": unit, "unit_name": units.get(unit, unit), "offset_hours": hours,
                    "missing_names": [units.get(u, u) for u in entry["missing"]]}
            context = self._context(people)
            applied, _ = once(self.db, "notifications.reminders", {"id": key, "type": kind},
                              lambda session: self._record(session, kind, data, people, rules.NOW, key,
                                                           self.correlation_id, context))
            if applied:
                sent.append(key)
        return sent

    @rpc
    def send_digests(self, now=None, older_than_seconds=None):
        """One digest notice per person for the ranking updates that waited long enough."""
        now = utcnow() if now is None else now
        age = float(older_than_seconds if older_than_seconds is not None
                    else Delivery.of(self.config).digest_interval_seconds)
        sent = 0
        for person in self.db.digest_items.distinct("person", {"sent_at": None}):
            items = list(self.db.digest_items.find({"person": person, "sent_at": None}).sort("created_at", 1))
            if not items or (now - items[0]["created_at"]).total_seconds() < age:
                continue
            key = notice_id("digest", person, items[0]["_id"])
            data = {"count": len(items), "lines": "\n".join(f"• {i['line']}" for i in items)}
            title, body, _ = messages.inbox("digest", data)

            def write(session, items=items, person=person, key=key, title=title, body=body):
                self.db.inbox.update_one({"_id": notice_id(key, person, "inbox")}, {"$setOnInsert": {
                    "person": person, "kind": "digest", "title": title, "body": body, "link": "/api/v1/periods",
                    "event_id": key, "created_at": now, "read_at": None, "correlation_id": self.correlation_id}},
                    upsert=True, session=session)
                self.db.digest_items.update_many({"_id": {"$in": [i["_id"] for i in items]}},
                                                 {"$set": {"sent_at": now}}, session=session)
            in_transaction(self.db, write)
            sent += 1
        return sent

    # --- the inbox and preferences -----------------------------------------------------------

    def _person(self, actor):
        return self.submissions.whois(actor)

    def _require_self_or_admin(self, actor, person):
        me = self._person(actor)
        if me["id"] != person and me["role"] != "administrator":
            raise Forbidden("Only the person themself (or an administrator) may do this.")
        return me

    @rpc
    def inbox(self, person, unread_only=False, limit=50, actor=None):
        """A person's notices: theirs alone to read (or an administrator's). Without ``actor``
        (an internal call from another service or a test) the check is the caller's business."""
        if actor is not None:
            self._require_self_or_admin(actor, person)
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
    def mark_read(self, person, notice, actor):
        me = self._require_self_or_admin(actor, person)

        def write(session):
            before = self.db.inbox.find_one({"_id": notice, "person": person}, session=session)
            if before is None:
                raise UnknownNotice(f"{person} has no notice {notice!r}.")
            if before["read_at"] is None:
                after = {**before, "read_at": utcnow()}
                self.db.inbox.replace_one({"_id": notice}, after, session=session)
                audit.record(self.db, session, actor=me["id"], action="notice.read", entity="notice",
                             entity_id=notice, before=before, after=after, correlation_id=self.correlation_id)
        in_transaction(self.db, write)
        return {"person": person, "unread": self.db.inbox.count_documents({"person": person, "read_at": None})}

    @rpc
    def get_preferences(self, person, actor):
        self._require_self_or_admin(actor, person)
        found = self.db.preferences.find_one({"_id": person}) or {"_id": person}
        return {"person": person, "email": found.get("email", True), "muted": found.get("muted", []),
                "language": found.get("language", "vi"), "languages": list(messages.LANGUAGES)}

    @rpc
    def set_preferences(self, person, payload, actor):
        me = self._require_self_or_admin(actor, person)
        if not isinstance(payload, dict):
            raise ValidationFailed("Preferences are a JSON object: {email, muted, language}.")
        problems = Problems()
        for key in sorted(set(payload) - {"email", "muted", "language"}):
            problems.add(key, "unknown field")
        if "email" in payload and not isinstance(payload["email"], bool):
            problems.add("email", "true or false")
        muted = payload.get("muted", [])
        if not isinstance(muted, list) or any(k not in messages.TEMPLATES for k in muted):
            problems.add("muted", f"a list of kinds among {', '.join(sorted(messages.TEMPLATES))}")
        if not isinstance(payload.get("language", "vi"), str) or len(payload.get("language", "vi")) > 10:
            problems.add("language", "a language code such as vi")
        problems.raise_if_any("The preferences")

        def write(session):
            before = self.db.preferences.find_one({"_id": person}, session=session)
            after = {**(before or {"_id": person}), **payload}
            self.db.preferences.replace_one({"_id": person}, after, upsert=True, session=session)
            audit.record(self.db, session, actor=me["id"], action="preferences.set", entity="preferences",
                         entity_id=person, before=before, after=after, correlation_id=self.correlation_id)
        in_transaction(self.db, write)
        return self.get_preferences(person, actor)

    # --- administration: webhooks, failed notices -----------------------------------------------

    def _require_admin(self, actor):
        me = self._person(actor)
        if me["role"] != "administrator":
            raise Forbidden("Only an administrator may do this.")
        return me

    @rpc
    def add_webhook(self, payload, actor):
        me = self._require_admin(actor)
        if not isinstance(payload, dict):
            raise ValidationFailed("A webhook is a JSON object: {url, secret, kinds}.")
        problems = Problems()
        url, secret, kinds = payload.get("url"), payload.get("secret"), payload.get("kinds", ["*"])
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
            problems.add("url", "an http:// or https:// address")
        if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
            problems.add("secret", "16 to 200 characters, shared with the receiver to check the signature")
        if not isinstance(kinds, list) or any(k != "*" and k not in messages.TEMPLATES for k in kinds):
            problems.add("kinds", f"a list of kinds among {', '.join(sorted(messages.TEMPLATES))}, or [\"*\"]")
        for key in sorted(set(payload) - {"url", "secret", "kinds"}):
            problems.add(key, "unknown field")
        problems.raise_if_any("The webhook")
        hook = {"_id": hashlib.sha256(url.encode()).hexdigest()[:16], "url": url, "secret": secret, "kinds": kinds}

        def write(session):
            before = self.db.webhooks.find_one({"_id": hook["_id"]}, session=session)
            self.db.webhooks.replace_one({"_id": hook["_id"]}, hook, upsert=True, session=session)
            audit.record(self.db, session, actor=me["id"], action="webhook.set", entity="webhook",
                         entity_id=hook["_id"], before=before, after=hook, correlation_id=self.correlation_id)
        in_transaction(self.db, write)
        return {"id": hook["_id"], "url": url, "kinds": kinds}

    @rpc
    def failed_notices(self, actor):
        self._require_admin(actor)
        return [public(n) for n in self.db.outgoing.find({"status": "FAILED"}).sort("failed_at", DESCENDING)]

    @rpc
    def notice_deliveries(self, notice, actor):
        self._require_admin(actor)
        return [public(d) for d in self.db.deliveries.find({"notice": notice}, {"_id": 0}).sort("at", ASCENDING)]

    @rpc
    def retry_notice(self, notice, actor):
        """An administrator sends a failed notice again (after fixing the mail server, say)."""
        me = self._require_admin(actor)

        def write(session):
            before = self.db.outgoing.find_one({"_id": notice}, session=session)
            if before is None:
                raise UnknownNotice(f"No notice has the id {notice!r}.")
            if before["status"] != "FAILED":
                raise ValidationFailed(f"Notice {notice} is {before['status']}; only a FAILED one is retried.")
            after = {**before, "status": "PENDING", "attempts": 0, "next_attempt_at": utcnow()}
            self.db.outgoing.replace_one({"_id": notice}, after, session=session)
            audit.record(self.db, session, actor=me["id"], action="notice.retry", entity="notice",
                         entity_id=notice, before=before, after=after, correlation_id=self.correlation_id)
            return public(after)
        return in_transaction(self.db, write)

    @rpc
    def audit_trail(self, unit=None, period=None, actor=None, entity=None, entity_id=None, limit=100):
        return audit.query(self.db, unit, period, actor, entity, entity_id, limit)

    @rpc
    def ping(self):
        self.db.command("ping")
        return {"service": self.name, "ok": True}
