"""The whole platform as it runs in production: four services, each its own process,
talking through the real RabbitMQ (a vhost of their own) and the real database, with a
real SMTP server on loopback for the e-mail channel."""
import pytest

from scripts.launcher import IsolatedPlatform, free_port
from tests import receivers
from thidua.mongo import client_for


class Platform(IsolatedPlatform):
    def db(self, service):
        return client_for(self.mongo_uri)[self.database_name(service)]


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    logs = tmp_path_factory.mktemp("platform")
    smtp_port = free_port()
    mail = receivers.mail_server(smtp_port, logs / "maildir").start(smtp_port)
    try:
        with Platform(logs, RETRY_DELAYS_MS="100,300", OUTBOX_SWEEP_SECONDS="0.3", SMTP_HOST="127.0.0.1",
                      SMTP_PORT=str(smtp_port), DELIVERY_BACKOFF_SECONDS="0.2") as p:
            p.maildir = logs / "maildir"
            yield p
    except SystemExit as exc:  # the launcher gave up waiting for health
        pytest.fail(f"{exc}; service logs are in {logs}")
    finally:
        mail.stop()
