"""How a notice leaves the platform: e-mail over SMTP, signed webhooks.

Each sender raises :class:`DeliveryFailed` with a short reason when the other side
does not take the notice; the service retries with backoff and records every attempt.
"""
import hashlib
import hmac
import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import requests

from thidua.settings import Delivery

SIGNATURE_HEADER = "X-Thidua-Signature"


class DeliveryFailed(Exception):
    pass


def sign(secret, body):
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret, body, signature):
    return hmac.compare_digest(sign(secret, body), signature or "")


class Smtp:
    """SMTP settings from configuration: ``SMTP_HOST`` (empty: no e-mail), ``SMTP_PORT``,
    ``SMTP_TLS`` (``none``, ``starttls`` or ``ssl``), ``SMTP_USER``, ``SMTP_PASSWORD``,
    ``SMTP_FROM``, ``SMTP_TIMEOUT``."""

    def __init__(self, config):
        delivery = Delivery.of(config)
        self.host, self.port, self.tls = delivery.smtp_host, delivery.smtp_port, delivery.smtp_tls
        self.user, self.password, self.sender = delivery.smtp_user, delivery.smtp_password, delivery.smtp_from
        self.timeout = delivery.smtp_timeout
        if self.tls not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP_TLS must be none, starttls or ssl, not {self.tls!r}")

    @property
    def enabled(self):
        return bool(self.host)

    def send(self, to_address, to_name, subject, text, message_id):
        message = EmailMessage()
        message["From"] = formataddr(("Thi đua", self.sender))
        message["To"] = formataddr((to_name, to_address))
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(idstring=message_id[:16], domain="thidua")
        message.set_content(text)
        try:
            if self.tls == "ssl":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}"[:500])


def post_webhook(url, secret, payload, timeout):
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    try:
        response = requests.post(url, data=body, timeout=timeout, allow_redirects=False, headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)})
    except requests.RequestException as exc:
        raise DeliveryFailed(f"POST {url}: {type(exc).__name__}")
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"POST {url}: HTTP {response.status_code}")
