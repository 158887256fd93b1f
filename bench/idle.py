"""What a platform costs while nothing happens: the CPU of the database server and of each service,
every ``--every`` seconds, on a province whose runs are open and past their deadline with every
unit missing (the demo's quarter, 2021-Q2, has long passed).

Starts its own isolated platform, loads ``--clusters`` clusters of ``--units`` units (no people
but the leads), opens the runs, waits until the load's events are handled, then samples for
``--seconds``, and sums each minute. The once-a-minute timers (reminders, digests) show as the
samples that stand out: their first run after the load sends the missed-deadline reminders, and
the later ones should cost next to nothing.
Prints figures; asserts nothing.

    .venv/bin/python bench/idle.py                    # 100 clusters of 17 units, 150 s
    .venv/bin/python bench/idle.py --clusters 600 --seconds 200
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.throughput import Province, database_cpu, drained, load, process_cpu  # noqa: E402
from bench.flow_latency import PERIOD, open_runs  # noqa: E402
from bench.recompute import python_reference  # noqa: E402
from scripts.launcher import IsolatedPlatform, bench_database  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--units", type=int, default=17)
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--every", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logs, bench_database() as mongo_uri, \
            IsolatedPlatform(logs, mongo_uri=mongo_uri) as platform:
        province = Province("Q", args.clusters, args.units)
        load(platform, province, [])
        open_runs(platform.url, PERIOD)
        print(f"{args.clusters} clusters of {args.units} loaded, their runs open past the deadline; the load's "
              f"events handled {drained(platform):.0f} s later; Python reference {python_reference():.1f} ms "
              "(bench/recompute.py)", flush=True)
        pids = {name: process.pid for name, process in platform.processes.items()}

        def cpu():
            return database_cpu(platform.mongo_uri), {name: process_cpu(pid) for name, pid in pids.items()}
        print(f"{'seconds':>8} {'database':>9} " + " ".join(f"{name:>13}" for name in pids) + "   (CPU seconds)")
        totals, last, started = [], cpu(), time.time()
        while time.time() - started < args.seconds:
            time.sleep(args.every)
            now = cpu()
            database = None if now[0] is None else now[0] - last[0]
            spent = {name: now[1][name] - last[1][name] for name in pids}
            totals.append((database, spent))
            print(f"{time.time() - started:>8.0f} {'-' if database is None else f'{database:.2f}':>9} "
                  + " ".join(f"{spent[name]:>13.2f}" for name in pids), flush=True)
            last = now
        per_minute = int(round(60 / args.every))
        for start in range(0, len(totals), per_minute):
            window = totals[start:start + per_minute]
            database = sum(sample[0] or 0.0 for sample in window)
            print(f"minute {start // per_minute + 1}: database {database:.2f} s, " + ", ".join(
                f"{name} {sum(sample[1][name] for sample in window):.2f} s" for name in pids))

if __name__ == "__main__":
    main()
