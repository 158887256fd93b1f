"""The whole platform as it runs in production: four services, each its own process,
talking through the real RabbitMQ (a vhost of their own) and the real database."""
import pytest

from scripts.launcher import IsolatedPlatform
from thidua.mongo import client_for


class Platform(IsolatedPlatform):
    def db(self, service):
        return client_for(self.mongo_uri)[self.database_name(service)]


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    logs = tmp_path_factory.mktemp("platform")
    try:
        with Platform(logs, RETRY_DELAYS_MS="100,300", OUTBOX_SWEEP_SECONDS="0.3") as p:
            yield p
    except SystemExit as exc:  # the launcher gave up waiting for health
        pytest.fail(f"{exc}; service logs are in {logs}")
