"""The notifications service: the right people learn what matters, once.

The rules table (``rules.py``) decides who hears of an event and how soon; the audience is
computed from the service's own copy of the directory (``directory.py``, filled by the
``unit``/``cluster``/``person.upserted`` events); each person's preferences
(``preferences.py``) choose the channels per kind; every registered channel (``channels/``)
makes its notices. The inbox is written at once; e-mails, webhooks and any other queued
channel go through a delivery loop that retries with exponential backoff and, after the
last attempt, marks the notice failed for an administrator to retry. Each notice's id is
derived from (event, recipient, channel), and the event is marked processed in the same
transaction (one unit of work), so a redelivered event makes no second notice. Deadline
reminders run on a timer and are keyed per unit and offset, so a restart never repeats one.
"""
import hashlib
import logging
from datetime import timedelta
from nameko.dependency_providers import Config
from nameko.timer import timer
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import OperationFailure

from services.notifications import (audiences, channels, copies, delivery, directory, gauges, messages,
                                    preferences, reminders, rules, unread)
from services.notifications.channels import Happening, webhook
from thidua import audit, kept, paging
from thidua.caller import CallerProvider, Forward, as_system, ask_submissions
from thidua.correlation import CorrelationId
from thidua.errors import Forbidden, UnknownNotice
from thidua.events import isoformat, utcnow
from thidua.messaging import event_handler
from thidua.metrics import Metrics
from thidua.mongo import Mongo, once, public, replace_unless_newer, update_in
from thidua import rpc as shared_rpc
from thidua.rpc import rpc
from thidua.security import StartupChecks
from thidua.settings import SettingsProvider
from thidua.uow import Work

log = logging.getLogger(__name__)
MAX_PAGE = 200
INBOX_ORDER = [("created_at", DESCENDING), ("_id", ASCENDING)]
FAILED_ORDER = [("failed_at", DESCENDING), ("_id", ASCENDING)]
SYSTEM = "system:notifications"
OBSOLETE_INBOX_INDEX = "person_1_read_at_1"
NOTHING_TO_DROP = (26, 27)    # NamespaceNotFound (no inbox yet), IndexNotFound


def ensure_indexes(db):
    db.inbox.create_index([("person", ASCENDING), ("created_at", DESCENDING)])
    # The unread page in slices of age (thidua.paging): on (person, read_at) alone the embedded server
    # read all of a person's unread notices for each slice (0.53 s for a leader's 13,333), on this 7 ms.
    db.inbox.create_index([("person", ASCENDING), ("read_at", ASCENDING), ("created_at", DESCENDING)])
    # The index it replaced: a database from before keeps it, and every inbox write kept it up for nothing.
    try:
        db.inbox.drop_index(OBSOLETE_INBOX_INDEX)
    except OperationFailure as gone:    # a database without it, or another replica dropped it first
        if gone.code not in NOTHING_TO_DROP:
            raise
    db.outgoing.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
    db.deliveries.create_index([("notice", ASCENDING), ("at", ASCENDING)])
    db.digest_items.create_index([("person", ASCENDING), ("sent_at", ASCENDING)])
    db.people.create_index([("role", ASCENDING)])
    db.people.create_index([("unit", ASCENDING)])
    db.digest_items.create_index([("sent_at", ASCENDING), ("created_at", ASCENDING)])
    kept.ensure(db)
    audit.ensure_indexes(db)


def notice_id(key, recipient, channel):
    return hashlib.sha256(f"{key}|{recipient}|{channel}".encode()).hexdigest()[:32]


def put(tx, collection, before, after):
    """Store ``after`` where ``before`` was (or nothing was), in the transaction."""
    return tx.insert(collection, after) if before is None else tx.replace(collection, before, after)


class NotificationsService(shared_rpc.Operations):
    name = "notifications"

    db = Mongo(indexes=ensure_indexes)
    # The copy of the directory, the preferences and the webhooks, kept while unchanged (thidua.kept):
    # each event reads one set of counters instead of its cluster, people, preferences and webhooks.
    remembered = kept.KeptReads()
    submissions = shared_rpc.TimedRpcProxy("submissions")
    correlation_id = CorrelationId()
    config = Config()
    settings = SettingsProvider()   # read once at start, like the gateway's
    caller = CallerProvider(ask_submissions)
    forward_caller = Forward()   # the timers call as the service itself (a service token)
    uow = Work()
    startup_checks = StartupChecks(events=True)
    metrics = Metrics(gauges.readings)   # /metrics on METRICS_PORT

    # --- events ---------------------------------------------------------------------

    # Every submissions event comes here (routing key "#"): each may matter to someone, and
    # a bound queue for every event means the outbox never holds one back as unroutable.
    @event_handler("submissions", "#")
    def on_submissions_event(self, event):
        if event["type"] in directory.EVENTS:
            self._copy(event)
        else:
            self._on_event("notifications.on_submissions_event", event)

    @event_handler("ranking", "ranking.updated.v1")
    def on_ranking_updated(self, event):
        self._on_event("notifications.on_ranking_updated", event)

    def _copy(self, event):
        """Keep the newest copy of a unit, cluster or person (a late, older event changes nothing)."""
        collection, document = directory.copy_of(event)

        # Not audited here: the change is audited where it happens (submissions); the copy keeps
        # the id of the event it came from.
        self.uow.as_actor(SYSTEM).run(lambda tx: self._keep(tx, collection, document, marked=True))

    @staticmethod
    def _keep(tx, collection, document, marked=False):
        """Store ``document`` unless the copy holds a newer one; ``marked`` for a collection whose
        reads are kept (thidua.kept)."""
        replace_unless_newer(tx.db[collection], document, directory.NEWER, tx.session)
        if marked:
            kept.mark(tx.db, tx.session, (collection, document["_id"]))

    @rpc
    def refill_directory(self):
        """Fill the copy of the directory from submissions (an operator tool or an administrator),
        for a database that ran before the directory events existed. Everyone notifications can
        tell is in the ``everyone`` audience. Returns the counts."""
        self._operator()
        shown = {"units": self.submissions.list_units(), "clusters": self.submissions.list_clusters(),
                 "people": self.submissions.audience("everyone")}
        return self.uow.run(lambda tx: self._refill(tx, shown, isoformat(utcnow())))

    @staticmethod
    def _refill(tx, shown, at):
        for collection, documents in shown.items():
            for document in documents:
                NotificationsService._keep(tx, collection, directory.stored(document, at))
        kept.mark(tx.db, tx.session, "refill")
        counts = {name: len(documents) for name, documents in shown.items()}
        tx.record("directory.refill", "directory", "all", None, counts)
        return counts

    def _on_event(self, consumer, event):
        decided = rules.decide(event)
        if not decided:
            return   # nobody needs to hear of it: nothing to read, nothing to write
        # What a notice names from the own copies is read only for notices told at once: a digest
        # item names what its own ranking event carries (most ranking versions, in a burst).
        told_now = [(kind, audience) for kind, audience, when in decided if when != rules.DIGEST]
        data = self._facts(event["data"], told_now) if told_now else dict(event["data"])
        now, reads = utcnow(), self.remembered.reads()
        told = [(Happening(kind, data, rules.happening_key(event["id"], index, kind), event["correlation_id"], now),
                 copies.audience(self.db, reads, audience, data.get("cluster"), data.get("unit"), data.get("chair")),
                 when)
                for index, (kind, audience, when) in enumerate(decided)]
        standing = event["type"].startswith("ranking.updated.") and messages.standing(data, event["occurred_at"])
        self._record(told, reads, processed=(consumer, event), also=standing and (lambda tx: self._keep(
            tx, "standings", standing)))

    def _facts(self, data, told):
        """The event's data and what its notices (``[(kind, audience)]``) name from the own copies: the
        leading unit (the latest ranking seen; only the results notices name it without a table of
        their own), the run's chair and deadline (the reporting status seen; only for a notice that
        names the deadline or reaches the chair: a report handed in on time needs neither), who
        concluded or reopened."""
        key = f"{data.get('cluster')}|{data.get('period')}"
        by = (data.get("conclusion") or {}).get("by") or data.get("by")
        names_leader = "table" not in data and any(kind.startswith("results.") for kind, _ in told)
        names_run = any(messages.names_deadline(kind) or audiences.reaches_chair(who) for kind, who in told)
        return messages.enriched(data, self.db.standings.find_one({"_id": key}) if names_leader else None,
                                 self.db.runs.find_one({"_id": key}) if names_run else None,
                                 self.db.people.find_one({"_id": by}, {"name": 1}) if by else None)

    def _record(self, told, reads, processed=None, also=None):
        """Write every notice of ``told`` (``[(happening, people, when)]``) through every enabled
        channel the people chose, in one transaction (with ``also(tx)``, if given); what it reads
        (preferences, what a channel loads) comes from ``reads`` (``self.remembered.reads()``)."""
        # Only notices told at once go through the channels; digest items wait in their own collection.
        immediate = [people for _, people, when in told if when != rules.DIGEST]
        enabled = channels.REGISTRY.enabled(self.config) if immediate else []
        loaded = copies.loaded(self.db, reads, enabled)
        ids = list({p["id"] for people in immediate for p in people})
        personal = channels.REGISTRY.personal()
        chosen = {person: preferences.effective(p, personal)
                  for person, p in copies.preferences(self.db, reads, ids).items() if p is not None}
        default = preferences.effective(None, personal)

        def reached(channel, happening, people):
            if not channel.personal:
                return people
            return [p for p in people if channel.name in
                    chosen.get(p["id"], default).get(happening.kind, rules.default_channels(happening.kind))]

        def work(tx):
            writes = {}    # collection -> its notices (id, document), written in one command
            for happening, people, when in told:
                if when == rules.DIGEST:
                    item = messages.digest_item(happening.data)
                    writes.setdefault("digest_items", []).extend((notice_id(happening.key, p["id"], "digest"), {
                        "person": p["id"], **item, "event_id": happening.key, "created_at": happening.now,
                        "sent_at": None}) for p in people)
                    continue
                for channel in enabled:
                    for recipient, fields in channel.notices(happening, reached(channel, happening, people),
                                                             loaded[channel.name], self.config):
                        collection, document = channel.stored(happening, fields)
                        writes.setdefault(collection, []).append(
                            (notice_id(happening.key, recipient, channel.name), document))
            for collection, notices in writes.items():
                written = tx.db[collection].bulk_write([once(*notice) for notice in notices], session=tx.session)
                unread.added(tx, collection, [notices[i][1] for i in written.upserted_ids])
            return also(tx) if also else None
        return self.uow.as_actor(SYSTEM).run(work, processed=processed)

    # --- delivery ---------------------------------------------------------------------

    @timer(interval=1)
    def deliver_on_timer(self):
        self._deliver(100)

    @rpc
    def deliver_pending(self, limit=100):
        """Send what is due by the service's own clock (anyone may hurry it: nothing is sent early,
        nothing is shown); returns how many notices were attempted."""
        return self._deliver(limit)

    def _deliver(self, limit):
        attempted = 0
        while attempted < limit and (notice := delivery.claim(self.db)) is not None:
            delivery.attempt(notice, self.db, self.config, self.settings.delivery, self.uow)
            attempted += 1
        return attempted

    # --- reminders and digests -----------------------------------------------------------

    @timer(interval=60)
    def reminders_on_timer(self):
        self.forward_caller(as_system("notifications", self.config, ttl_seconds=60))
        self._run_reminders()
        self._send_digests(utcnow(), None)

    @rpc
    def run_reminders(self):
        """Send the deadline reminders due now (an operator tool or an administrator; the clock is
        the service's, never the caller's, so nobody can send them early and mark them sent),
        each one once, whatever restarts happen. Returns the keys of those sent now."""
        self._operator()
        return self._run_reminders()

    def _run_reminders(self):
        """Which units handed in is the submissions service's (reports, and runs with their
        deadlines): asked once a minute, not per event, and only for the runs at a stage of
        reminders not done yet (``reminders.py``). Unit names come from the own copy."""
        now = utcnow()
        offsets = list(self.settings.delivery.reminder_offsets_hours)
        runs = self.submissions.reporting_status(missing_for=[])
        reminders.keep_runs(self.db, self.uow.as_actor(SYSTEM), rules.runs(runs))
        done, waiting = reminders.done_stages(self.db, runs, now, offsets)
        if not waiting:
            return []
        entries = [(entry, at) for entry in self.submissions.reporting_status(missing_for=waiting)
                   if entry["missing"] is not None and (at := rules.stage(entry, now, offsets)) is not None
                   and rules.stage_key(entry, at) not in done]
        names = reminders.unit_names(self.db, {unit for entry, _ in entries for unit in entry["missing"]})
        sent, finished, reads = [], [], self.remembered.reads()
        for entry, at in entries:
            outcomes = [(reminder[1], self._remind(*reminder, names, reads)) for reminder in rules.reminders(entry, at)]
            sent += [key for key, outcome in outcomes if outcome]
            if all(outcome is not None for _, outcome in outcomes):
                finished.append(rules.stage_key(entry, at))
        reminders.finish_stages(self.db, finished, now)
        return sent

    def _remind(self, kind, key, cluster, unit, hours, entry, names, reads):
        """Record one reminder unless it was already sent: whether it was sent now, or None when it
        waits for the directory (its stage is then not done, and the next minute tries again)."""
        data = {**entry, "unit": unit, "unit_name": names.get(unit, unit), "offset_hours": hours,
                "missing_names": [names.get(u, u) for u in entry["missing"]]}
        try:
            people = copies.audience(self.db, reads, "unit" if unit else "lead_office_chair", cluster, unit,
                                     entry.get("chair"))
        except directory.NotInDirectory as exc:
            log.warning("reminder %s waits: %s", key, exc)   # tried again on the next run
            return None
        applied, _ = self._record([(Happening(kind, data, key, self.correlation_id, utcnow()), people, rules.NOW)],
                                  reads, processed=("notifications.reminders", {"id": key, "type": kind}))
        return applied

    @rpc
    def send_digests(self, now=None, older_than_seconds=None):
        """One digest notice per person for the ranking updates that waited long enough (an
        operator tool or an administrator)."""
        self._operator()
        return self._send_digests(utcnow() if now is None else now, older_than_seconds)

    def _send_digests(self, now, older_than_seconds):
        age = float(older_than_seconds if older_than_seconds is not None
                    else self.settings.delivery.digest_interval_seconds)
        cut = now - timedelta(seconds=age)      # only who has an update that waited long enough (docs/notifications.md)
        due = self.db.digest_items.distinct("person", {"sent_at": None, "created_at": {"$lte": cut}})
        reads = self.remembered.reads() if due else None
        return sum(self._digest(person, now, reads) for person in due)

    def _digest(self, person, now, reads):
        """Send ``person`` (who is due) one digest of all their waiting updates; whether one was sent."""
        items = list(self.db.digest_items.find({"person": person, "sent_at": None}).sort("created_at", 1))
        if not items:
            return False
        data = {"count": len(items), "lines": messages.digest_lines(items)}
        happening = Happening("digest", data, notice_id("digest", person, items[0]["_id"]), self.correlation_id, now)
        known = self.db.people.find_one({"_id": person}) or {"_id": person}
        self._record([(happening, [{"id": person, **known}], rules.NOW)], reads,
                     also=lambda tx: update_in(tx.db.digest_items, "_id", [i["_id"] for i in items],
                                               {"$set": {"sent_at": now}}, session=tx.session))
        return True

    # --- the inbox and preferences -----------------------------------------------------------

    def _self_or_admin(self, person):
        me = self.caller.require()
        if me.id != person and me.role != "administrator":
            raise Forbidden("Only the person themself (or an administrator) may do this.")
        return me

    @rpc
    def inbox(self, person, unread_only=False, limit=50, cursor=None):
        """A page of a person's notices, newest first (``thidua.paging``): theirs alone to read (or an
        administrator's, or an operator tool's)."""
        if not self.caller.require().is_system:
            self._self_or_admin(person)
        query = {"person": person, **({"read_at": None} if unread_only else {})}
        found = paging.page(self.db.inbox, query, INBOX_ORDER, name="inbox", limit=limit, most=MAX_PAGE,
                            cursor=cursor, shown=public, recent=paging.RECENT)
        return {"person": person, "unread": self._unread(person), **found}

    def _unread(self, person):
        return unread.count(self.db, self.uow.as_actor(SYSTEM), person)

    @rpc
    def mark_read(self, person, notice):
        self._self_or_admin(person)
        self.uow.run(lambda tx: unread.mark_read(tx, person, notice))
        return {"person": person, "unread": self._unread(person)}

    @rpc
    def get_preferences(self, person):
        self._self_or_admin(person)
        return preferences.shown(person, self.db.preferences.find_one({"_id": person}),
                                 channels.REGISTRY.personal(), messages.LANGUAGES)

    @rpc
    def set_preferences(self, person, payload):
        self._self_or_admin(person)
        personal = channels.REGISTRY.personal()
        preferences.check(payload, personal, messages.TEMPLATES)

        def work(tx):
            before = tx.find_one("preferences", {"_id": person})
            after = {"_id": person, **preferences.changed(before, payload, personal)}
            tx.record("preferences.set", "preferences", person, before, put(tx, "preferences", before, after))
            kept.mark(tx.db, tx.session, ("preferences", person))
        self.uow.run(work)
        return self.get_preferences(person)

    # --- administration: webhooks, failed notices -----------------------------------------------

    def _operator(self):
        """An operator tool (a service token) or an administrator."""
        if not self.caller.require().is_system:
            self._admin()

    def _admin(self):
        me = self.caller.require()
        if me.role != "administrator":
            raise Forbidden("Only an administrator may do this.")
        return me

    @rpc
    def add_webhook(self, payload):
        self._admin()
        hook = webhook.subscription(payload, messages.TEMPLATES)

        def work(tx):
            before = tx.find_one("webhooks", {"_id": hook["_id"]})
            tx.record("webhook.set", "webhook", hook["_id"], before, put(tx, "webhooks", before, hook))
            kept.mark(tx.db, tx.session, ("webhooks", hook["_id"]))
        self.uow.run(work)
        return {"id": hook["_id"], "url": hook["url"], "kinds": hook["kinds"]}

    @rpc
    def failed_notices(self, limit=100, cursor=None):
        """A page of the notices that failed for good, the latest failure first."""
        self._admin()
        return paging.page(self.db.outgoing, {"status": "FAILED"}, FAILED_ORDER, name="failed_notices",
                           limit=limit, most=MAX_PAGE, cursor=cursor, shown=public)

    @rpc
    def notice_deliveries(self, notice):
        self._admin()
        return [public(d) for d in self.db.deliveries.find({"notice": notice}, {"_id": 0}).sort("at", ASCENDING)]

    @rpc
    def retry_notice(self, notice):
        """An administrator sends a failed notice again (after fixing the mail server, say)."""
        self._admin()
        return self.uow.run(lambda tx: self._retry(tx, notice))

    @staticmethod
    def _retry(tx, notice):
        before = tx.find_one("outgoing", {"_id": notice})
        if before is None:
            raise UnknownNotice(f"No notice has the id {notice!r}.")
        after = tx.replace("outgoing", before, rules.retried(before, utcnow()))
        tx.record("notice.retry", "notice", notice, before, after)
        return public(after)

