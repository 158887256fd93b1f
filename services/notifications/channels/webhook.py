"""Signed webhooks: an administrator's subscriptions (a URL, a shared secret, the kinds), each
notice an HTTP POST of JSON signed with HMAC-SHA256 of the exact body."""
import hashlib
import hmac
import json

import requests

from services.notifications import messages
from services.notifications.channels.base import DeliveryFailed, Outgoing
from thidua.errors import Problems, ValidationFailed
from thidua.settings import Delivery

SIGNATURE_HEADER = "X-Thidua-Signature"


def sign(secret, body):
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret, body, signature):
    return hmac.compare_digest(sign(secret, body), signature or "")


def subscription(payload, known_kinds):
    """The stored subscription for an administrator's ``{url, secret, kinds}``; its id follows from
    the URL, so subscribing the same URL again replaces it. Raises :class:`ValidationFailed`."""
    if not isinstance(payload, dict):
        raise ValidationFailed("A webhook is a JSON object: {url, secret, kinds}.")
    problems = Problems()
    url, secret, kinds = payload.get("url"), payload.get("secret"), payload.get("kinds", ["*"])
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
        problems.add("url", "an http:// or https:// address")
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        problems.add("secret", "16 to 200 characters, shared with the receiver to check the signature")
    if not isinstance(kinds, list) or any(k != "*" and k not in known_kinds for k in kinds):
        problems.add("kinds", f"a list of kinds among {', '.join(sorted(known_kinds))}, or [\"*\"]")
    for key in sorted(set(payload) - {"url", "secret", "kinds"}):
        problems.add(key, "unknown field")
    problems.raise_if_any("The webhook")
    return {"_id": hashlib.sha256(url.encode()).hexdigest()[:16], "url": url, "secret": secret, "kinds": kinds}


def post(url, secret, payload, timeout):
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    try:
        response = requests.post(url, data=body, timeout=timeout, allow_redirects=False, headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)})
    except requests.RequestException as exc:
        raise DeliveryFailed(f"POST {url}: {type(exc).__name__}")
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"POST {url}: HTTP {response.status_code}")


class Webhook(Outgoing):
    name = "webhook"
    personal = False   # subscriptions choose their kinds, not people
    keeps_load = True  # the subscriptions change only through add_webhook, which marks them (thidua.kept)

    def load(self, db):
        return list(db.webhooks.find())

    def notices(self, happening, people, hooks, config):
        for hook in hooks:
            if "*" in hook["kinds"] or happening.kind in hook["kinds"]:
                yield f"webhook:{hook['_id']}", {"webhook": hook["_id"], "to": hook["url"],
                                                 "payload": messages.webhook(happening.kind, happening.data,
                                                                             happening.key)}

    def deliver(self, notice, config, db):
        hook = db.webhooks.find_one({"_id": notice["webhook"]})
        if hook is None:
            raise DeliveryFailed("the webhook subscription no longer exists")
        post(hook["url"], hook["secret"], notice["payload"], Delivery.of(config).webhook_timeout)
