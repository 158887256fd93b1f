"""How long a full recompute of one cluster takes with the pure scoring engine.

Every event that can change a score recomputes the whole cluster (a target criterion's
score depends on the best unit), so the cost of ``compute`` as the cluster grows is what
bounds the ranking service. Builds a synthetic 40-criterion template (all five types, in
5 groups) and seeded random clusters of 20 to 20,000 units; prints figures, asserts
nothing. Needs no broker and no database.

    .venv/bin/python bench/recompute.py [--sizes 20,200,2000,20000] [--repeat 3] [--budget 1] [--seed 2021]
    .venv/bin/python bench/recompute.py --against ../other-checkout [--sizes 20,200] [--rounds 40]

``--against`` compares this checkout's engine with another checkout's, in one process and in
turn: round after round, each engine's best run in a quarter of a second, and the ratio of the
two per round. On a shared machine whose speed changes from one minute to the next, the median
of those ratios is steadier than two runs of the bench one after the other. The two engines'
tables are compared first; they share this checkout's criterion types.
"""
import argparse
import importlib.util
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from services.ranking import engine  # noqa: E402
from services.ranking.engine import compute, validate_template  # noqa: E402

GROUPS, PER_GROUP = 5, 8
# One group's shape: the two target directions, pass/fail, per occurrence, bonus, penalty.
KINDS = ["target", "target_lower", "pass_fail", "per_occurrence", "bonus", "penalty", "target", "pass_fail"]
LEVELS = [("XUAT_SAC", 90), ("TOT", 80), ("KHA", 65), ("TRUNG_BINH", 50), ("YEU", 0)]


def criterion(code, kind):
    spec = {"code": code, "name": f"Tiêu chí {code}", "max": 4.0, "source": "bench"}
    if kind.startswith("target"):
        return {**spec, "type": "target", "target": 100.0, "higher_is_better": kind == "target"}
    extra = {"per_occurrence": {"points_per": 0.5, "cap": 3.0}, "bonus": {"cap": 4.0}, "penalty": {"cap": 2.0}}
    return {**spec, "type": kind, **extra.get(kind, {})}


def synthetic_template():
    groups = [{"code": f"G{g}", "name": f"Nhóm {g}",
               "criteria": [criterion(f"G{g}C{i}", kind) for i, kind in enumerate(KINDS, start=1)]}
              for g in range(1, GROUPS + 1)]
    return {"id": "BENCH", "version": 1, "groups": groups,
            "classification": {"levels": [{"code": c, "name": c, "min": m} for c, m in LEVELS],
                               "discipline_caps": [{"min_severity": 2, "max_level": "KHA"},
                                                   {"min_severity": 3, "max_level": "TRUNG_BINH"}]},
            "voting": {"threshold": 0.5, "quorum": 0.5}}


def value(rnd, spec):
    kind = spec["type"]
    if kind == "target":
        return {"actual": round(rnd.uniform(50, 150), 1)}
    if kind == "pass_fail":
        return {"passed": rnd.random() < 0.8}
    if kind == "per_occurrence":
        return {"count": rnd.randint(0, 8)}
    return {"points": round(rnd.uniform(0, 5), 1)}


def synthetic_reports(template, units, rnd):
    criteria = [c for g in template["groups"] for c in g["criteria"]]
    reports = []
    for n in range(units):
        # About 5% of values missing, as in a real period where some units leave gaps.
        values = {c["code"]: value(rnd, c) for c in criteria if rnd.random() > 0.05}
        reports.append({
            "unit": f"U{n:05d}", "unit_name": f"Đơn vị {n}", "late": rnd.random() < 0.1, "version": 1,
            "submitted_at": f"2021-04-{rnd.randint(1, 9):02d}T{rnd.randint(0, 23):02d}:00:00.000Z",
            "values": values,
            "self_scores": {c["code"]: 3.0 for c in criteria[:10]},
            "review": {criteria[0]["code"]: {"points": 3.5, "comment": "đã xem"}} if rnd.random() < 0.2 else {},
            "violations": [{"severity": rnd.randint(1, 3)}] if rnd.random() < 0.1 else [],
            "commendations": [{"form": "GIAY_KHEN", "level": "DIRECTOR", "collective": True,
                               "count": rnd.randint(1, 3)}]})
    return reports


def best_time(template, reports, repeat, budget, compute=compute):
    """(wall, cpu) seconds of the fastest run, and the number of runs. CPU time is printed too
    because on a shared machine other processes stretch the wall time; the two together show
    how much.

    When ``repeat`` > 1, one run before the timed ones is not counted: the interpreter
    specialises the engine's code over its first runs in a process, and a ranking service
    computes tables all day, so its steady cost is the figure (the first run of the 20-unit
    cluster took about twice the steady time). Runs go on past ``repeat`` until ``budget``
    seconds are spent: a small cluster's run takes milliseconds, and on a shared machine a
    few of them can all fall in a busy moment (five runs of 20 units gave 3.0 ms in one
    minute and 5.3 ms in the next)."""
    if repeat > 1:
        compute(template, reports)
    runs, started = [], time.perf_counter()
    while len(runs) < repeat or (repeat > 1 and time.perf_counter() - started < budget):
        wall, cpu = time.perf_counter(), time.process_time()
        compute(template, reports)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return (*min(runs), len(runs))


def python_reference(budget=1.0):
    """Milliseconds of a fixed piece of pure Python (200 of the reports above through JSON and back,
    and a walk over every value), the best of the runs ``budget`` seconds allow: how fast this
    machine runs Python at the moment, printed by the other benches beside their figures. The
    machines here are shared, and their speed changes by the hour: one afternoon the embedded
    database's CPU per report doubled, with no change of code. Two runs' figures compare only when
    their references are close. Uses the standard library alone, so a change of the platform's
    code does not move it."""
    reports = synthetic_reports(synthetic_template(), 200, random.Random(2021))

    def work():
        return sum(len(code) + len(value) for report in json.loads(json.dumps(reports))
                   for code, value in report["values"].items())
    work()
    runs, started = [], time.perf_counter()
    while len(runs) < 3 or time.perf_counter() - started < budget:
        begun = time.perf_counter()
        work()
        runs.append(time.perf_counter() - begun)
    return min(runs) * 1000


def timings(sizes, repeat=3, budget=1.0, seed=2021):
    """(units, seconds, cpu seconds, runs) of ``compute`` for each cluster size, in order: the best
    run of each (one run above 2,000 units). ``make bench`` prints two of them beside the platform's
    figures."""
    template = synthetic_template()
    validate_template(template)
    rnd = random.Random(seed)
    for units in sizes:
        reports = synthetic_reports(template, units, rnd)
        yield (units, *best_time(template, reports, repeat if units <= 2000 else 1, budget))


def other_engine(checkout):
    """The engine module of another checkout, loaded beside this one's."""
    spec = importlib.util.spec_from_file_location("other_engine", Path(checkout) / "services/ranking/engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def against(checkout, sizes, rounds, seed=2021):
    """(units, this engine's best, the other's best, median ratio this/other per round, quartiles)
    for each size: the two timed in turn, a quarter of a second each, ``rounds`` times."""
    other, template = other_engine(checkout), synthetic_template()
    rnd = random.Random(seed)
    for units in sizes:
        reports = synthetic_reports(template, units, rnd)
        if engine.compute(template, reports) != other.compute(template, reports):
            raise SystemExit(f"the two engines' tables differ at {units} units")
        ours, theirs, ratios = [], [], []
        for round_ in range(rounds):
            pair = (engine, other) if round_ % 2 == 0 else (other, engine)   # each goes first half the time
            best = {module: best_time(template, reports, 3, 0.25, module.compute)[0] for module in pair}
            ours.append(best[engine])
            theirs.append(best[other])
            ratios.append(best[engine] / best[other])
        quartiles = statistics.quantiles(ratios, n=4)
        yield units, min(ours), min(theirs), statistics.median(ratios), (quartiles[0], quartiles[2])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,200,2000,20000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size at least, best kept (1 run above 2,000 units)")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="seconds per size: more runs than --repeat until they are spent (not above 2,000 units)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--against", metavar="CHECKOUT", help="compare with another checkout's engine, in turn")
    parser.add_argument("--rounds", type=int, default=40, help="with --against: rounds of each engine in turn")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.against:
        print(f"compute(): this checkout against {args.against}, {args.rounds} rounds in turn, seed {args.seed}")
        print(f"{'units':>8} {'this (ms)':>10} {'other (ms)':>10}  this/other per round: median (quartiles)")
        for units, ours, theirs, ratio, (low, high) in against(args.against, sizes, args.rounds, args.seed):
            print(f"{units:>8} {ours * 1000:>10.3f} {theirs * 1000:>10.3f}  {ratio:.3f} ({low:.3f}-{high:.3f})")
        return
    print(f"compute(): {GROUPS * PER_GROUP} criteria in {GROUPS} groups, seed {args.seed}, Python {sys.version.split()[0]}")
    print(f"{'units':>8} {'runs':>5} {'seconds':>10} {'cpu s':>10} {'µs/unit':>10}  growth (wall)")
    previous = None
    for units, seconds, cpu, runs in timings(sizes, args.repeat, args.budget, args.seed):
        growth = "" if previous is None else \
            f"x{units / previous[0]:g} units -> x{seconds / previous[1]:.1f} time"
        print(f"{units:>8} {runs:>5} {seconds:>10.4f} {cpu:>10.4f} {seconds / units * 1e6:>10.1f}  {growth}")
        previous = (units, seconds)


if __name__ == "__main__":
    main()
