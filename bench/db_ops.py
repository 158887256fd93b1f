"""Database operations per report: what each service asks the database for one report handed in.

Starts its own isolated platform, loads ``--clusters`` clusters of ``--units`` units, turns the
database profiler on (level 2: every operation) for each service's database, posts ``--reports``
reports at ``--rate`` per second (one per unit, round the clusters), waits until each is ranked and in
its lead's inbox, and prints, per service and per (operation, collection), the operations and the
milliseconds the server spent on them per report. The relays and the timers poll the database
every second whether reports come or not, so ``--idle`` seconds are profiled first with nothing
posted, and a last column gives each line net of those polls: what the reports themselves cost,
the same whatever the rate and the run's length. The first place to look before making the
pipeline faster (README, Throughput). Prints figures; asserts nothing.

    .venv/bin/python bench/db_ops.py                  # 100 reports over 10 clusters of 16 units
    .venv/bin/python bench/db_ops.py --units 80       # the same over clusters of 80
    .venv/bin/python bench/db_ops.py --quiet-clusters 700 --reports 400   # on a province's platform
    .venv/bin/python bench/db_ops.py --replicas       # with a second ranking and notifications

``--quiet-clusters`` loads that many more clusters of 16 (their runs open, no report posted), so
what grows with the province shows beside what each report costs; ``--reports`` long enough for the
minute's timers to run in the window.
"""
import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.throughput import (PERIOD, SERVICES, Poster, Province, Readback, database_cpu, drained, load,  # noqa: E402
                              plan_on_time, process_cpu)
from bench.flow_latency import open_runs  # noqa: E402
from bench.recompute import python_reference  # noqa: E402
from scripts.launcher import IsolatedPlatform, bench_database  # noqa: E402


def operation(entry):
    """``(operation, collection)`` of a profiler entry; a transaction's commit names no collection."""
    command = entry.get("command") or {}
    name = next(iter(command), entry.get("op", "?"))
    return name, entry.get("ns", "").split(".", 1)[-1] if name not in ("commitTransaction", "abortTransaction") else ""


def profile(readback, on):
    for db in readback.dbs.values():
        db.command("profile", 2 if on else 0)
        if on:
            db.system.profile.drop()   # the profiler's collection is capped: each entry costs more as it fills


def tally(readback):
    """service -> (operations, milliseconds, an example command) per (operation, collection)."""
    counted = {}
    for service, db in readback.dbs.items():
        ops, millis, example = Counter(), Counter(), {}
        for entry in db.system.profile.find({}, {"command": 1, "ns": 1, "op": 1, "millis": 1}):
            key = operation(entry)
            ops[key] += 1
            millis[key] += entry.get("millis", 0)
            example.setdefault(key, entry.get("command"))
        counted[service] = ops, millis, example
    return counted


def shown(command, width=160):
    """A command, shortened: what it asks, not the documents it writes."""
    command = {k: v for k, v in (command or {}).items()
               if k not in ("lsid", "txnNumber", "$clusterTime", "$db", "autocommit", "startTransaction", "documents")}
    text = repr(command)
    return text if len(text) <= width else text[:width] + "..."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--quiet-clusters", type=int, default=0,
                        help="clusters of 16 loaded beside, that hand nothing in: a province's platform")
    parser.add_argument("--commands", action="store_true", help="also print an example command of each line")
    parser.add_argument("--idle", type=float, default=20.0,
                        help="seconds profiled with nothing posted, before the reports: the polls' own share "
                             "of each line is taken out in a column of its own (0: none)")
    parser.add_argument("--replicas", action="store_true",
                        help="a second replica each of ranking and notifications, started before counting")
    parser.add_argument("--no-profile", action="store_true",
                        help="only the database server's CPU per report (the profiler costs the server much)")
    args = parser.parse_args()
    reference = python_reference()      # before the platform starts (its teardown keeps the database busy)
    province = Province("D", args.clusters, args.units)
    posting = province.interleaved()[:args.reports]
    with tempfile.TemporaryDirectory() as logs, bench_database() as mongo_uri, \
            IsolatedPlatform(logs, mongo_uri=mongo_uri) as platform:
        plan_on_time(platform.url)
        if args.quiet_clusters:
            load(platform, Province("Q", args.quiet_clusters, 16), [])
        load(platform, province, posting)
        open_runs(platform.url, PERIOD)
        readback = Readback(platform)
        if args.replicas:
            platform.start("ranking-2", service="ranking")
            platform.start("notifications-2", service="notifications")
        drained(platform)     # the directory events of the load are copied before counting starts
        time.sleep(10 if args.replicas else 0)    # the replicas connect and consume
        try:   # the profiler is off again whatever happens: a database that profiles outlives its drop
            idle = None
            if not args.no_profile and args.idle:
                profile(readback, on=True)
                idle_start = time.time()
                time.sleep(args.idle)   # nothing posted: what the relays' and timers' polls ask on their own
                idle = tally(readback), time.time() - idle_start
            profile(readback, on=not args.no_profile)
            poster, start, cpu = Poster(platform), time.time(), database_cpu(platform.mongo_uri)
            used = {name: process_cpu(process.pid) for name, process in platform.processes.items()}
            with ThreadPoolExecutor(8) as pool:
                for i, unit in enumerate(posting):
                    time.sleep(max(0.0, start + i / args.rate - time.time()))
                    pool.submit(poster.post, unit)
            settled = readback.settled(province, poster, timeout=300)
            time.sleep(2)     # the last notices' deliveries
            window = time.time() - start
            cpu = None if cpu is None else database_cpu(platform.mongo_uri) - cpu
            used = {name: process_cpu(process.pid) - used[name] for name, process in platform.processes.items()}
        finally:
            profile(readback, on=False)
        counted, reports = tally(readback), max(len(poster.report_unit), 1)
    print(f"{reports} reports over {args.clusters} clusters of {args.units} units at {args.rate:g}/s"
          f"{f' beside {args.quiet_clusters} quiet clusters of 16' if args.quiet_clusters else ''}"
          f"{', two replicas each of ranking and notifications' if args.replicas else ''}; "
          f"{'all' if settled else 'NOT all'} ranked and notified; Python reference {reference:.1f} ms "
          "(bench/recompute.py: compare runs whose references are close)")
    if cpu is not None:
        print(f"  database server CPU per report: {cpu / reports * 1000:.1f} ms"
              f"{'' if args.no_profile else ' (with the profiler on: see --no-profile)'}")
    for name, seconds in used.items():
        print(f"  {name} CPU per report: {seconds / reports * 1000:.1f} ms")
    if args.no_profile:
        return
    # The polls' share of each line: the idle window's rate over the reports' window.
    polls = {service: Counter() for service in SERVICES} if idle is None else {
        service: Counter({key: n * window / idle[1] for key, n in idle[0][service][0].items()}) for service in SERVICES}
    net_title = "" if idle is None else f" {'net of polls':>14}"
    print(f"  {'service':<14} {'operation':<18} {'collection':<22} {'ops/report':>10} {'ms/report':>10}{net_title}")

    def line(service, operation, collection, ops, millis, polled):
        net = "" if idle is None else f" {(ops - polled) / reports:>14.2f}"
        print(f"  {service:<14} {operation:<18} {collection:<22} {ops / reports:>10.2f} {millis / reports:>10.2f}{net}")

    for service in SERVICES:
        ops, millis, example = counted[service]
        for key, n in ops.most_common():
            line(service, *key, n, millis[key], polls[service][key])
            if args.commands:
                print(f"      {shown(example[key])}")
        line(service, "all", "", sum(ops.values()), sum(millis.values()), sum(polls[service].values()))
    line("every service", "all", "", sum(sum(ops.values()) for ops, _, _ in counted.values()),
         sum(sum(millis.values()) for _, millis, _ in counted.values()), sum(sum(p.values()) for p in polls.values()))
    if idle is not None:
        print(f"  (net of polls: less what the same operations asked per second in {idle[1]:.0f} s before the "
              f"reports, with nothing posted, times the {window:.0f} s the reports took)")


if __name__ == "__main__":
    main()
