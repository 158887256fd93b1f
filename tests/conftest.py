import os
import secrets
import uuid
import warnings

import pymongo
import pytest

from thidua import config as thidua_config
from thidua.mongo import client_for

TEST_SECRET = secrets.token_urlsafe(48)   # a strong secret, as every service outside demo mode needs
# The producers' event keys, in the environment: every container, relay and platform process of
# the test run reads them from there (thidua.settings.Signing), as a deployment's services do.
# SERVICE_SECRET likewise: the tests' operator tools sign their service tokens with it.
for _producer_key in ("SUBMISSIONS_EVENT_KEY", "RANKING_EVENT_KEY", "BALLOT_SEAL_KEY", "SERVICE_SECRET"):
    os.environ.setdefault(_producer_key, secrets.token_urlsafe(48))
EMBEDDED_URI = f"mongodb://127.0.0.1:{os.environ.get('EMBEDDED_MONGO_PORT', '27027')}/?retryWrites=false"


@pytest.fixture(scope="session")
def mongo_uri():
    return os.environ.get("MONGO_URI") or EMBEDDED_URI


class Cleanup:
    """One client for the whole session that drops each test's databases. Finding them takes the
    server's list of databases, which the embedded server has been seen to stop answering (README,
    "The embedded database slows down"): then one wait of 20 s, a warning, and the rest of the
    session leaves its databases to the server (``make test`` stops it), instead of every test
    hanging."""

    def __init__(self, mongo_uri):
        self.client = pymongo.MongoClient(mongo_uri, socketTimeoutMS=20000, serverSelectionTimeoutMS=5000)
        self.gave_up = False

    def drop(self, prefix):
        if self.gave_up:
            return
        try:
            for name in self.client.list_database_names():
                if name.startswith(prefix):
                    self.client.drop_database(name)
        except pymongo.errors.PyMongoError as exc:
            self.gave_up = True
            warnings.warn(f"the database server did not list its databases ({exc}); the tests' databases "
                          "are left to it from now on")


@pytest.fixture(scope="session")
def cleanup(mongo_uri):
    found = Cleanup(mongo_uri)
    yield found
    found.client.close()


@pytest.fixture
def db_prefix(cleanup):
    """A fresh set of databases for one test, dropped afterwards (:class:`Cleanup`)."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield prefix
    cleanup.drop(prefix)


@pytest.fixture
def service_config(rabbit_config, mongo_uri, db_prefix):
    """The service's own config.yml, pointed at this test's vhost and databases."""
    def make(service, **overrides):
        config = thidua_config.load(
            service, AMQP_URI=rabbit_config["AMQP_URI"], MONGO_URI=mongo_uri,
            MONGO_DB=f"{db_prefix}_{service}", RETRY_DELAYS_MS="50,100", OUTBOX_SWEEP_SECONDS=0.2,
            DEMO_MODE="true",   # callers named by id; tests/integration/test_accounts.py covers tokens
            TOKEN_SECRET=TEST_SECRET)
        config.pop("LOGGING", None)
        config.update(overrides)
        return config
    return make


@pytest.fixture
def db_of(mongo_uri, db_prefix):
    return lambda service: client_for(mongo_uri)[f"{db_prefix}_{service}"]
