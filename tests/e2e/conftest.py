"""The whole platform as it runs in production: four services, each its own process,
talking through the real RabbitMQ (a vhost of their own) and the real database, with a
real SMTP server on loopback for the e-mail channel."""
import pytest

from scripts.launcher import SERVICES, IsolatedPlatform, free_port
from tests import receivers
from thidua.mongo import client_for


class Platform(IsolatedPlatform):
    """Each service also serves its Prometheus metrics, on a port of its own (test_metrics.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics_ports = {name: free_port() for name in SERVICES}

    def start(self, name, service=None, **env):
        return super().start(name, service, **{"METRICS_PORT": str(self.metrics_ports.get(name, 0)), **env})

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
