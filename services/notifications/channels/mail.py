"""E-mail over SMTP, to people with an address who chose it for the kind (``SMTP_*`` settings;
without ``SMTP_HOST`` the channel is off and no e-mail is queued)."""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from services.notifications import messages
from services.notifications.channels.base import DeliveryFailed, Outgoing
from thidua.settings import Delivery


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


class Email(Outgoing):
    name = "email"

    def enabled(self, config):
        return Smtp(config).enabled

    def notices(self, happening, people, loaded, config):
        for person in people:
            if person.get("email"):
                subject, text = messages.email(happening.kind, happening.data, person.get("name", person["id"]),
                                               Delivery.of(config).public_url)
                yield person["id"], {"person": person["id"], "to": person["email"],
                                     "to_name": person.get("name", person["id"]), "subject": subject, "text": text}

    def deliver(self, notice, config, db):
        smtp = Smtp(config)
        if not smtp.enabled:
            raise DeliveryFailed("no SMTP server is configured (SMTP_HOST)")
        smtp.send(notice["to"], notice["to_name"], notice["subject"], notice["text"], notice["_id"])
