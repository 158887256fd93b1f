"""Failover on a three-node RabbitMQ cluster: every report ranked and notified, none twice.

    .venv/bin/python bench/failover.py [--reports 40] [--kill]      # make failover

Starts three RabbitMQ nodes on this machine (``thidua-q1@localhost`` .. ``q3``, AMQP on 5690-5692,
no plugins, data and logs under ``.run/failover/``, one Erlang cookie of their own) and joins them
in a cluster; starts the four services against it under the supervisor of ``make run``, each given
the three nodes' URIs (``amqp://…:5690/;amqp://…:5691/;amqp://…:5692/``, kombu's failover list);
loads the demo and a cluster of ``--reports`` units of its own; then hands in one report per unit
through the public HTTP API while, a third of the way through, the node the services connected to
first is stopped (``rabbitmqctl stop``; ``--kill``: SIGKILL of its Erlang VM); the last third goes
once it is down. A request refused meanwhile (503) is sent again with the same Idempotency-Key, as a
client does. It prints how many reports were accepted, ranked and notified to the cluster's lead,
how many notices were duplicates, how many requests had to be sent again and how many services
restarted. Everything it started is stopped at the end, and its databases dropped; the broker on
5672 is never touched.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flow_latency import open_runs  # noqa: E402
from scripts import demo  # noqa: E402
from thidua import outbox  # noqa: E402
from scripts.launcher import (SECRETS, SERVICES, bench_database, free_port, new_secret, port_open,  # noqa: E402
                              service_command, service_env, stop_pids, wait_for, wait_healthy)

BASE = ROOT / ".run" / "failover"
# Debian's wrappers in /usr/sbin switch to the rabbitmq user and its home (and cookie); the scripts
# behind them run as the caller, with the HOME (and so the Erlang cookie) given here.
BIN = Path("/usr/lib/rabbitmq/bin") if Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists() else None
NODES = [(f"thidua-q{i}@localhost", 5689 + i) for i in (1, 2, 3)]
CLUSTER, PERIOD, LEAD = "CUM-FO", "2021-Q2", "lanhdao.fo01"
GIVE_UP_SECONDS = 120   # a report the platform does not accept within this is counted as lost


# --- the RabbitMQ cluster ------------------------------------------------------------------

def node_env(name, port):
    node = BASE / name.split("@")[0]
    for part in ("log", "mnesia"):
        (node / part).mkdir(parents=True, exist_ok=True)
    (node / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n")
    return {**os.environ, "HOME": str(BASE / "home"), "RABBITMQ_NODENAME": name, "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(port + 20000), "RABBITMQ_MNESIA_BASE": str(node / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node / "log"), "RABBITMQ_PID_FILE": str(node / "pid"),
            "RABBITMQ_CONFIG_FILE": str(node / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(BASE / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(BASE / "rabbitmq-env.conf")}


def tool(name):
    return str(BIN / name) if BIN else name


def ctl(name, *args, check=True):
    port = dict(NODES)[name]
    return subprocess.run([tool("rabbitmqctl"), "-n", name, *args], env=node_env(name, port), check=check,
                          capture_output=True, text=True, timeout=120)


def start_cluster():
    if not shutil.which("rabbitmq-server"):
        raise SystemExit("rabbitmq-server is not installed (make infra installs it)")
    for name, port in NODES:
        if port_open("127.0.0.1", port):
            raise SystemExit(f"port {port} is taken: is an earlier failover run still up? "
                             f"(rabbitmqctl -n {name} stop, with HOME={BASE / 'home'})")
    shutil.rmtree(BASE, ignore_errors=True)
    (BASE / "home").mkdir(parents=True)
    cookie = BASE / "home" / ".erlang.cookie"
    cookie.write_text(uuid.uuid4().hex.upper())
    cookie.chmod(0o400)
    (BASE / "enabled_plugins").write_text("[].\n")
    (BASE / "rabbitmq-env.conf").write_text(
        "ERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"\n")
    for name, port in NODES:
        subprocess.run([tool("rabbitmq-server"), "-detached"], env=node_env(name, port), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name, port in NODES:
        wait_for(lambda: port_open("127.0.0.1", port), 120, f"{name} on port {port}")
        ctl(name, "await_startup")
    for name, _ in NODES[1:]:
        ctl(name, "stop_app")
        ctl(name, "join_cluster", NODES[0][0])
        ctl(name, "start_app")
    running = json.loads(ctl(NODES[0][0], "cluster_status", "--formatter", "json").stdout)["running_nodes"]
    assert sorted(running) == sorted(name for name, _ in NODES), running
    return ";".join(f"amqp://guest:guest@127.0.0.1:{port}/" for _, port in NODES)


def stop_node(name, kill=False, stats=None):
    """Stop the node; ``stats["down_at"]``: when its AMQP port stopped answering."""
    if kill:
        pid = int((BASE / name.split("@")[0] / "pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
    else:
        ctl(name, "stop")
    wait_for(lambda: not port_open("127.0.0.1", dict(NODES)[name]), 60, f"{name} to be down")
    if stats is not None:
        stats["down_at"] = time.monotonic()


def stop_cluster():
    for name, port in NODES:
        if port_open("127.0.0.1", port):
            ctl(name, "stop", check=False)


# --- the platform ----------------------------------------------------------------------------

def start_platform(amqp_uri, mongo_uri, prefix, logs):
    port = free_port()
    env = service_env(amqp_uri, mongo_uri, {
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}", "DEMO_MODE": "true", "RETRY_DELAYS_MS": "200,1000,3000,5000",
        "OUTBOX_SWEEP_SECONDS": "0.5", **{name: new_secret() for name in SECRETS},
        **{f"{name.upper()}_DB": f"{prefix}_{name}" for name in SERVICES}})
    # Under the supervisor of `make run`, which starts again a service that exits, as Kubernetes does.
    pairs = [json.dumps([name, service_command(name)]) for name in SERVICES]
    supervisor = subprocess.Popen([sys.executable, "-m", "scripts.supervisor", *pairs], cwd=ROOT,
                                  env={**env, "THIDUA_RUN_DIR": str(BASE)}, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=open(logs / "supervisor.err", "ab"))
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, 120)
    return env, url, [supervisor]


def restarts():
    log = BASE / "logs" / "supervisor.log"
    return sum(" started again " in line for line in log.read_text().splitlines()) if log.exists() else 0


def reference(units):
    codes = [f"FO{i:02d}" for i in range(1, units + 1)]
    return {
        "templates": [], "periods": [],
        "units": [{"code": code, "name": f"Đơn vị {code}", "type": "department", "parent": "CAT-HT"}
                  for code in codes],
        "clusters": [{"code": CLUSTER, "name": "Cụm thi đua thử chuyển đổi dự phòng", "level": "province",
                      "force": "Công an tỉnh Hà Tĩnh", "year": 2021,
                      "members": [{"unit": code, "role": "lead" if code == codes[0] else "member"}
                                  for code in codes]}],
        "people": [{"id": LEAD, "name": "Lãnh đạo FO01", "role": "unit_leader", "unit": codes[0]}] +
                  [{"id": f"canbo.{code.lower()}", "name": f"Cán bộ {code}", "role": "unit_officer", "unit": code}
                   for code in codes],
    }


def load(env, amqp_uri, units):
    demo.load(amqp_uri, env["BALLOT_SEAL_KEY"], env["SERVICE_SECRET"])
    from contextlib import ExitStack
    from thidua.caller import as_system
    with ExitStack() as stack:
        loader = demo.Submissions({"AMQP_URI": amqp_uri}, stack).as_(
            as_system(demo.LOADER, {"SERVICE_SECRET": env["SERVICE_SECRET"]}))
        loader.load_reference_data(reference(units))


def hand_in(url, unit, stats):
    """One report, sent again (same Idempotency-Key) until the platform accepts it."""
    body = {"unit": unit, "period": PERIOD, "values": {"C1.1": {"actual": 50 + int(unit[2:])}, "C2.1": {"passed": True}},
            "self_scores": {"C1.1": 10, "C2.1": 5}}
    headers = {"Content-Type": "application/json", "X-Actor": f"canbo.{unit.lower()}",
               "Idempotency-Key": f"failover-{unit}"}
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        try:
            response = requests.post(f"{url}/api/v1/reports", data=json.dumps(body), headers=headers, timeout=30)
        except requests.RequestException:
            response = None
        if response is not None and response.status_code in (200, 201):
            return
        if response is not None and response.status_code < 500 and response.status_code != 429:
            raise SystemExit(f"{unit}: refused {response.status_code} {response.text}")
        stats["again"] += 1
        stats["refused_since"] = stats["refused_since"] or time.monotonic()
        time.sleep(0.5)
    stats["given_up"] += 1


def run(units, kill, mongo_uri):
    logs = BASE / "logs"
    prefix = f"fo{uuid.uuid4().hex[:8]}"
    processes = []
    import pymongo
    client = pymongo.MongoClient(mongo_uri)
    try:
        amqp_uri = start_cluster()
        logs.mkdir(parents=True, exist_ok=True)
        print(f"cluster of {len(NODES)} nodes up: {', '.join(f'{n} (:{p})' for n, p in NODES)}", flush=True)
        env, url, processes = start_platform(amqp_uri, mongo_uri, prefix, logs)
        load(env, amqp_uri, units)
        open_runs(url, PERIOD)
        notifications = client[f"{prefix}_notifications"]
        wait_for(lambda: notifications.people.find_one({"_id": LEAD}) and notifications.clusters.find_one(
            {"_id": CLUSTER}), 60, "notifications' copy of the new cluster")
        codes = [f"FO{i:02d}" for i in range(1, units + 1)]
        stats = {"again": 0, "refused_since": None, "after": 0, "given_up": 0}
        stopper = None
        started = time.monotonic()
        for i, unit in enumerate(codes):
            if i == 2 * units // 3:   # the last third goes with the node down, whatever its stop takes
                stopper.join()
            if i == units // 3:
                print(f"stopping {NODES[0][0]} after {i} reports ({'SIGKILL' if kill else 'rabbitmqctl stop'})",
                      flush=True)
                stopped_at = time.monotonic()
                stopper = threading.Thread(target=stop_node, args=(NODES[0][0], kill, stats))
                stopper.start()
            hand_in(url, unit, stats)
            stats["after"] += "down_at" in stats
            time.sleep(0.1)
        accepted_in = time.monotonic() - started
        stopper.join()
        ranking = client[f"{prefix}_ranking"]
        inbox = notifications.inbox

        def ranked():
            pointer = ranking.rankings.find_one({"_id": f"{CLUSTER}|{PERIOD}"})
            snapshot = pointer and ranking.snapshots.find_one({"_id": f"{CLUSTER}|{PERIOD}|{pointer['version']}"})
            return {row["unit"] for row in snapshot["table"]} if snapshot else set()

        def notices():
            return list(inbox.find({"person": LEAD, "kind": "report.submitted"}, {"event_id": 1, "title": 1}))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and (len(ranked()) < units or len(notices()) < units):
            time.sleep(1)
        found = notices()
        reports = client[f"{prefix}_submissions"].reports.count_documents({"period": PERIOD, "cluster": CLUSTER})

        def unmarked():
            return sum(client[f"{prefix}_{s}"].outbox.count_documents({"published_at": None})
                       for s in ("submissions", "ranking"))
        # The relays mark what went out up to MARK_DELAY after the confirm (thidua/outbox.py).
        settle = time.monotonic() + 2 * outbox.MARK_DELAY + 1
        while (pending := unmarked()) and time.monotonic() < settle:
            time.sleep(0.2)
        figures = {
            "reports sent": units, "reports stored": reports, "ranked": len(ranked() & set(codes)),
            "notified": len({n["event_id"] for n in found}),
            "duplicate notices": len(found) - len({n["event_id"] for n in found}),
            "handed in with the node down": stats["after"], "requests sent again": stats["again"],
            "reports not accepted": stats["given_up"], "service restarts": restarts(), "stream took (s)": round(accepted_in, 1), "outbox left": pending,
        }
        if stats["refused_since"]:
            figures["first refusal after the stop (s)"] = round(stats["refused_since"] - stopped_at, 1)
        print(json.dumps(figures, ensure_ascii=False), flush=True)
        ok = figures["ranked"] == figures["notified"] == reports == units and figures["duplicate notices"] == 0 \
            and stats["after"] > 0
        print("every report ranked and notified once" if ok else "FAILED: see the figures and .run/failover/logs",
              flush=True)
        return 0 if ok else 1
    finally:
        stop_pids([p.pid for p in processes])
        stop_cluster()
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)
        client.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=40, help="units in the cluster, one report each")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the node's VM instead of stopping it")
    args = parser.parse_args(argv)
    with bench_database() as mongo_uri:
        return run(args.reports, args.kill, mongo_uri)


if __name__ == "__main__":
    sys.exit(main())
