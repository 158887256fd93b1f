"""How fast a report travels: POST -> stored -> ranking updated -> leader's inbox.

Starts its own isolated platform (the four services as processes, a vhost and
databases of their own), so it can run beside `make run`. Prints figures; asserts
nothing. Needs the broker and the database server up (`make infra`).

    .venv/bin/python bench/flow_latency.py [--sequential 50] [--burst 200] [--threads 8]
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
from scripts.launcher import IsolatedPlatform  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

CLUSTER, PERIOD, LEADER = "BENCH", "2021-Q1", "thien.nh"


def load_cluster(platform, units):
    data = {"units": [{"_id": u, "name": f"Đơn vị {u}", "type": "department"} for u in units],
            "clusters": [{"_id": CLUSTER, "name": "Cụm đo hiệu năng", "level": "province", "year": 2021,
                          "members": [{"unit": u, "role": "lead" if i == 0 else "member"}
                                      for i, u in enumerate(units)]}]}
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=60) as cluster:
        cluster.submissions.load_reference_data(data, {"id": "bench"})


def post(session, platform, unit, score):
    body = json.dumps({"unit": unit, "period": PERIOD, "scores": {"TC1": score}})
    response = session.post(f"{platform.url}/api/v1/reports", data=body,
                            headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def wait_until(probe, timeout=30.0):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if probe():
            return time.perf_counter()
        time.sleep(0.002)
    raise TimeoutError("gave up")


def ranked_units(session, platform):
    response = session.get(f"{platform.url}/api/v1/clusters/{CLUSTER}/periods/{PERIOD}/ranking", timeout=30)
    return {row["unit"] for row in response.json().get("table", [])} if response.status_code == 200 else set()


def inbox_reports(session, platform):
    items = session.get(f"{platform.url}/api/v1/people/{LEADER}/inbox?limit=200", timeout=30).json()["items"]
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
    args = parser.parse_args()
    units = [f"B{i:04d}" for i in range(args.sequential + args.burst)]
    with tempfile.TemporaryDirectory() as logs, IsolatedPlatform(logs) as platform:
        load_cluster(platform, units)
        session = requests.Session()
        posted, ranked, notified = [], [], []
        for i, unit in enumerate(units[: args.sequential]):
            start = time.perf_counter()
            report = post(session, platform, unit, 50 + i % 40)
            posted.append(time.perf_counter() - start)
            ranked.append(wait_until(lambda: unit in ranked_units(session, platform)) - start)
            link = f"/api/v1/reports/{report['id']}"
            notified.append(wait_until(lambda: link in inbox_reports(session, platform)) - start)
        print(f"sequential: {args.sequential} reports, one at a time, all four services as processes")
        describe("POST answered (stored)", posted)
        describe("in the ranking", ranked)
        describe("in the leader's inbox", notified)

        burst = units[args.sequential:]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda u: post(requests.Session(), platform, u, 60), burst))
        accepted = time.perf_counter() - start
        done = wait_until(lambda: set(burst) <= ranked_units(session, platform), timeout=300) - start
        print(f"burst: {len(burst)} reports from {args.threads} threads")
        print(f"  all accepted after {accepted:.2f} s ({len(burst) / accepted:.0f} reports/s)")
        print(f"  all in the ranking after {done:.2f} s ({len(burst) / done:.0f} reports/s end to end)")


if __name__ == "__main__":
    main()
