"""Faults injected while reports stream in through the public API; prints what held.

Starts its own platform (the four services as processes, demo mode) on a RabbitMQ node of its
own on loopback (``thidua-faults@localhost``, AMQP 5680, management 15680, its files under
``.run/rabbit-faults/``; the node on 5672 is never touched) and a SecantusDB of its own on a free
port, so the broker and the database can be stopped and started. Each fault gets its own units:

- ``kill-<service>``: ``kill -9`` of the service mid-stream; the harness starts it again after 1 s
  (as the supervisor of ``make run`` does);
- ``broker``: the node's application is stopped (every connection dropped, the port closed) for
  ``--outage`` seconds and started again;
- ``database``: the database process is stopped for ``--outage`` seconds and started again;
- ``foreign``: malformed JSON, ``text/plain``, pickle, an event without ``values``, an unknown
  version, a duplicate of a real event and a 2 MB body are published on ``submissions.events``.

Posters retry a 503 or a dropped connection with the same Idempotency-Key, as a client should.
A service that exits by itself (not killed by the harness) is counted, then started again.

    .venv/bin/python bench/faults.py [--reports 60] [--outage 20] [--faults kill-ranking,broker,...]
    make faults
"""
import argparse
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.flow_latency import PERIOD, READER, cluster_of, lead_of, load_clusters  # noqa: E402
from scripts.launcher import (RUN, EmbeddedServer, IsolatedPlatform, port_open, queue_depths,  # noqa: E402
                              queue_names, say, wait_for)

NODE, AMQP_PORT, MANAGEMENT_PORT = "thidua-faults@localhost", 5680, 15680
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
FAULTS = ("kill-submissions", "kill-ranking", "kill-notifications", "kill-gateway", "broker", "database", "foreign")
CLUSTERS = 4


class FaultBroker:
    """A RabbitMQ node of the harness's own on loopback, stopped and started at will."""

    def __init__(self, base=RUN / "rabbit-faults"):
        self.base = Path(base)
        self.management = f"http://guest:guest@127.0.0.1:{MANAGEMENT_PORT}"

    @staticmethod
    def available():
        return (RABBIT_BIN / "rabbitmq-server").exists() or bool(shutil.which("rabbitmq-server"))

    def env(self):
        b = self.base
        return {**os.environ, "HOME": str(b / "home"), "RABBITMQ_NODENAME": NODE, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(AMQP_PORT), "RABBITMQ_DIST_PORT": str(AMQP_PORT + 20000),
                "RABBITMQ_MNESIA_BASE": str(b / "mnesia"), "RABBITMQ_LOG_BASE": str(b / "log"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(b / "enabled_plugins"), "RABBITMQ_CONFIG_FILE": str(b / "rabbitmq"),
                "RABBITMQ_PID_FILE": str(b / "node.pid")}

    def tool(self, name):
        directory = RABBIT_BIN if (RABBIT_BIN / name).exists() else Path(shutil.which(name)).parent
        return str(directory / name)

    def ctl(self, *args):
        subprocess.run([self.tool("rabbitmqctl"), "-n", NODE, *args], env=self.env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        if port_open("127.0.0.1", AMQP_PORT) and port_open("127.0.0.1", MANAGEMENT_PORT):
            if self.answers():
                return self
            self.stop_foreign()
        for part in ("home", "mnesia", "log"):
            (self.base / part).mkdir(parents=True, exist_ok=True)
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "rabbitmq.conf").write_text(f"management.tcp.port = {MANAGEMENT_PORT}\n"
                                                 "management.tcp.ip = 127.0.0.1\nloopback_users = none\n")
        say(f"starting the fault-injection RabbitMQ node {NODE} on port {AMQP_PORT}")
        subprocess.run([self.tool("rabbitmq-server"), "-detached"], env=self.env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open("127.0.0.1", AMQP_PORT) and port_open("127.0.0.1", MANAGEMENT_PORT), 120,
                 f"the node {NODE}")
        return self

    def outage(self, seconds):
        self.ctl("stop_app")                 # every connection dropped, the port closed
        time.sleep(seconds)
        self.ctl("start_app")
        wait_for(lambda: port_open("127.0.0.1", AMQP_PORT), 60, f"the node {NODE} back")

    def shutdown(self):
        self.ctl("stop")

    def answers(self):
        """Whether the node on the harness's ports is this checkout's (it shares our Erlang cookie)."""
        return subprocess.run([self.tool("rabbitmqctl"), "-n", NODE, "status"], env=self.env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def stop_foreign(self):
        """Stop a harness node that another checkout left running (its rabbitmqctl cookie is not
        ours): a process with a ``rabbit-faults`` home is a harness node, never anyone's broker."""
        pids = []
        for entry in Path("/proc").iterdir():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if entry.name.isdigit() and any(a.endswith(b"/rabbit-faults/home") for a in args):
                say(f"stopping the fault-injection node another checkout left running (pid {entry.name})")
                os.kill(int(entry.name), signal.SIGTERM)
                pids.append(entry.name)
        # Gone, not only its port closed: until the VM exits, its node name is taken.
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids), 60, "the old node to exit")


class FaultDatabase(EmbeddedServer):
    """The harness's own database server (``scripts.launcher.EmbeddedServer``), down for a while at will."""

    def outage(self, seconds):
        self.stop()
        time.sleep(seconds)
        self.start()


class FaultPlatform(IsolatedPlatform):
    """The isolated platform on the harness's broker node and database; a keeper thread starts
    again any service that exits, and counts those that exited without being killed."""

    def __init__(self, logs, broker, database, **env):
        super().__init__(logs, mongo_uri=database.uri, management_uri=broker.management, **env)
        self.amqp_uri = self.env["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:{AMQP_PORT}/{self.vhost}"
        self.killed, self.died, self._keeping = set(), Counter(), False

    def __enter__(self):
        super().__enter__()
        self._keeping = True
        threading.Thread(target=self._keep, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._keeping = False
        super().__exit__(*exc)

    def db(self, service):
        from thidua.mongo import client_for
        return client_for(self.mongo_uri)[self.database_name(service)]

    def kill(self, name):
        self.killed.add(name)
        os.killpg(self.processes[name].pid, signal.SIGKILL)

    def _keep(self):
        while self._keeping:
            for name, process in list(self.processes.items()):
                if self._keeping and process.poll() is not None:
                    if name in self.killed:
                        self.killed.discard(name)
                    else:
                        self.died[name] += 1
                    time.sleep(1.0)
                    self.start(name)
            time.sleep(0.2)

    def left_dead(self):
        return [name for name, process in self.processes.items() if process.poll() is not None]


class Stream:
    """Reports posted through the API by a few posters; every answer's status and time is kept."""

    def __init__(self, platform, units, deadline):
        self.platform, self.units, self.deadline = platform, units, deadline
        self.answers, self.accepted, self.lock = [], {}, threading.Lock()

    def post(self, unit):
        body = json.dumps({"unit": unit, "period": PERIOD, "values": {"C1.1": {"actual": 70}},
                           "self_scores": {"C1.1": 10}})
        headers = {"Content-Type": "application/json", "X-Actor": f"bench.{unit}", "Idempotency-Key": uuid.uuid4().hex}
        give_up = time.monotonic() + 180
        while time.monotonic() < give_up:
            started = time.monotonic()
            try:
                response = requests.post(f"{self.platform.url}/api/v1/reports", data=body, headers=headers,
                                         timeout=self.deadline + 20)
                status = response.status_code
            except requests.RequestException:
                status, response = "no answer", None   # the gateway itself is down: try again
            with self.lock:
                self.answers.append((status, time.monotonic() - started))
            if status in (200, 201):
                with self.lock:
                    self.accepted[unit] = response.json()["id"]
                return
            if status != 503 and status != "no answer":
                return                                # a refusal: retrying would not help
            time.sleep(1.0)

    def run(self, threads=4, spacing=0.05):
        with ThreadPoolExecutor(threads) as pool:
            for unit in self.units:
                pool.submit(self.post, unit)
                time.sleep(spacing)


def dead_letters(platform):
    """Each dead-letter queue's depth."""
    names = [name for name in queue_names(platform.vhost, platform.management) if name.endswith(".dlq")]
    return queue_depths(platform.amqp_uri, names)


def ranked(platform, units):
    found = set()
    for cluster in sorted({cluster_of(u, CLUSTERS) for u in units}):
        response = requests.get(f"{platform.url}/api/v1/clusters/{cluster}/periods/{PERIOD}/ranking",
                                headers={"X-Actor": READER}, timeout=30)
        if response.status_code == 200:
            found |= {row["unit"] for row in response.json().get("table", [])}
    return found & set(units)


def notified(platform, accepted):
    """Inbox entries of the cluster leads for the accepted reports: each report's count."""
    links = {f"/api/v1/reports/{rid}": unit for unit, rid in accepted.items()}
    counts = Counter()
    for entry in platform.db("notifications").inbox.find({"kind": "report.submitted", "link": {"$in": list(links)}}):
        if entry["person"] == lead_of(cluster_of(links[entry["link"]], CLUSTERS)):
            counts[entry["link"]] += 1
    return counts


def settle(platform, accepted, seconds=90):
    """Wait until every accepted report is ranked and notified (or ``seconds`` have passed)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if ranked(platform, accepted) == set(accepted) and len(notified(platform, accepted)) == len(accepted):
            return
        time.sleep(1.0)


def steady(read, quiet=6.0, most=30.0):
    """A count once it has not changed for ``quiet`` seconds (dead-lettering a message takes its
    consumers a moment each)."""
    value, since, end = read(), time.monotonic(), time.monotonic() + most
    while time.monotonic() - since < quiet and time.monotonic() < end:
        time.sleep(1.0)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
    return value


def foreign_messages(platform):
    """Publish what no producer of the platform sends; every one must end in a dead-letter queue."""
    from kombu import Connection, Exchange
    from thidua import signing
    keys = signing.keys_from(platform.env)
    exchange = Exchange("submissions.events", type="topic", durable=True)
    real = platform.db("submissions").outbox.find_one({"event.type": "report.submitted.v1"})["event"]
    broken = {k: v for k, v in real.items() if k != "data"} | {"id": str(uuid.uuid4()),
                                                              "data": {k: v for k, v in real["data"].items()
                                                                       if k != "values"}}
    future = {**real, "id": str(uuid.uuid4()), "type": "report.submitted.v9"}
    with Connection(platform.amqp_uri) as conn:
        producer = conn.Producer()
        sent = [
            (b"{not json", "application/json", "report.submitted.v1", {}),
            (b"hello", "text/plain", "report.submitted.v1", {}),
            (pickle.dumps({"x": 1}), "application/x-python-serialize", "report.submitted.v1", {}),
            (json.dumps(broken).encode(), "application/json", "report.submitted.v1",
             {signing.HEADER: signing.sign(broken, keys)}),
            (json.dumps(future).encode(), "application/json", "report.submitted.v9",
             {signing.HEADER: signing.sign(future, keys)}),
            (json.dumps({**real, "pad": "x" * 2_000_000}).encode(), "application/json", "report.submitted.v1", {}),
        ]
        for body, content_type, key, headers in sent:
            producer.publish(body, exchange=exchange, routing_key=key, content_type=content_type,
                             content_encoding="utf-8" if content_type != "application/x-python-serialize" else "binary",
                             headers=headers, declare=[exchange], delivery_mode=2)
        # A duplicate of a real, already handled event (same signature): it must change nothing.
        producer.publish(json.dumps(real).encode(), exchange=exchange, routing_key=real["type"],
                         content_type="application/json", content_encoding="utf-8",
                         headers={signing.HEADER: signing.sign(real, keys)}, delivery_mode=2)
    return len(sent)


def run_fault(platform, broker, database, fault, units, outage, deadline):
    stream = Stream(platform, units, deadline)
    before = sum(dead_letters(platform).values())
    # The posts are spread over the time the fault takes (the node's stop and start take ~16 s).
    lasts = {"broker": outage + 16.0, "database": outage + 4.0}.get(fault, 4.0)
    poster = threading.Thread(target=stream.run, kwargs={"spacing": (lasts + 2.0) / len(units)})
    poster.start()
    time.sleep(1.0)
    foreign = 0
    if fault.startswith("kill-"):
        platform.kill(fault[len("kill-"):])
    elif fault == "broker":
        broker.outage(outage)
    elif fault == "database":
        database.outage(outage)
    elif fault == "foreign":
        foreign = foreign_messages(platform)
    poster.join()
    settle(platform, stream.accepted)
    parked = (steady(lambda: sum(dead_letters(platform).values())) if foreign
              else sum(dead_letters(platform).values())) - before
    stored = platform.db("submissions").reports.count_documents({"unit": {"$in": units}, "period": PERIOD})
    counts = notified(platform, stream.accepted)
    statuses = Counter(status for status, _ in stream.answers)
    return {
        "fault": fault, "accepted": len(stream.accepted), "stored": stored,
        "ranked": len(ranked(platform, stream.accepted)), "notified": len(counts),
        "duplicated": sum(n - 1 for n in counts.values()) + max(0, stored - len(stream.accepted)),
        "foreign": foreign, "dead-lettered": parked,
        "5xx": ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items(), key=str)
                         if s == "no answer" or s >= 500) or "0",
        "late": sum(1 for _, took in stream.answers if took > deadline + 1.0),
        "died": sum(platform.died.values()), "left dead": len(platform.left_dead()),
    }


COLUMNS = ("fault", "accepted", "stored", "ranked", "notified", "duplicated", "foreign", "dead-lettered", "5xx", "late",
           "died", "left dead")


def table(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(row[c]) for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def run(faults=FAULTS, reports=60, outage=20.0, deadline=10.0, logs=None):
    """Inject each fault in turn on one platform; the rows of the table."""
    broker = FaultBroker().start()
    logs = Path(logs or tempfile.mkdtemp(prefix="thidua-faults-"))
    database = FaultDatabase(logs).start()
    units = [f"F{i:04d}" for i in range(reports * len(faults))]
    rows = []
    try:
        with FaultPlatform(logs, broker, database, GATEWAY_DEADLINE_SECONDS=str(deadline), RPC_TIMEOUT_SECONDS="5",
                           OUTBOX_SWEEP_SECONDS="0.5") as platform:
            # The default retry delays (1 s, 5 s, 30 s) on purpose: they ride out the outages injected
            # here, as they must in production; shorter ones would dead-letter events a 20 s outage delays.
            load_clusters(platform, units, CLUSTERS)
            for i, fault in enumerate(faults):
                rows.append(run_fault(platform, broker, database, fault, units[i * reports:(i + 1) * reports],
                                      outage, deadline))
                say(f"{fault}: {rows[-1]}")
    finally:
        database.stop()
        broker.shutdown()       # a node left running would hold the ports for another checkout
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=60, help="reports posted during each fault")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the broker or database is down")
    parser.add_argument("--deadline", type=float, default=10.0, help="GATEWAY_DEADLINE_SECONDS")
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args()
    if not FaultBroker.available():
        raise SystemExit("bench/faults.py needs rabbitmq-server installed locally (it starts a node of its own)")
    rows = run(args.faults.split(","), args.reports, args.outage, args.deadline)
    print(table(rows))


if __name__ == "__main__":
    main()
