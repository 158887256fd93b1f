"""Notices: a person's inbox and preferences, webhooks, failed deliveries; and the audit trail."""
from services.gateway.api import API, SERVICES, call
from services.gateway.entrypoint import Choice, Flag, Int, Query, forward, route
from thidua.errors import InvalidQuery
from thidua.paging import AGAIN, MAX_CURSOR


class Cursor(Query):
    """The ``next`` of the previous page, unchanged (its contract and checks: ``thidua.paging``)."""
    schema = {"type": "string", "maxLength": MAX_CURSOR}

    def convert(self, name, raw):
        if len(raw) > MAX_CURSOR:   # refused here: no worker is asked to read a megabyte of cursor
            raise InvalidQuery(f"{name} is not a cursor of this list. {AGAIN}")
        return raw


INBOX = f"{API}/people/<string:person>/inbox"
PREFERENCES = f"{API}/people/<string:person>/preferences"
AUDIT = {"service": Choice(SERVICES, "submissions"), "unit": Query(), "period": Query(), "actor": Query(),
         "entity": Query(), "entity_id": Query(), "limit": Int(1, 500, default=100), "cursor": Cursor()}


class Notices:

    @route("GET", INBOX, query={"unread": Flag(), "limit": Int(1, 200, default=50), "cursor": Cursor()})
    def get_inbox(self, request, person, query):
        return call(self.notifications.inbox, person, unread_only=query["unread"], limit=query["limit"],
                    cursor=query["cursor"])

    @route("POST", f"{INBOX}/<string:notice>/read", body="Empty")
    def mark_read(self, request, person, notice, body):
        return call(self.notifications.mark_read, person, notice)

    get_preferences = forward("GET", PREFERENCES, "notifications.get_preferences",
                              "A person's channels per kind of notice.")
    set_preferences = forward("PUT", PREFERENCES, "notifications.set_preferences",
                              "Choose the channels per kind of notice.", body="Preferences")

    @route("POST", f"{API}/webhooks", body="Webhook", status=201)
    def add_webhook(self, request, body):
        return call(self.notifications.add_webhook, body)

    @route("GET", f"{API}/notices/failed", query={"limit": Int(1, 200, default=100), "cursor": Cursor()})
    def failed_notices(self, request, query):
        return call(self.notifications.failed_notices, query["limit"], query["cursor"])

    @route("GET", f"{API}/notices/<string:notice>/deliveries")
    def notice_deliveries(self, request, notice):
        return {"items": call(self.notifications.notice_deliveries, notice)}

    @route("POST", f"{API}/notices/<string:notice>/retry")
    def retry_notice(self, request, notice):
        return call(self.notifications.retry_notice, notice)

    @route("GET", f"{API}/audit", query=AUDIT)
    def get_audit(self, request, query):
        """The audit trail of one service (submissions by default; ranking, notifications)."""
        return call(getattr(self, query["service"]).audit_trail, query["unit"], query["period"], query["actor"],
                    query["entity"], query["entity_id"], query["limit"], query["cursor"])
