"""Throughput at the deadline: the figures of `make bench`, each beside the raw broker's.

Starts its own isolated platform (the four services as processes, a vhost and databases
of their own, demo mode), spreads units over clusters as a province does, and prints in
the same run:

- the raw broker: plain kombu publishing persistent messages with a confirm for each;
- the scoring engine alone (``bench/recompute.py``, before the platform starts): a 20-unit
  cluster's recompute, and how its time grows from 2,000 to 20,000 units;
- P1 steady: ``--rate`` reports/s for ``--seconds`` over 100 clusters of 16 units (POST
  p50/p99, in the ranking p99, in the cluster lead's inbox p99), then over 20 clusters of
  80 units (the ranking p99);
- P2 deadline: ``--burst`` reports from ``--threads`` threads over ``--burst-clusters``
  clusters (accept rate, all ranked within, all in the leads' inboxes within, 5xx count,
  duplicate notices), the RSS of each service, the embedded database server's CPU per report
  during the burst, each process's CPU per report and how many of the machine's cores they kept
  busy together, then the same burst with two replicas each of ranking and notifications;
- bytes stored per report (growth of the databases' ``dataSize``) for 16- and 80-unit
  clusters, and their ratio;
- snapshots written per report and per cluster (coalesced recomputes).

Latencies are read back from the servers' own timestamps (the snapshot's ``computed_at``,
the inbox item's ``created_at``) against the moment the POST was sent: one machine, one
clock. Prints figures; asserts nothing. Needs the broker up (`make infra`); the database is
``MONGO_URI`` or, unset, a freshly started embedded server of its own, so the figures do not
depend on how long the shared one has run (README, Benchmarks).

    .venv/bin/python bench/throughput.py            # the full run
    .venv/bin/python bench/throughput.py --quick    # a smaller run of every figure
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests
from kombu import Connection, Producer, Queue
from pymongo import MongoClient, monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.recompute import python_reference, timings as engine_timings  # noqa: E402
from scripts.launcher import IsolatedPlatform, bench_database, queue_depths, queue_names  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from thidua.caller import as_system  # noqa: E402
from bench.flow_latency import open_runs  # noqa: E402

PERIOD = "2021-Q3"        # the bench's own quarter, due a month from now (plan_on_time)
SERVICES = ("submissions", "ranking", "notifications", "gateway")
CHUNK = 400               # reference data loaded per call
RETRIES = 30              # answers a poster waits through (503, no answer) before it gives up on a report


def plan_on_time(url, days=30):
    """Plan the bench's quarter (``PERIOD``, of 2021, the bench clusters' year) with its deadline
    ``days`` from now, so that every report is handed in on time, as in the burst before a real
    deadline. The demo's open quarter (2021-Q2) passed its deadline in 2021: on it every report
    was late (one more read, and two more people told: the standing office and the chair) and
    every unit of every loaded cluster got a missed-deadline reminder, thousands of them in the
    minute after a load, whatever step was being measured then."""
    deadline = datetime.now(timezone.utc) + timedelta(days=days)
    body = {"code": PERIOD, "kind": "quarter", "year": 2021, "label": "Quý III/2021",
            "starts_on": "2021-07-01T00:00:00+07:00", "ends_on": "2021-09-30T23:59:59+07:00",
            "deadline": deadline.isoformat(timespec="seconds"), "template": {"id": "TCTD-CAT-2021", "version": 1},
            "illustrative_dates": True}
    response = requests.post(f"{url}/api/v1/periods", data=json.dumps(body), timeout=60,
                             headers={"Content-Type": "application/json", "X-Actor": "trung.th"})
    assert response.status_code in (200, 201), response.text


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


class Province:
    """Units spread over clusters, one officer per unit and one leader per cluster's lead unit."""

    def __init__(self, prefix, clusters, per_cluster):
        self.clusters = {f"{prefix}{c:03d}": [f"{prefix}{c:03d}U{u:02d}" for u in range(per_cluster)]
                         for c in range(clusters)}
        self.cluster_of = {unit: code for code, units in self.clusters.items() for unit in units}
        self.units = list(self.cluster_of)

    def reference(self, posting):
        """Units and clusters, and people only for the units that will post (and the leads)."""
        clusters = [{"code": code, "name": f"Cụm đo hiệu năng {code}", "level": "province", "year": 2021,
                     "members": [{"unit": u, "role": "lead" if i == 0 else "member"} for i, u in enumerate(units)]}
                    for code, units in self.clusters.items()]
        people = [{"id": officer(u), "name": f"Cán bộ {u}", "role": "unit_officer", "unit": u} for u in posting] + \
                 [{"id": lead_of(code), "name": f"Cụm trưởng {code}", "role": "unit_leader", "unit": units[0]}
                  for code, units in self.clusters.items()]
        return {"units": [{"code": u, "name": f"Đơn vị {u}", "type": "department"} for u in self.units],
                "clusters": clusters, "people": people}

    def interleaved(self):
        """The units in the order reports come in: round the clusters, as a deadline does."""
        columns = list(self.clusters.values())
        return [units[i] for i in range(max(map(len, columns))) for units in columns if i < len(units)]


def officer(unit):
    return f"bench.{unit}"


def lead_of(cluster):
    """The leader of the cluster's lead unit (cụm trưởng): told of every report handed in."""
    return f"bench.lead.{cluster}"


def load(platform, province, posting):
    data = province.reference(posting)
    for name in ("units", "clusters", "people"):
        for start in range(0, len(data[name]), CHUNK):
            # A fresh credential for each call: a long load outlives one.
            with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=600,
                                 context_data={"caller": as_system("bench", platform.env)}) as cluster:
                cluster.submissions.load_reference_data({name: data[name][start:start + CHUNK]})


class Poster:
    """POSTs reports and keeps, per report, when it was first sent, how long until it was taken and
    every answer's status. A 503 or a dropped connection is sent again with the same
    Idempotency-Key, as a client does (README, Faults): each counts among the 5xx all the same."""

    def __init__(self, platform):
        self.platform, self.local = platform, threading.local()
        self.sent, self.answered, self.statuses, self.report_unit = {}, {}, [], {}
        self.failures = []      # (when, status, the error's message) of each 5xx answer

    def post(self, unit):
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        body = json.dumps({"unit": unit, "period": PERIOD, "values": {"C1.1": {"actual": 50 + hash(unit) % 60}},
                           "self_scores": {"C1.1": 10}})
        headers = {"Content-Type": "application/json", "X-Actor": officer(unit), "Idempotency-Key": f"bench-{unit}"}
        sent = self.sent[unit] = time.time()
        for _ in range(RETRIES):
            try:
                response = session.post(f"{self.platform.url}/api/v1/reports", data=body, timeout=60, headers=headers)
                status = response.status_code
            except requests.RequestException as exc:
                status, response = 599, exc   # no answer at all counts with the 5xx
            self.statuses.append(status)
            if status >= 500:
                self.failures.append((time.time(), status, failure(response)))
            if status not in (503, 599):
                break
            time.sleep(1.0)
        self.answered[unit] = time.time() - sent
        if status == 201:
            self.report_unit[f"/api/v1/reports/{response.json()['id']}"] = unit


def failure(answer):
    """What a 5xx answer said, its numbers taken out so that equal causes count together (the
    gateway's 503s differ by cause: no worker free, the request's deadline passed, a service
    that did not answer in time, the database or the broker down)."""
    if isinstance(answer, Exception):
        return type(answer).__name__
    try:
        message = answer.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = answer.text[:80]
    return re.sub(r"\d+(\.\d+)?", "N", message.split(";")[0])


class Watch:
    """While a step runs: the largest resident set of each service process, and every half second
    the CPU each process (the database server's too, as ``database``) has used so far, so the
    moments a 5xx or a slow answer came can be matched with what was busy then."""

    def __init__(self, platform):
        self.platform, self.peak, self.cpu, self._stop = platform, {}, [], threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        database = database_pid(self.platform.mongo_uri)
        while not self._stop.wait(0.5):
            used = {"database": None if database is None else process_cpu(database)}
            for name, process in list(self.platform.processes.items()):
                try:
                    status = Path(f"/proc/{process.pid}/status").read_text()
                    used[name] = process_cpu(process.pid)
                except OSError:
                    continue
                kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
                self.peak[name] = max(self.peak.get(name, 0), kb / 1024)
            self.cpu.append((time.time(), used))

    def used(self, start=0.0, end=float("inf")):
        """(seconds, {process: CPU seconds it used}) between the first and the last sample taken from
        ``start`` to ``end`` (epoch seconds; the whole step by default); (0, {}) without two samples."""
        inside = [(at, used) for at, used in self.cpu if start <= at <= end]
        if len(inside) < 2:
            return 0.0, {}
        (first, before), (last, after) = inside[0], inside[-1]
        return last - first, {name: after[name] - before[name] for name in after
                              if after.get(name) is not None and before.get(name) is not None}

    def busy(self, start, end):
        """{process: share of a core it used between ``start`` and ``end``} (epoch seconds), busiest first."""
        seconds, used = self.used(start, end)
        shares = {name: cpu / seconds for name, cpu in used.items()}
        return dict(sorted(shares.items(), key=lambda item: -item[1]))


def process_cpu(pid):
    """CPU seconds used so far by process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_pid(mongo_uri):
    """The process of the embedded database server of ``mongo_uri`` (found by its port among this
    machine's processes), or None for any other server."""
    port = urlsplit(mongo_uri).port or 27017
    found = subprocess.run(["pgrep", "-f", f"secantusd-py .*--port {port}( |$)"], capture_output=True, text=True)
    return found.stdout.split()[0] if found.stdout.split() else None


def database_cpu(mongo_uri):
    """CPU seconds used so far by the embedded database server of ``mongo_uri``, or None for any other server."""
    pid = database_pid(mongo_uri)
    return None if pid is None else process_cpu(pid)


class Sent(monitoring.CommandListener):
    """Counts the commands a client sent."""

    def __init__(self):
        self.count = 0

    def started(self, event):
        self.count += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


class Readback:
    """What the servers wrote, read from the platform's databases after a phase."""

    def __init__(self, platform):
        self.sent = Sent()
        self.client = MongoClient(platform.mongo_uri, tz_aware=True, event_listeners=[self.sent])
        self.dbs = {name: self.client[platform.database_name(name)] for name in SERVICES}

    def platform_requests(self):
        """Requests the database server has answered so far, less those of this bench's own reads;
        None if the server does not count them (serverStatus ``network.numRequests``)."""
        answered = self.client.admin.command("serverStatus").get("network", {}).get("numRequests")
        return None if answered is None else answered - self.sent.count

    def data_size(self):
        return sum(db.command("dbStats")["dataSize"] for db in self.dbs.values())

    def ranked_at(self, clusters):
        """unit -> the time of the first snapshot that has it; and the number of snapshots."""
        first, count = {}, 0
        for snapshot in self.dbs["ranking"].snapshots.find(
                {"cluster": {"$in": list(clusters)}, "period": PERIOD},
                {"table.unit": 1, "computed_at": 1}).sort("version", 1):
            count += 1
            for row in snapshot["table"]:
                first.setdefault(row["unit"], snapshot["computed_at"].timestamp())
        return first, count

    def notified_at(self, leads):
        """report link -> the times its report.submitted notices reached the leads' inboxes."""
        times = {}
        for item in self.dbs["notifications"].inbox.find({"person": {"$in": list(leads)}, "kind": "report.submitted"},
                                                         {"link": 1, "created_at": 1}):
            times.setdefault(item["link"], []).append(item["created_at"].timestamp())
        return times

    def settled(self, province, poster, timeout):
        """Waits until every accepted report is ranked and in its lead's inbox (or ``timeout``)."""
        deadline = time.time() + timeout
        expected = set(poster.report_unit.values())
        while time.time() < deadline:
            ranked, _ = self.ranked_at(province.clusters)
            notified = self.notified_at(lead_of(c) for c in province.clusters)
            if expected <= set(ranked) and set(poster.report_unit) <= set(notified):
                return True
            time.sleep(1.0)
        return False


def raw_broker_rate(platform, count):
    """Plain kombu: persistent messages, each confirmed by the broker, to one durable queue."""
    queue = Queue("bench-raw", durable=True)
    body = {"payload": "x" * 800}
    with Connection(platform.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = Producer(channel, serializer="json")
        start = time.perf_counter()
        for _ in range(count):
            producer.publish(body, routing_key=queue.name, delivery_mode=2)
        rate = count / (time.perf_counter() - start)
        queue(channel).delete()
    return rate


def drained(platform, timeout=900, quiet=3.0):
    """Wait until no queue of the platform's vhost holds a message for ``quiet`` seconds: what a
    step before left (the directory events of the province's load, thousands of them) is handled
    before the next step is measured. Returns the seconds waited."""
    start, since = time.time(), None
    while time.time() - start < timeout:
        waiting = sum(queue_depths(platform.amqp_uri, queue_names(platform.vhost, platform.management)).values())
        since = (since or time.time()) if waiting == 0 else None
        if since and time.time() - since >= quiet:
            break
        time.sleep(0.5)
    return time.time() - start


def steady(platform, readback, province, rate, seconds):
    """``rate`` reports/s for ``seconds``, sent on a clock (a slow answer never delays the next)."""
    drained(platform)
    poster, units = Poster(platform), province.interleaved()[: int(rate * seconds)]
    before = readback.data_size()
    with Watch(platform) as watch:
        start = time.time()
        with ThreadPoolExecutor(32) as pool:
            for i, unit in enumerate(units):
                time.sleep(max(0.0, start + i / rate - time.time()))
                pool.submit(poster.post, unit)
        readback.settled(province, poster, timeout=120)
    return poster, readback.data_size() - before, watch


def burst(platform, readback, province, count, threads):
    drained(platform)
    poster, units = Poster(platform), province.interleaved()[:count]
    before, cpu, requests_before = readback.data_size(), database_cpu(platform.mongo_uri), readback.platform_requests()
    with Watch(platform) as watch:
        start = time.time()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(poster.post, units))
        accepted = time.time() - start
        complete = readback.settled(province, poster, timeout=600)
    cpu = None if cpu is None else database_cpu(platform.mongo_uri) - cpu
    requests_after = readback.platform_requests()
    asked = None if None in (requests_before, requests_after) else requests_after - requests_before
    return poster, watch, accepted, complete, readback.data_size() - before, cpu, asked


def latencies(readback, province, poster):
    ranked, snapshots = readback.ranked_at(province.clusters)
    notified = readback.notified_at(lead_of(c) for c in province.clusters)
    in_ranking = [ranked[u] - poster.sent[u] for u in poster.report_unit.values() if u in ranked]
    in_inbox = [min(notified[link]) - poster.sent[unit] for link, unit in poster.report_unit.items() if link in notified]
    duplicates = sum(len(times) - 1 for times in notified.values())
    return in_ranking, in_inbox, snapshots, duplicates


class Table:
    def __init__(self, raw):
        self.raw, self.rows = raw, []

    def add(self, what, value, unit="", per_second=None, target=""):
        ratio = f"{per_second / self.raw:.3f}" if per_second else ""
        shown = value if isinstance(value, str) else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
        self.rows.append((what, f"{shown} {unit}".strip(), ratio, target))
        print(f"  {what:<58} {shown:>10} {unit:<8} {ratio:>7}  {target}", flush=True)

    def markdown(self):
        lines = ["| figure | measured | ratio to raw | target |", "|---|---|---|---|"]
        return "\n".join(lines + [f"| {w} | {v} | {r} | {t} |" for w, v, r, t in self.rows])


def ms(seconds):
    return seconds * 1000


def report_steady(table, label, readback, province, poster, grown, watch, full):
    in_ranking, in_inbox, snapshots, _ = latencies(readback, province, poster)
    sent = len(poster.report_unit)
    first = min(poster.sent.values())
    slowest = sorted(poster.answered, key=poster.answered.get)[-5:]   # a tail is often one moment: when, and what was busy
    table.add(f"{label}: the 5 slowest POSTs, sent at", ", ".join(
        f"{poster.sent[u] - first:.0f} s ({ms(poster.answered[u]):.0f} ms)" for u in reversed(slowest)))
    worst = slowest[-1]     # the samples are half a second apart: a second either side
    busy = watch.busy(poster.sent[worst] - 1, poster.sent[worst] + poster.answered[worst] + 1)
    table.add(f"{label}: CPU around the slowest POST (share of a core)",
              ", ".join(f"{name} {share:.2f}" for name, share in busy.items()))
    if full:
        table.add(f"{label}: POST p50", ms(statistics.median(poster.answered.values())), "ms", target="≤ 40 ms")
        table.add(f"{label}: POST p99", ms(percentile(poster.answered.values(), 0.99)), "ms", target="≤ 150 ms")
        table.add(f"{label}: in the lead's inbox p99", ms(percentile(in_inbox, 0.99)), "ms", target="≤ 300 ms")
    table.add(f"{label}: in the ranking p50", ms(statistics.median(in_ranking or [float("nan")])), "ms")
    table.add(f"{label}: in the ranking p99", ms(percentile(in_ranking, 0.99)), "ms",
              target="≤ 300 ms" if full else "≤ 1 s")
    table.add(f"{label}: snapshots per report", snapshots / max(sent, 1), "")
    table.add(f"{label}: bytes stored per report", grown / max(sent, 1), "B")
    return grown / max(sent, 1)


def failure_times(poster, first):
    """{(status, message): [seconds after the first POST]} of the 5xx answers."""
    times = defaultdict(list)
    for when, status, why in poster.failures:
        times[status, why].append(when - first)
    return times


def report_burst(table, label, readback, province, result, raw):
    poster, watch, accepted, complete, grown, cpu, asked = result
    in_ranking, in_inbox, snapshots, duplicates = latencies(readback, province, poster)
    first = min(poster.sent.values())
    count = len(poster.sent)
    ranked_within = max(poster.sent[u] + t for u, t in zip(poster.report_unit.values(), in_ranking)) - first \
        if in_ranking else float("nan")
    table.add(f"{label}: accepted", count / accepted, "/s", per_second=count / accepted, target="≥ 150/s, ≥ 0.1")
    table.add(f"{label}: all ranked within", ranked_within if complete else float("nan"), "s", target="≤ 60 s")
    last_notice = max((poster.sent[u] + t for u, t in zip(poster.report_unit.values(), in_inbox)), default=first)
    table.add(f"{label}: all in the leads' inboxes within", last_notice - first if complete else float("nan"),
              "s", target="≤ 90 s")
    table.add(f"{label}: ranked per second", len(in_ranking) / ranked_within if in_ranking else 0.0, "/s",
              per_second=len(in_ranking) / ranked_within if in_ranking else None)
    failed = Counter(s for s in poster.statuses if s >= 500)    # 599: no answer at all
    table.add(f"{label}: 5xx answers (each sent again)",
              f"{sum(failed.values())}" + (f" ({', '.join(f'{n} x {s}' for s, n in sorted(failed.items()))})"
                                           if failed else ""), target="0")
    for (status, why), times in sorted(failure_times(poster, first).items()):
        table.add(f"{label}: {status}: {why}", f"{len(times)} between {min(times):.0f} and {max(times):.0f} s")
    if poster.failures:     # what was busy from 10 s before the first 5xx to the last
        busy = watch.busy(min(w for w, _, _ in poster.failures) - 10, max(w for w, _, _ in poster.failures))
        table.add(f"{label}: CPU while the 5xx came (share of a core)",
                  ", ".join(f"{name} {share:.2f}" for name, share in busy.items()))
    table.add(f"{label}: POST p50 / p99 / max", " / ".join(
        f"{ms(x):.0f}" for x in (statistics.median(poster.answered.values()),
                                 percentile(poster.answered.values(), 0.99), max(poster.answered.values()))) + " ms")
    table.add(f"{label}: not accepted (4xx)", str(sum(400 <= s < 500 for s in poster.statuses)), target="0")
    table.add(f"{label}: given up (no 201 after {RETRIES} answers)", str(len(poster.sent) - len(poster.report_unit)),
              target="0")
    table.add(f"{label}: duplicate notices", str(duplicates), target="0")
    table.add(f"{label}: reports ranked / accepted", f"{len(in_ranking)}/{len(poster.report_unit)}")
    table.add(f"{label}: snapshots per cluster", snapshots / len(province.clusters), "")
    table.add(f"{label}: bytes stored per report", grown / max(count, 1), "B")
    if cpu is not None:     # what bounds the rate on the embedded server (README, Throughput)
        table.add(f"{label}: database server CPU per report", cpu / max(len(poster.report_unit), 1) * 1000, "ms")
    if asked is not None:   # what that CPU is spent on: each command costs the server about as much
        table.add(f"{label}: database commands per report (every service)",
                  asked / max(len(poster.report_unit), 1), "")
    seconds, used = watch.used()
    if used:    # every command costs the service that sends it too; the machine's cores bound the sum
        table.add(f"{label}: CPU per report of each process", ", ".join(
            f"{name} {cpu_seconds / max(len(poster.report_unit), 1) * 1000:.1f}" for name, cpu_seconds in
            sorted(used.items(), key=lambda item: -item[1])) + " ms")
        table.add(f"{label}: cores the platform kept busy (of {os.cpu_count()})", f"{sum(used.values()) / seconds:.2f}")
    for name, mb in sorted(watch.peak.items()):
        table.add(f"{label}: RSS {name}", mb, "MB", target="≤ 150 MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every figure, on a smaller load")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--burst", type=int)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--burst-clusters", type=int)
    parser.add_argument("--small-clusters", type=int, help="P1's clusters of 16 units (100; --quick 20)")
    parser.add_argument("--large-clusters", type=int, help="P1's clusters of 80 units (20; --quick 4)")
    parser.add_argument("--raw", type=int, default=2000, help="messages for the raw broker's rate")
    parser.add_argument("--no-replicas", action="store_true", help="skip the burst with two replicas")
    args = parser.parse_args()
    seconds = args.seconds or (10 if args.quick else 60)
    count = args.burst or (1000 if args.quick else 5000)
    burst_clusters = args.burst_clusters or (60 if args.quick else 300)
    per_burst_cluster = -(-count // burst_clusters)
    small = Province("S", args.small_clusters or (20 if args.quick else 100), 16)
    large = Province("L", args.large_clusters or (4 if args.quick else 20), 80)
    bursts = [Province("P", burst_clusters, per_burst_cluster)] + \
        ([] if args.no_replicas else [Province("R", burst_clusters, per_burst_cluster)])
    # The engine alone first, on a quiet machine: no platform, no database yet.
    engine = {units: seconds for units, seconds, _, _ in engine_timings([20, 2000, 20000])}
    with tempfile.TemporaryDirectory() as logs, bench_database() as mongo_uri, \
            IsolatedPlatform(logs, mongo_uri=mongo_uri) as platform:
        started = time.time()
        plan_on_time(platform.url)
        for province, posting in ((small, int(args.rate * seconds)), (large, int(args.rate * seconds)),
                                  *((b, count) for b in bursts)):
            load(platform, province, province.interleaved()[:posting])
            open_runs(platform.url, PERIOD)
        readback = Readback(platform)
        loaded = time.time() - started
        print(f"platform ready; {sum(len(p.units) for p in (small, large, *bursts)):,} units loaded in "
              f"{loaded:.0f} s, the services caught up with the load {drained(platform):.0f} s later; "
              f"{os.cpu_count()} cores", flush=True)
        raw = raw_broker_rate(platform, args.raw)
        table = Table(raw)
        table.add("raw broker: persistent publishes confirmed", raw, "/s", per_second=raw)
        table.add("Python reference (bench/recompute.py; lower is faster)", python_reference(), "ms")
        table.add("engine (bench/recompute.py): 20 units x 40 criteria", ms(engine[20]), "ms", target="≤ 2 ms")
        table.add("engine: 2,000 -> 20,000 units, time grows", engine[20000] / engine[2000], "x", target="≤ 11 x")
        per_report = [report_steady(table, f"P1 {args.rate:g}/s x {seconds:g} s, {len(small.clusters)} x 16", readback, small,
                                    *steady(platform, readback, small, args.rate, seconds), full=True),
                      report_steady(table, f"P1 {args.rate:g}/s x {seconds:g} s, {len(large.clusters)} x 80", readback, large,
                                    *steady(platform, readback, large, args.rate, seconds), full=False)]
        table.add("bytes per report, 80- over 16-unit clusters", per_report[1] / per_report[0], "", target="≤ 2")
        label = f"P2 {count} from {args.threads} threads, {burst_clusters} clusters"
        report_burst(table, label, readback, bursts[0], burst(platform, readback, bursts[0], count, args.threads), raw)
        if not args.no_replicas:
            platform.start("ranking-2", service="ranking")
            platform.start("notifications-2", service="notifications")
            time.sleep(10)    # the replicas connect and consume
            report_burst(table, f"{label}, 2 x ranking & notifications", readback, bursts[1],
                         burst(platform, readback, bursts[1], count, args.threads), raw)
        print("\n" + table.markdown())


if __name__ == "__main__":
    main()
