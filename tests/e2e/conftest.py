"""The whole platform as it runs in production: four services, each its own process,
talking through the real RabbitMQ (a vhost of their own) and the real database."""
import os
import socket
import uuid
from pathlib import Path

import pytest
import requests

from scripts import demo, launcher
from thidua.mongo import client_for

MANAGEMENT = os.environ.get("RABBIT_MANAGEMENT_URI", "http://127.0.0.1:15672")
AUTH = ("guest", "guest")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Platform:
    def __init__(self, tmp, mongo_uri):
        self.id = uuid.uuid4().hex[:10]
        self.vhost = f"e2e-{self.id}"
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"
        self.mongo_uri = mongo_uri
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = Path(tmp)
        self.processes = {}
        self.env = launcher.service_env(self.amqp_uri, mongo_uri, {
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}", "RETRY_DELAYS_MS": "100,300",
            "OUTBOX_SWEEP_SECONDS": "0.3", "LOG_LEVEL": "INFO",
            **{f"{name.upper()}_DB": f"e{self.id}_{name}" for name in launcher.SERVICES},
        })

    def db(self, service):
        return client_for(self.mongo_uri)[f"e{self.id}_{service}"]

    def start(self, name, service=None, **env):
        self.processes[name] = launcher.start_service(service or name, {**self.env, **env},
                                                      self.logs / f"{name}.log")
        return self.processes[name]

    def stop(self, *names):
        processes = [self.processes.pop(name) for name in names]
        launcher.stop_pids([process.pid for process in processes])
        for process in processes:
            process.wait(timeout=15)

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    mongo_uri = os.environ.get("MONGO_URI") or launcher.EMBEDDED_URI
    p = Platform(tmp_path_factory.mktemp("platform"), mongo_uri)
    requests.put(f"{MANAGEMENT}/api/vhosts/{p.vhost}", auth=AUTH, timeout=10).raise_for_status()
    requests.put(f"{MANAGEMENT}/api/permissions/{p.vhost}/guest", auth=AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        for name in launcher.SERVICES:
            p.start(name)
        try:
            launcher.wait_for(lambda: (launcher.health(p.url) or {}).get("status") == "ok", 60, "health")
        except SystemExit:
            pytest.fail("the platform did not become healthy:\n" +
                        "\n".join(f"--- {n}\n{p.log(n)[-3000:]}" for n in launcher.SERVICES))
        demo.load(p.amqp_uri)
        yield p
    finally:
        p.stop(*p.processes)
        requests.delete(f"{MANAGEMENT}/api/vhosts/{p.vhost}", auth=AUTH, timeout=10)
        client = client_for(mongo_uri)
        for name in client.list_database_names():
            if name.startswith(f"e{p.id}_"):
                client.drop_database(name)
