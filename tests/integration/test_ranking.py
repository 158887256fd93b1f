"""The ranking service against the real broker and database."""
import time
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook, worker_factory

from services.ranking import coalescer, engine
from services.ranking.service import RankingService
from thidua.errors import RankingNotFound
from thidua.events import utcnow
from thidua.outbox import OutboxRelay
from tests.helpers import demo_template, eventually, report_event, template_event

pytestmark = pytest.mark.integration


def test_two_replicas_recomputing_one_cluster_at_once_lose_nothing_and_agree(
        container_factory, service_config, rabbit_config, db_of):
    amqp, scratch = rabbit_config["AMQP_URI"], db_of("scratch")
    replicas = [container_factory(RankingService, service_config("ranking")) for _ in range(2)]
    for replica in replicas:   # competing consumers on the same queues, as two processes would be
        replica.start()
    relay = OutboxRelay(scratch, amqp)
    relay.publish_one({"event": template_event()})
    db = db_of("ranking")
    eventually(lambda: db.templates.count_documents({}) == 1, what="the template")
    events = [report_event(unit=f"U{n:02d}", actual=80 + n) for n in range(1, 21)]
    for event in events:
        relay.publish_one({"event": event})

    expected = engine.compute(demo_template(), [
        {k: e["data"][k] for k in ("unit", "unit_name", "submitted_at", "late", "version", "values",
                                   "self_scores", "violations", "commendations", "review")} for e in events])

    def current_table():
        with entrypoint_hook(replicas[0], "get_ranking") as get_ranking:
            try:
                table = get_ranking("CUM-01", "2021-Q1")
            except Exception:
                return None
        return table if table["input_hash"] == expected["input_hash"] else None

    table = eventually(current_table, timeout=60, what="the table of all twenty reports")
    assert [(r["unit"], r["rank"], r["total"]) for r in table["table"]] == \
        [(r["unit"], r["rank"], r["total"]) for r in expected["table"]]
    versions = sorted(s["version"] for s in db.snapshots.find({}, {"version": 1}))
    assert versions == list(range(1, len(versions) + 1))          # no version lost or written twice
    assert db.outbox.count_documents({}) == len(versions)          # one ranking.updated per snapshot
    assert db.processed_events.count_documents({"type": "report.submitted.v1"}) == 20
    # The replicas take turns: one snapshot per table per interval over both, never two at once.
    times = [s["computed_at"] for s in db.snapshots.find({}, {"computed_at": 1}).sort("version", 1)]
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(times, times[1:])]
    assert all(gap >= coalescer.INTERVAL - 0.001 for gap in gaps), gaps


def test_a_tables_turn_is_held_by_one_replica_until_it_ends_it_or_its_lease_lapses(db_of):
    db = db_of("ranking")
    table = "CUM-01|2021-Q1"
    assert coalescer.take_turn(db, table, "a")
    assert not coalescer.take_turn(db, table, "b")              # a holds it
    assert not coalescer.take_turn(db, table, "a")              # one recompute at a time, even for a
    coalescer.end_turn(db, table, "b", 0)                        # not b's to end
    assert not coalescer.take_turn(db, table, "b")
    coalescer.end_turn(db, table, "a", 60)                       # ended, with a pause before the next
    assert not coalescer.take_turn(db, table, "b")
    assert coalescer.held_for(db, table, "b") == coalescer.ELSEWHERE          # a's: b leaves it to a
    assert 55 < coalescer.held_for(db, table, "a") <= 60                       # a waits out its own pause
    coalescer.end_turn(db, table, "a", -1)                       # the pause is over
    assert coalescer.take_turn(db, table, "b")
    assert coalescer.take_turn(db, "CUM-02|2021-Q1", "a")        # turns are per table
    db.table_turns.update_one({"_id": table}, {"$set": {"until": utcnow() - timedelta(seconds=1)}})
    assert coalescer.take_turn(db, table, "a")                   # b's lease lapsed (b was killed, say)
    coalescer.end_turn(db, table, "b", -1)                       # b, back, cannot free a's turn
    assert not coalescer.take_turn(db, table, "b")
    assert db.table_turns.count_documents({}) == 2


def test_a_report_naming_an_unknown_template_waits_and_is_scored_once_the_template_arrives(
        container_factory, service_config, rabbit_config, db_of):
    amqp = rabbit_config["AMQP_URI"]
    ranking = container_factory(RankingService, service_config("ranking", RETRY_DELAYS_MS="100,200,400,800"))
    ranking.start()
    relay = OutboxRelay(db_of("scratch"), amqp)
    relay.publish_one({"event": report_event(unit="U03")})   # before its template: retried with backoff
    relay.publish_one({"event": template_event()})
    db = db_of("ranking")
    eventually(lambda: db.snapshots.count_documents({}) == 1, what="the report scored after retries")
    assert db.snapshots.find_one()["table"][0]["unit"] == "U03"


def _left_dirty(db, events):
    """What a process that died between storing its inputs and recomputing leaves behind."""
    from services.ranking import coalescer
    from services.ranking.service import table_key
    from tests.helpers import demo_template
    template = demo_template()
    key = f"{template['id']}@{template['version']}"
    db.templates.replace_one({"_id": key}, {"_id": key, **template}, upsert=True)
    for event in events:
        data = event["data"]
        db.reports.insert_one({"_id": f"{data['period']}|{data['unit']}", **data})
        coalescer.mark_dirty(db, None, table_key(data["cluster"], data["period"]), data["cluster"],
                             data["cluster_name"], data["period"], event)


def test_a_table_left_dirty_by_a_crash_is_recomputed_on_start_once_for_the_whole_burst(
        container_factory, service_config, db_of):
    db = db_of("ranking")
    events = [report_event(unit=f"U{n:02d}", actual=70 + n, correlation_id=f"burst-{n}") for n in range(1, 13)]
    _left_dirty(db, events)
    ranking = container_factory(RankingService, service_config("ranking"))
    ranking.start()

    eventually(lambda: db.dirty_tables.count_documents({}) == 0, timeout=30, what="the dirty table recomputed")
    snapshots = list(db.snapshots.find())
    assert len(snapshots) == 1 and snapshots[0]["coalesced"] == 12        # one recompute took in all twelve
    assert snapshots[0]["trigger_event_id"] == events[-1]["id"]
    assert {r["unit"] for r in snapshots[0]["table"]} == {e["data"]["unit"] for e in events}
    assert all("breakdown" not in row for row in snapshots[0]["table"])   # stored once, beside the table
    assert db.breakdowns.count_documents({}) == 12
    entry = db.audit.find_one({"action": "ranking.recompute"})
    assert entry["correlation_id"] == "burst-12" and entry["context"]["input_hash"] == snapshots[0]["input_hash"]
    assert len(entry["context"]["rank_moves"]) == 12                     # what changed, not the tables
    with entrypoint_hook(ranking, "unit_breakdown") as unit_breakdown:
        lines = unit_breakdown("CUM-01", "2021-Q1", "U05")["breakdown"]
    assert [line["criterion"] for line in lines if line["criterion"] == "C1.1"] == ["C1.1"]
    with entrypoint_hook(ranking, "get_ranking") as get_ranking:
        assert all("breakdown_ref" not in row for row in get_ranking("CUM-01", "2021-Q1")["table"])


def test_a_recompute_with_nothing_new_writes_no_version_and_unchanged_breakdowns_are_not_stored_again(db_of):
    from services.ranking.service import recompute_table
    db = db_of("ranking")
    first = report_event(unit="U01", actual=90)
    _left_dirty(db, [first])
    assert recompute_table(db, "CUM-01|2021-Q1").version == 1
    assert recompute_table(db, "CUM-01|2021-Q1") == (None, ())               # no marker left: nothing to do
    from services.ranking import coalescer
    coalescer.mark_dirty(db, None, "CUM-01|2021-Q1", "CUM-01", "Cụm thi đua số 1", "2021-Q1",
                         report_event(unit="U01", actual=90))           # the same input again
    assert recompute_table(db, "CUM-01|2021-Q1").version is None
    assert db.dirty_tables.count_documents({}) == 0 and db.snapshots.count_documents({}) == 1
    second = report_event(unit="U02", actual=60)                         # below U01: U01's breakdown stays
    db.reports.insert_one({"_id": "2021-Q1|U02", **second["data"]})
    coalescer.mark_dirty(db, None, "CUM-01|2021-Q1", "CUM-01", "Cụm thi đua số 1", "2021-Q1", second)
    db.command("profile", 2)                                             # every operation, from now on
    db.system.profile.drop()
    assert recompute_table(db, "CUM-01|2021-Q1").version == 2
    written = [entry["op"] for entry in db.system.profile.find({"ns": f"{db.name}.breakdowns"})]
    db.command("profile", 0)
    assert written == ["update"]          # only U02's, added in one command: U01's was known, nothing read
    assert db.breakdowns.count_documents({}) == 2


def test_a_reports_copy_keeps_the_newest_version_whatever_order_its_events_arrive_in(db_of):
    from services.ranking.service import keep_report
    db = db_of("ranking")
    first = report_event(unit="U01", actual=90)["data"]
    second = {**first, "version": 2, "values": {**first["values"], "C1.1": 70}}   # a dotted criterion code
    keep_report(db, None, second)
    keep_report(db, None, first)                      # the older version, delivered late
    assert db.reports.find_one({"_id": "2021-Q1|U01"}) == {"_id": "2021-Q1|U01", **second}
    keep_report(db, None, {**second, "version": 3, "status": "FINALIZED"})
    assert db.reports.find_one({"_id": "2021-Q1|U01"})["status"] == "FINALIZED"


def _loop_over(db, recompute_table, sweep):
    """A coalescer's loop over ``db``, driven by hand: ``start_due`` starts, the pool runs."""
    from eventlet.greenpool import GreenPool
    loop = coalescer.Coalescer(recompute_table)
    loop.db, loop.sweep = db, sweep
    return loop, GreenPool(2)     # two places: a long recompute leaves one free


def test_a_replica_recomputes_as_many_tables_at_once_as_ranking_parallel_says(mongo_uri, db_of):
    from types import SimpleNamespace
    config = {"MONGO_URI": mongo_uri, "MONGO_DB": db_of("ranking").name}
    for given, places in (({}, 2), ({"RANKING_PARALLEL": "3"}, 3)):
        loop = coalescer.Coalescer(lambda db, table: None)
        loop.container = SimpleNamespace(config={**config, **given})
        loop.setup()
        assert loop.parallel == places


def test_a_table_marked_dirty_during_a_long_recompute_of_another_does_not_wait_for_it(db_of):
    import eventlet
    db, done = db_of("ranking"), []

    def recompute_table(db, table):
        if table == "SLOW|2021-Q1":
            eventlet.sleep(3.0)
        db.dirty_tables.delete_many({"table": table})
        done.append(table)
        return coalescer.TakenIn(None, (table,))

    loop, pool = _loop_over(db, recompute_table, sweep=60.0)
    for table in ("SLOW|2021-Q1", "QUICK|2021-Q1"):
        db.dirty_tables.insert_one({"_id": table, "table": table, "at": utcnow()})
        loop.poke(table)
        loop.start_due(pool)           # starts what is due and returns: it never waits for a recompute
    pool.waitall()
    assert done == ["QUICK|2021-Q1", "SLOW|2021-Q1"]   # the second, started after the first, ended first
    assert not loop._busy and not loop._pending


def test_a_poke_naming_its_table_starts_it_without_listing_and_the_sweep_finds_the_rest(db_of):
    """A handler's poke names its table, so a steady stream of events lists nothing; a marker no
    poke named (left by another replica, or by a crash) is found by the next listing."""
    import eventlet
    db, done = db_of("ranking"), []

    def recompute_table(db, table):
        db.dirty_tables.delete_many({"table": table})
        done.append(table)
        return coalescer.TakenIn(None, (table,))

    loop, pool = _loop_over(db, recompute_table, sweep=0.5)
    assert loop.start_due(pool) == pytest.approx(0.5, abs=0.05)     # listed at start: nothing dirty
    for table in ("NAMED|2021-Q1", "UNNAMED|2021-Q1"):
        db.dirty_tables.insert_one({"_id": table, "table": table, "at": utcnow()})
    loop.poke("NAMED|2021-Q1")
    loop.start_due(pool)
    pool.waitall()
    assert done == ["NAMED|2021-Q1"]                                  # the other was not listed
    eventlet.sleep(0.5)
    loop.start_due(pool)                                              # a sweep later: listed
    pool.waitall()
    assert done == ["NAMED|2021-Q1", "UNNAMED|2021-Q1"]
    loop.poke()                                                       # no table: list now
    db.dirty_tables.insert_one({"_id": "LATE|2021-Q1", "table": "LATE|2021-Q1", "at": utcnow()})
    loop.start_due(pool)
    pool.waitall()
    assert done[-1] == "LATE|2021-Q1" and db.dirty_tables.count_documents({}) == 0


def test_a_table_poked_during_its_own_recompute_is_recomputed_again_after_the_interval(db_of):
    """Its new marker may have committed after the recompute read the markers: it is not lost."""
    import eventlet
    db, started = db_of("ranking"), []

    def recompute_table(db, table):
        started.append(time.monotonic())
        if len(started) == 1:
            loop.poke(table, "late")      # an event for the table, while it is being recomputed
            eventlet.sleep(0.2)
        return coalescer.TakenIn(None, ("early",))   # "late" committed after the markers were read

    loop, pool = _loop_over(db, recompute_table, sweep=60.0)
    loop.start_due(pool)
    loop.poke("CUM-01|2021-Q1", "early")
    loop.start_due(pool)
    pool.waitall()
    assert len(started) == 1 and "CUM-01|2021-Q1" in loop._pending
    eventlet.sleep(loop.start_due(pool))          # the wait it asks for: its table's interval
    loop.start_due(pool)
    pool.waitall()
    assert len(started) == 2 and started[1] - started[0] >= 0.2 + coalescer.INTERVAL - 0.01


def test_a_table_poked_during_its_recompute_only_for_markers_it_took_in_is_not_recomputed_again(db_of, monkeypatch):
    """A marker's poke comes after its commit, and most come before the recompute reads the
    markers: a recompute that took in every marker it was poked for leaves nothing to do."""
    import eventlet
    db, started = db_of("ranking"), []
    taking = coalescer.take_turn

    def take_turn(db, table, holder):
        loop.poke(table, "second")        # an event for the table, while its recompute takes its turn
        return taking(db, table, holder)

    monkeypatch.setattr(coalescer, "take_turn", take_turn)
    loop, pool = _loop_over(db, lambda db, table: started.append(table) or coalescer.TakenIn(1, ("first", "second")),
                            sweep=60.0)
    loop.start_due(pool)
    loop.poke("CUM-01|2021-Q1", "first")
    loop.start_due(pool)
    pool.waitall()
    eventlet.sleep(coalescer.INTERVAL)
    loop.start_due(pool)
    pool.waitall()
    assert started == ["CUM-01|2021-Q1"] and not loop._pending


def test_a_listing_during_a_tables_recompute_does_not_recompute_it_again_and_the_next_finds_a_marker_left(db_of):
    import eventlet
    db, taken = db_of("ranking"), []
    table = "CUM-01|2021-Q1"

    def recompute_table(db, table):
        markers = [m["_id"] for m in db.dirty_tables.find({"table": table})]
        if not taken:   # another replica's event commits after the markers were read; then a listing
            db.dirty_tables.insert_one({"_id": "elsewhere", "table": table, "at": utcnow()})
            loop.poke()
            loop.start_due(pool)
        db.dirty_tables.delete_many({"_id": {"$in": markers}})
        taken.append(markers)
        return coalescer.TakenIn(len(taken), tuple(markers))

    loop, pool = _loop_over(db, recompute_table, sweep=1.0)    # no listing of its own between the two
    loop.start_due(pool)
    db.dirty_tables.insert_one({"_id": "here", "table": table, "at": utcnow()})
    loop.poke(table, "here")
    loop.start_due(pool)
    pool.waitall()
    eventlet.sleep(coalescer.INTERVAL)
    loop.start_due(pool)
    pool.waitall()
    assert taken == [["here"]] and table not in loop._pending      # not again for the listing
    eventlet.sleep(1.0)
    loop.start_due(pool)                                             # the next listing finds the marker
    pool.waitall()
    assert taken == [["here"], ["elsewhere"]] and db.dirty_tables.count_documents({}) == 0


def test_a_recompute_compares_with_the_table_it_left_without_reading_it_back_unless_another_may_have_written_it(
        db_of, monkeypatch):
    """The previous table of the ranking.updated event (its leader, its moves) is the one this
    process left, if the table's pointer still names it (version and input hash); otherwise it is
    read. The stored snapshot is altered here to tell the two apart."""
    from services.ranking import service
    monkeypatch.setattr(service, "LAST_TABLES", service.LastTables())
    db, key = db_of("ranking"), "CUM-01|2021-Q1"

    def announced(version):
        return next(o["event"]["data"] for o in db.outbox.find() if o["event"]["data"]["version"] == version)

    def altered(version):   # what a read of the stored snapshot would give as the previous leader
        db.snapshots.update_one({"_id": f"{key}|{version}"}, {"$set": {"leader": "READ-BACK"}})

    _left_dirty(db, [report_event(unit="U01", actual=90)])
    assert service.recompute_table(db, key).version == 1
    altered(1)
    _left_dirty(db, [report_event(unit="U02", actual=99)])
    assert service.recompute_table(db, key).version == 2
    assert announced(2)["previous_leader"] == "U01"              # the table it left: not read back
    monkeypatch.setattr(service, "LAST_TABLES", service.LastTables())     # another process: it knows none
    altered(2)
    _left_dirty(db, [report_event(unit="U03", actual=70)])
    assert service.recompute_table(db, key).version == 3
    assert announced(3)["previous_leader"] == "READ-BACK"       # read
    service.LAST_TABLES._tables[key]["input_hash"] = "another"      # version 3, but other inputs
    altered(3)
    _left_dirty(db, [report_event(unit="U04", actual=60)])
    assert service.recompute_table(db, key).version == 4
    assert announced(4)["previous_leader"] == "READ-BACK"       # not trusted: read
    assert announced(4)["rank_moves"] == [{"unit": "U04", "from": None, "to": 4}]   # the read rows compared


def test_concluding_a_run_first_takes_in_the_reports_still_waiting_for_a_recompute(db_of):
    """The meeting concludes right after the last reports (the demo's play-through does): the
    published table holds them, not the version before them."""
    from services.ranking.service import move_run, recompute_table
    from thidua.uow import UnitOfWork
    db = db_of("ranking")
    _left_dirty(db, [report_event(unit="U01", actual=90)])
    assert recompute_table(db, "CUM-01|2021-Q1").version == 1
    waiting = [report_event(unit=f"U0{n}", actual=80 + n) for n in (2, 3)]
    _left_dirty(db, waiting)
    concluded = run_event("period.concluded.v2", "CUM-01", "CONCLUDED", chair="thien.nh",
                          conclusion={"text": "Kết luận", "by": "thien.nh", "at": "2021-05-19T10:00:00Z"})
    UnitOfWork(db, "system:ranking", "c-run").run(
        lambda tx: move_run(tx, "CUM-01|2021-Q1", concluded["data"], concluded))
    latest = db.snapshots.find_one({"_id": "CUM-01|2021-Q1|2"})
    assert sorted(row["unit"] for row in latest["table"]) == ["U01", "U02", "U03"]
    assert db.dirty_tables.count_documents({}) == 0
    assert db.run_states.find_one({"_id": "CUM-01|2021-Q1"})["state"] == "CONCLUDED"
    _left_dirty(db, [report_event(unit="U04", actual=99)])            # after the conclusion: it waits
    assert recompute_table(db, "CUM-01|2021-Q1").version is None
    assert db.snapshots.count_documents({}) == 2


def run_event(event_type, cluster, state, **extra):
    from thidua.events import new_event
    return new_event(event_type, {"cluster": cluster, "cluster_name": cluster, "level": "province",
                                  "period": "2021-Q1", "label": "Quý I/2021", "year": 2021, "state": state,
                                  "deadline": None, **extra}, "c-run")


def test_after_a_clusters_run_is_concluded_no_event_writes_a_new_version_of_its_table_until_it_is_reopened(
        container_factory, service_config, rabbit_config, db_of):
    ranking = container_factory(RankingService, service_config("ranking"))
    ranking.start()
    relay, db = OutboxRelay(db_of("scratch"), rabbit_config["AMQP_URI"]), db_of("ranking")
    relay.publish_one({"event": template_event()})
    eventually(lambda: db.templates.count_documents({}) == 1, what="the template")
    relay.publish_one({"event": report_event(unit="U01", actual=90)})
    relay.publish_one({"event": report_event(unit="D01", actual=90, cluster="CUM-02")})
    eventually(lambda: db.snapshots.count_documents({}) == 2, what="both clusters' tables")
    conclusion = {"text": "Kết luận", "by": "thien.nh", "at": "2021-05-19T10:00:00Z"}
    relay.publish_one({"event": run_event("period.concluded.v2", "CUM-01", "CONCLUDED", conclusion=conclusion,
                                          chair="thien.nh")})
    eventually(lambda: db.run_states.find_one({"_id": "CUM-01|2021-Q1", "state": "CONCLUDED"}), what="the conclusion")
    relay.publish_one({"event": report_event(unit="U02", actual=70)})
    relay.publish_one({"event": report_event(unit="D02", actual=70, cluster="CUM-02")})
    eventually(lambda: db.snapshots.count_documents({"cluster": "CUM-02"}) == 2, what="the other cluster's change")
    eventually(lambda: db.processed_events.count_documents({"type": "report.submitted.v1"}) == 4,
               what="the concluded cluster's input kept")
    assert db.snapshots.count_documents({"cluster": "CUM-01"}) == 1   # its published table stays
    relay.publish_one({"event": run_event("period.reopened.v1", "CUM-01", "VOTING", reason="Sửa", by="thien.nh")})
    eventually(lambda: db.run_states.find_one({"_id": "CUM-01|2021-Q1", "state": "VOTING"}), what="the reopening")
    # Reopened, the table takes in what arrived while it was concluded, then what comes after.
    eventually(lambda: db.snapshots.count_documents({"cluster": "CUM-01"}) == 2, what="the reopened table")
    units = [r["unit"] for r in db.snapshots.find_one({"cluster": "CUM-01", "version": 2})["table"]]
    assert sorted(units) == ["U01", "U02"]
    relay.publish_one({"event": report_event(unit="U03", actual=80)})
    eventually(lambda: db.snapshots.count_documents({"cluster": "CUM-01"}) == 3, what="the next report")
    units = [r["unit"] for r in db.snapshots.find_one({"cluster": "CUM-01", "version": 3})["table"]]
    assert sorted(units) == ["U01", "U02", "U03"]


def _ranked(db, cluster, period, units, versions=2):
    """A table of ``cluster`` for ``period`` ranked ``versions`` times, and ranking's copies of its reports."""
    key = f"{cluster}|{period}"
    db.rankings.insert_one({"_id": key, "version": versions, "input_hash": "h"})
    for version in range(1, versions + 1):
        db.snapshots.insert_one({"_id": f"{key}|{version}", "cluster": cluster, "period": period, "version": version,
                                 "table": [{"unit": u, "unit_name": u, "rank": n + 1, "total": 10.0 * version - n,
                                            "class": "TOT"} for n, u in enumerate(units)]})
    db.reports.insert_many([{"_id": f"{period}|{u}", "cluster": cluster, "period": period, "unit": u,
                             "status": "SUBMITTED"} for u in units])


def test_a_units_trend_and_a_clusters_year_read_only_their_own_tables_newest_versions(db_of):
    """They read the newest snapshot of every table of the year: 2.2 s for one unit's trend at a
    province's size (bench/reads.py), asked by the dashboard for every unit of the table."""
    db = db_of("ranking")
    for period in ("2021-Q1", "2021-Q2", "2022-Q1"):
        _ranked(db, "CUM-01", period, ["U01", "U02"])
        _ranked(db, "CUM-02", period, ["D01", "D02", "D03"])
    db.reports.insert_one({"_id": "2021-Q3|U01", "cluster": "CUM-01", "period": "2021-Q3", "unit": "U01",
                           "status": "RETURNED"})    # a report of a table never ranked
    service = worker_factory(RankingService, db=db)
    db.command("profile", 2)
    db.system.profile.drop()
    try:
        trend = service.unit_trend("U02", 2021)["periods"]
        year = service.year_ranking("CUM-01", 2021)
        read = [e["command"]["filter"]["_id"] for e in db.system.profile.find({"command.find": "snapshots"})]
    finally:
        db.command("profile", 0)
    assert [(p["period"], p["cluster"], p["total"], p["rank"], p["of"]) for p in trend] == [
        ("2021-Q1", "CUM-01", 19.0, 2, 2), ("2021-Q2", "CUM-01", 19.0, 2, 2)]     # the newest versions
    assert year["periods"] == ["2021-Q1", "2021-Q2"] and [r["unit"] for r in year["table"]] == ["U01", "U02"]
    assert sorted(read) == ["CUM-01|2021-Q1|2", "CUM-01|2021-Q1|2", "CUM-01|2021-Q2|2", "CUM-01|2021-Q2|2"]
    with pytest.raises(RankingNotFound):
        service.year_ranking("CUM-03", 2021)
