"""The in-app inbox: written at once, in the transaction that records the happening; always
on (the pages show it with its unread count), so there is nothing to deliver later."""
from services.notifications import messages
from services.notifications.channels.base import Outgoing


class Inbox(Outgoing):
    name = "inbox"

    def notices(self, happening, people, loaded, config):
        title, body, link = messages.inbox(happening.kind, happening.data)
        for person in people:
            yield person["id"], {"person": person["id"], "title": title, "body": body, "link": link}

    def stored(self, happening, fields):
        return "inbox", {
            **fields, "kind": happening.kind, "event_id": happening.key, "cluster": happening.data.get("cluster"),
            "period": happening.data.get("period"), "created_at": happening.now, "read_at": None,
            "correlation_id": happening.correlation_id}

    def deliver(self, notice, config, db):
        return None   # never queued for the delivery loop
