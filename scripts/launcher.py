"""Set up and run the platform on one machine, without Docker.

    python -m scripts.launcher infra   # RabbitMQ reachable, embedded MongoDB-compatible server up
    python -m scripts.launcher run     # infra + the four services + demo data; returns when healthy
    python -m scripts.launcher stop    # stops what ``run`` started; nothing is left running
    python -m scripts.launcher test [pytest args]   # infra, the whole test suite (then the browser
                                                    # tests, in their own process), then stops what it started

RabbitMQ: ``AMQP_URI`` is used if it answers; otherwise a locally installed broker
is started (``rabbitmq-server -detached``); otherwise, as root on a Debian-like
machine, it is installed with apt-get. The management plugin is enabled (the
dead-letter tools and nameko's test fixtures use its API).

Chromium (for the browser tests of ``test``): ``CHROMIUM_PATH``, else Debian's
``chromium`` package, installed with apt-get as root when missing.

MongoDB: if ``MONGO_URI`` is set, it is used as it is. Otherwise the embedded
MongoDB-compatible server (SecantusDB) runs as its own process on
``EMBEDDED_MONGO_PORT`` (27027) with its data under ``.run/mongo-data``.
"""
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".run"
VENV_BIN = Path(sys.executable).parent
SERVICES = ("submissions", "ranking", "notifications", "gateway")  # consumers before producers
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
EMBEDDED_PORT = int(os.environ.get("EMBEDDED_MONGO_PORT", "27027"))
EMBEDDED_URI = f"mongodb://127.0.0.1:{EMBEDDED_PORT}/?retryWrites=false"


def say(message):
    print(f"[thidua] {message}", flush=True)


def port_open(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"[thidua] gave up waiting {seconds}s for {what}")


# --- RabbitMQ -----------------------------------------------------------------

def ensure_rabbitmq():
    uri = os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)
    parts = urlsplit(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if not port_open(host, port):
        if host not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"[thidua] RabbitMQ at {host}:{port} (AMQP_URI) does not answer; start it or "
                             "unset AMQP_URI to use a local broker.")
        if not shutil.which("rabbitmq-server"):
            install_rabbitmq()
        say("starting the local RabbitMQ (rabbitmq-server -detached)")
        subprocess.run(["rabbitmq-server", "-detached"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(host, port), 120, f"RabbitMQ on {host}:{port}")
    if host in ("127.0.0.1", "localhost") and not port_open(host, 15672):
        if shutil.which("rabbitmq-plugins"):
            say("enabling the RabbitMQ management plugin")
            subprocess.run(["rabbitmq-plugins", "enable", "rabbitmq_management"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: port_open(host, 15672), 60, "the RabbitMQ management API on port 15672")
    say(f"RabbitMQ answers at {host}:{port}")
    return uri


def install_rabbitmq():
    apt_install("rabbitmq-server", "RabbitMQ", "or point AMQP_URI at a running broker")


def apt_install(package, what, otherwise):
    """Install a Debian package, as root on a machine with apt-get; else say how to get it."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"[thidua] {what} is not installed. Install it (Debian/Ubuntu: "
                         f"sudo apt-get install -y {package}), {otherwise}.")
    say(f"installing {what} with apt-get (one time)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, env=env)


# --- the browser of the web pages' tests ----------------------------------------

def ensure_chromium():
    """The path of a headless Chromium for the browser tests: ``CHROMIUM_PATH`` if set, else
    Debian's ``chromium`` package, installed if missing (Playwright drives it; it never
    downloads a browser of its own)."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        apt_install("chromium", "Chromium (for the browser tests)", "or set CHROMIUM_PATH to a Chromium binary")
        path = shutil.which("chromium")
    say(f"browser tests use {path}")
    return path


def ensure_prometheus():
    """The path of Prometheus for the metrics test (a real one scrapes the services): ``PROMETHEUS_PATH``
    if set, else Debian's ``prometheus`` package (with ``promtool``), installed if missing."""
    path = os.environ.get("PROMETHEUS_PATH") or shutil.which("prometheus")
    if not path:
        apt_install("prometheus", "Prometheus (for the metrics tests)", "or set PROMETHEUS_PATH")
        path = shutil.which("prometheus")
    return path


# --- MongoDB ------------------------------------------------------------------

def start_embedded(port, path, log):
    """An embedded MongoDB-compatible server (SecantusDB) on ``port`` with its data in ``path``."""
    process = subprocess.Popen(
        [str(VENV_BIN / "secantusd-py"), "--host", "127.0.0.1", "--port", str(port),
         "--storage-path", str(path), "--log-level", "WARNING"],
        stdout=log, stderr=log, start_new_session=True)
    wait_for(lambda: port_open("127.0.0.1", port), 60, f"the embedded database on port {port}")
    return process


class EmbeddedServer:
    """An embedded database server of one harness's own, on a free port with its data in
    ``directory``: started and stopped at will (a fault harness stops it on purpose)."""

    def __init__(self, directory):
        self.directory, self.port, self.process = Path(directory), free_port(), None
        self.uri = f"mongodb://127.0.0.1:{self.port}/?retryWrites=false"

    def start(self):
        with open(self.directory / "mongo.log", "ab") as log:    # the server keeps its own copy
            self.process = start_embedded(self.port, self.directory / "mongo-data", log)
        return self

    def stop(self):
        stop_pids([self.process.pid])
        self.process.wait(timeout=30)


@contextlib.contextmanager
def bench_database():
    """The MONGO_URI a benchmark's platform uses: ``MONGO_URI`` when set (a real MongoDB, say),
    else a freshly started embedded server of its own, stopped at the end. A fresh one because the
    embedded server slows down over its life (README, Benchmarks): on a long-lived one a bench
    measures how many test runs came before it as much as the code."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    with tempfile.TemporaryDirectory(prefix="thidua-bench-db-") as directory:
        server = EmbeddedServer(directory).start()
        try:
            yield server.uri
        finally:
            server.stop()


def ensure_mongo():
    """The MONGO_URI to use, and whether this call started the embedded server."""
    if os.environ.get("MONGO_URI"):
        say(f"using MONGO_URI={os.environ['MONGO_URI']}")
        return os.environ["MONGO_URI"], False
    if port_open("127.0.0.1", EMBEDDED_PORT):
        say(f"embedded MongoDB-compatible server already answers on port {EMBEDDED_PORT}")
        return EMBEDDED_URI, False
    RUN.mkdir(exist_ok=True)
    (RUN / "logs").mkdir(exist_ok=True)
    log = open(RUN / "logs" / "mongo.log", "ab")
    process = start_embedded(EMBEDDED_PORT, RUN / "mongo-data", log)
    (RUN / "mongo.pid").write_text(str(process.pid))
    say(f"embedded MongoDB-compatible server (SecantusDB) started on port {EMBEDDED_PORT}, data in .run/mongo-data")
    return EMBEDDED_URI, True


# --- services -----------------------------------------------------------------

def service_env(amqp_uri, mongo_uri, extra=None):
    env = {**os.environ, "AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri,
           "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.update(extra or {})
    return env


def service_command(name):
    return [str(VENV_BIN / "nameko"), "run", "--config", f"services/{name}/config.yml", f"services.{name}.service"]


def start_service(name, env, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen(service_command(name), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def health(base_url, timeout=3.0):
    try:
        with urllib.request.urlopen(f"{base_url}/health", timeout=timeout) as response:
            return json.load(response)
    except Exception:
        return None


def wait_healthy(base_url, seconds=90):
    wait_for(lambda: (health(base_url) or {}).get("status") == "ok", seconds, f"{base_url}/health to say ok")


def stop_pids(pids, grace=15.0):
    """SIGTERM each process group at once, wait for all, SIGKILL what is left after ``grace``."""
    def alive(pid):
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child, or it lingers as a zombie
        except ChildProcessError:
            pass
        try:
            os.killpg(pid, 0)
            return True
        except ProcessLookupError:
            return False

    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if alive(pid):
            say(f"process group {pid} ignored SIGTERM for {grace}s; killing it")
            os.killpg(pid, signal.SIGKILL)


class IsolatedPlatform:
    """The four services as separate processes in a RabbitMQ vhost and databases of their own.

    For end-to-end tests and benchmarks: it shares the broker and the database server
    with anything else running, but none of their queues or data.
    """

    def __init__(self, logs, mongo_uri=None, management_uri=None, **env):
        import uuid
        self.id = uuid.uuid4().hex[:10]
        self.vhost = f"iso-{os.getpid()}-{self.id}"    # the pid: remove_stale_vhosts knows its owner
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"
        self.mongo_uri = mongo_uri or os.environ.get("MONGO_URI") or EMBEDDED_URI
        self.management = management_uri or default_management_uri()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = Path(logs)
        self.processes = {}
        self.env = service_env(self.amqp_uri, self.mongo_uri, {
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}", "DEMO_MODE": "true",
            **{name: os.environ.get(name) or new_secret() for name in SECRETS},
            **{f"{name.upper()}_DB": self.database_name(name) for name in SERVICES}, **env})

    def database_name(self, service):
        return f"i{self.id}_{service}"

    def __enter__(self):
        create_vhost(self.vhost, self.management)
        try:
            for name in SERVICES:
                self.start(name)
            wait_healthy(self.url, 60)
        except BaseException:
            self.__exit__()
            raise
        from scripts import demo
        demo.load(self.amqp_uri, self.env["BALLOT_SEAL_KEY"], self.env["SERVICE_SECRET"])
        return self

    def __exit__(self, *exc):
        self.stop(*self.processes)
        delete_vhost(self.vhost, self.management)
        import pymongo
        client = pymongo.MongoClient(self.mongo_uri)
        for name in SERVICES:   # by name: the embedded server has been seen to stop answering the listing
            client.drop_database(self.database_name(name))
        client.close()

    def start(self, name, service=None, **env):
        self.processes[name] = start_service(service or name, {**self.env, **env}, self.logs / f"{name}.log")
        return self.processes[name]

    def stop(self, *names):
        processes = [self.processes.pop(name) for name in names]
        stop_pids([process.pid for process in processes])
        for process in processes:
            process.wait(timeout=15)

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")


def _management(management_uri, method, path, timeout=10, **kwargs):
    import requests
    parts = urlsplit(management_uri)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    response = requests.request(method, f"{base}/api/{path}", timeout=timeout, **kwargs,
                                auth=(parts.username or "guest", parts.password or "guest"))
    response.raise_for_status()
    return response


def create_vhost(vhost, management_uri):
    """A RabbitMQ vhost of its own (queues, exchanges) for a test run or a benchmark."""
    _management(management_uri, "PUT", f"vhosts/{vhost}")
    _management(management_uri, "PUT", f"permissions/{vhost}/guest",
                json={"configure": ".*", "write": ".*", "read": ".*"})


def delete_vhost(vhost, management_uri):
    _management(management_uri, "DELETE", f"vhosts/{vhost}")


def queue_names(vhost, management_uri):
    """The names of the queues of ``vhost`` (their depths: :func:`queue_depths`)."""
    from urllib.parse import quote
    return [q["name"] for q in _management(management_uri, "GET", f"queues/{quote(vhost, safe='')}").json()]


def queue_depths(amqp_uri, names):
    """``{name: messages waiting}``, each read with a passive declare: exact at once, where the
    management API's figures lag by up to its refresh interval (5 s)."""
    from kombu import Connection
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        return {name: channel.queue_declare(name, passive=True).message_count for name in names}


def default_management_uri():
    return os.environ.get("RABBIT_MANAGEMENT_URI", "http://127.0.0.1:15672")


def remove_stale_vhosts(management_uri):
    """Delete the vhosts of isolated platforms whose process is gone (a run killed before its
    teardown): their queues would otherwise stay on the broker for good. Says when the
    management API does not answer, rather than letting every test wait on it."""
    import requests
    try:
        response = _management(management_uri, "GET", "vhosts", timeout=20)
    except requests.RequestException as exc:
        raise SystemExit(f"[thidua] the RabbitMQ management API does not answer ({exc}); the tests make "
                         "their vhosts through it. Restart the broker (rabbitmqctl stop_app; "
                         "rabbitmqctl start_app) and try again.") from exc
    for vhost in (v["name"] for v in response.json()):
        owner = vhost.split("-")[1] if vhost.startswith("iso-") and vhost.count("-") == 2 else ""
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            say(f"removing vhost {vhost}, left by a run that was stopped before it cleaned up")
            delete_vhost(vhost, management_uri)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_secret():
    return secrets.token_urlsafe(48)


SECRETS = ("TOKEN_SECRET", "SERVICE_SECRET", "SUBMISSIONS_EVENT_KEY", "RANKING_EVENT_KEY", "BALLOT_SEAL_KEY")


def local_secrets():
    """This machine's own secrets for ``make run`` (or those of the environment): made once and kept
    in ``.run/`` (0600), so sign-ins and events survive a restart and no two machines share them."""
    return {name: os.environ.get(name) or local_secret(name.lower().replace("_", "-")) for name in SECRETS}


def local_secret(name):
    path = RUN / name
    if not path.exists():
        RUN.mkdir(exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(new_secret())
    return path.read_text().strip()


def gateway_url():
    address = os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8080")
    host, port = address.rsplit(":", 1)
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"


def run():
    amqp_uri = ensure_rabbitmq()
    mongo_uri, _ = ensure_mongo()
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    env = service_env(amqp_uri, mongo_uri, {"DEMO_MODE": os.environ.get("DEMO_MODE", "true"),
                                            "GATEWAY_ADDRESS": os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8080"),
                                            **local_secrets()})
    stop_services()
    if env.get("QUEUE_TYPE", "quorum") == "quorum":
        # Classic queues left by an older version would stop the services at start (RabbitMQ refuses
        # to declare a queue again with other arguments): convert them, messages kept, while none runs.
        subprocess.run([str(VENV_BIN / "python"), "-m", "thidua.queues", "upgrade"], cwd=ROOT, env=env, check=True)
    # The supervisor starts the services and starts again any that exits, with backoff.
    pairs = [json.dumps([name, service_command(name)]) for name in SERVICES]
    supervisor = subprocess.Popen([str(VENV_BIN / "python"), "-m", "scripts.supervisor", *pairs], cwd=ROOT,
                                  env={**env, "THIDUA_RUN_DIR": str(RUN)}, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=open(RUN / "logs" / "supervisor.log", "ab"))
    (RUN / "supervisor.pid").write_text(str(supervisor.pid))
    say(f"started {', '.join(SERVICES)} under a supervisor (pid {supervisor.pid}) that restarts any that exits; "
        "logs in .run/logs/")
    base = gateway_url()
    wait_healthy(base)
    from scripts import demo
    counts = demo.load(amqp_uri, env["BALLOT_SEAL_KEY"], env["SERVICE_SECRET"])
    say(f"demo data loaded: {counts}")
    say(f"the API answers at {base}/api/v1 (health: {base}/health)")
    say("try (every call but signing in needs the token; a unit officer of U02 hands in the Q2/2021 report):")
    say(f"  TOKEN=$(curl -s -X POST {base}/api/v1/auth/login -H 'Content-Type: application/json' "
        "-d '{\"person\": \"canbo.u02\", \"password\": \"thidua-demo\"}' "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')")
    say(f"  curl -s -X POST {base}/api/v1/reports -H 'Content-Type: application/json' -H \"Authorization: Bearer $TOKEN\" "
        "-d '{\"unit\": \"U02\", \"period\": \"2021-Q2\", \"values\": {\"C1.1\": {\"actual\": 100}}, "
        "\"self_scores\": {\"C1.1\": 10}}'")
    say(f"  curl -s {base}/api/v1/clusters/CUM-01/periods/2021-Q2/ranking -H \"Authorization: Bearer $TOKEN\"")
    say(f"  curl -s {base}/api/v1/clusters/CUM-01/periods/2021-Q1/summary -H \"Authorization: Bearer $TOKEN\"   "
        "# the concluded Q1/2021 of the seed")
    say("the cluster lead's inbox: sign in as hanh.ptv the same way, then "
        f"curl -s {base}/api/v1/people/hanh.ptv/inbox -H \"Authorization: Bearer $TOKEN\"")
    say("stop everything with: make stop")


def stop_services():
    """Stop the supervisor (it stops its services first), then anything left of an older run.
    Returns what was stopped."""
    stopped = []
    for group, grace in ((("supervisor",), 30.0), (SERVICES, 15.0)):
        pid_files = [RUN / f"{name}.pid" for name in group if (RUN / f"{name}.pid").exists()]
        stop_pids([int(f.read_text()) for f in pid_files], grace)
        for pid_file in pid_files:
            pid_file.unlink(missing_ok=True)
            stopped.append(pid_file.stem)
    return stopped


def stop():
    stopped = stop_services()
    if (RUN / "mongo.pid").exists():   # the database last, once nothing writes to it
        stop_pids([int((RUN / "mongo.pid").read_text())])
        (RUN / "mongo.pid").unlink()
        stopped.append("mongo")
    say(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


def test(pytest_args):
    amqp_uri = ensure_rabbitmq()
    remove_stale_vhosts(default_management_uri())
    mongo_uri, started = ensure_mongo()
    env = {**service_env(amqp_uri, mongo_uri), "CHROMIUM_PATH": ensure_chromium()}
    try:
        env["PROMETHEUS_PATH"] = ensure_prometheus()
    except SystemExit as exc:   # the metrics tests say they were skipped, and why
        say(str(exc))
    pytest = [str(VENV_BIN / "python"), "-m", "pytest"]
    # The browser tests run in a pytest process of their own, without eventlet (see conftest.py).
    browser = {**env, "THIDUA_BROWSER_TESTS": "1"}
    runs = [(pytest + list(pytest_args), browser if str(pytest_args[0]).startswith("tests/browser") else env)] \
        if pytest_args else [
        (pytest, env), (pytest + ["tests/browser", "--suppress-nameko-eventlet-notification"],
                        browser)]
    codes = []
    try:
        for command, run_env in runs:
            codes.append(subprocess.run(command, cwd=ROOT, env=run_env).returncode)
    finally:
        if started:
            stop_pids([int((RUN / "mongo.pid").read_text())])
            (RUN / "mongo.pid").unlink()
            say("stopped the embedded database this test run started")
    return next((code for code in codes if code != 0), 0)


def main(argv):
    command = argv[0] if argv else "run"
    if command == "infra":
        ensure_rabbitmq()
        ensure_mongo()
    elif command == "run":
        run()
    elif command == "stop":
        stop()
    elif command == "test":
        return test(argv[1:])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
