"""How fast a report travels: POST -> stored -> ranking updated -> the cluster lead's inbox.

Starts its own isolated platform (the four services as processes, a vhost and
databases of their own, demo mode), so it can run beside `make run`. Prints figures; asserts
nothing. Needs the broker up (`make infra`); the database is ``MONGO_URI`` or, unset, a freshly
started embedded server of its own (``scripts.launcher.bench_database``). Every read needs a
caller: the bench names one with demo mode's ``X-Actor`` header, as the tests do.

    .venv/bin/python bench/flow_latency.py [--sequential 50] [--burst 200] [--threads 8] [--clusters 20]

The units are spread over ``--clusters`` clusters (a province has many clusters of 6 to
20 units); ``--clusters 1`` puts them all in one cluster, the worst case for ranking,
which recomputes the whole cluster (coalesced: at most once per 100 ms under a burst).
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.launcher import IsolatedPlatform, bench_database  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from thidua.caller import as_system  # noqa: E402

PERIOD, READER = "2021-Q2", "thien.nh"   # the demo's open period; a provincial leader reads the rankings


def lead_of(cluster):
    """The leader of the cluster's lead unit: told of every report handed in (cụm trưởng)."""
    return f"bench.lead.{cluster}"


def cluster_of(unit, clusters):
    return f"BENCH-{int(unit[1:]) % clusters:02d}"


def load_clusters(platform, units, clusters):
    members = {}
    for unit in units:
        members.setdefault(cluster_of(unit, clusters), []).append(unit)
    data = {"units": [{"code": u, "name": f"Đơn vị {u}", "type": "department"} for u in units],
            "clusters": [{"code": code, "name": f"Cụm đo hiệu năng {code}", "level": "province", "year": 2021,
                          "members": [{"unit": u, "role": "lead" if i == 0 else "member"}
                                      for i, u in enumerate(listed)]} for code, listed in members.items()],
            "people": [{"id": f"bench.{u}", "name": f"Cán bộ {u}", "role": "unit_officer", "unit": u}
                       for u in units] +
                      [{"id": lead_of(code), "name": f"Cụm trưởng {code}", "role": "unit_leader", "unit": listed[0]}
                       for code, listed in members.items()]}
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=120,
                         context_data={"caller": as_system("bench", platform.env)}) as cluster:
        cluster.submissions.load_reference_data(data)
    open_runs(platform.url)


def open_runs(url, period=PERIOD):
    """Each cluster runs its own period: open the new clusters' runs of ``PERIOD`` (the standing
    office moves every cluster of the level at once; the ones already open answer so, and stay).
    A 503 (a level of many new clusters can outlast the request's deadline, while the moves go on)
    is asked again, as the level's move can be: the clusters already open answer so."""
    for _ in range(10):
        response = requests.post(f"{url}/api/v1/periods/{period}/transitions", timeout=120,
                                 data=json.dumps({"action": "open", "level": "province"}),
                                 headers={"Content-Type": "application/json", "X-Actor": "trung.th"})
        if response.status_code != 503:
            break
        time.sleep(float(response.headers.get("Retry-After", 2)))
    assert response.status_code == 200, response.text


def post(session, platform, unit, score):
    body = json.dumps({"unit": unit, "period": PERIOD, "values": {"C1.1": {"actual": score}},
                       "self_scores": {"C1.1": 10}})
    response = session.post(f"{platform.url}/api/v1/reports", data=body, timeout=30,
                            headers={"Content-Type": "application/json", "X-Actor": f"bench.{unit}"})
    assert response.status_code == 201, response.text
    return response.json()


def wait_until(probe, timeout=30.0, interval=0.002):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if probe():
            return time.perf_counter()
        time.sleep(interval)
    raise TimeoutError("gave up")


def ranked_units(session, platform, cluster):
    response = session.get(f"{platform.url}/api/v1/clusters/{cluster}/periods/{PERIOD}/ranking", timeout=30,
                           headers={"X-Actor": READER})
    return {row["unit"] for row in response.json().get("table", [])} if response.status_code == 200 else set()


def inbox_reports(session, platform, person):
    items = session.get(f"{platform.url}/api/v1/people/{person}/inbox?limit=200", timeout=30,
                        headers={"X-Actor": person}).json()["items"]
    return {i["link"] for i in items if i["kind"] == "report.submitted"}


def describe(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"  {name:<28} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequential", type=int, default=50)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--clusters", type=int, default=20)
    args = parser.parse_args()
    units = [f"B{i:04d}" for i in range(args.sequential + args.burst)]
    with tempfile.TemporaryDirectory() as logs, bench_database() as mongo_uri, \
            IsolatedPlatform(logs, mongo_uri=mongo_uri) as platform:
        load_clusters(platform, units, args.clusters)
        session = requests.Session()
        posted, ranked, notified = [], [], []
        for i, unit in enumerate(units[: args.sequential]):
            start = time.perf_counter()
            report = post(session, platform, unit, 50 + i % 40)
            posted.append(time.perf_counter() - start)
            cluster = cluster_of(unit, args.clusters)
            ranked.append(wait_until(lambda: unit in ranked_units(session, platform, cluster)) - start)
            link = f"/api/v1/reports/{report['id']}"
            notified.append(wait_until(lambda: link in inbox_reports(session, platform, lead_of(cluster))) - start)
        print(f"{len(units)} units in {args.clusters} cluster(s); all four services as processes")
        print(f"sequential: {args.sequential} reports, one at a time")
        describe("POST answered (stored)", posted)
        describe("in the ranking", ranked)
        describe("in the cluster lead's inbox", notified)

        burst = units[args.sequential:]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda u: post(requests.Session(), platform, u, 60), burst))
        accepted = time.perf_counter() - start
        clusters = sorted({cluster_of(u, args.clusters) for u in burst})
        done = wait_until(lambda: set(burst) <= set().union(*(ranked_units(session, platform, c)
                                                              for c in clusters)), timeout=300, interval=0.25) - start
        print(f"burst: {len(burst)} reports from {args.threads} threads")
        print(f"  all accepted after {accepted:.2f} s ({len(burst) / accepted:.0f} reports/s)")
        print(f"  all in the ranking after {done:.2f} s ({len(burst) / done:.0f} reports/s end to end)")


if __name__ == "__main__":
    main()
