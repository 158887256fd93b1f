"""Each cluster's run of a period, against the real broker and database: runs made when a period is
planned, two clusters in one quarter, the guards of the conclusion, reopening, moving a level at
once, backfilled reports, the reminders' data per run and the migration of periods with a state."""
import pytest

from scripts import demo
from services.submissions.migrate_runs import migrate
from tests.helpers import demo_content
from tests.integration.test_submissions import (ADMIN, GOOD, LEAD, OFFICE, move, officer, state, svc)  # noqa: F401
from thidua.errors import (Conflict, Forbidden, PeriodNotOpen, ReportsNotReviewed, RunConcluded, ValidationFailed,
                           VoteNotClosed)

pytestmark = pytest.mark.integration
CHAIR = {"id": "thien.nh"}
TEXT = "Đề nghị các đơn vị khắc phục những tồn tại, khó khăn."


def runs(svc, period="2021-Q1"):
    return {r["cluster"]: r["state"] for r in svc.as_(OFFICE).list_runs(period)}


def test_planning_a_period_gives_each_cluster_of_its_year_its_own_run(svc):
    assert runs(svc) == {"CUM-01": "PLANNED", "CUM-02": "PLANNED"}
    period = next(p for p in svc.as_(OFFICE).list_periods() if p["id"] == "2021-Q1")
    assert "state" not in period and [r["cluster"] for r in period["runs"]] == ["CUM-01", "CUM-02"]
    run = svc.as_(OFFICE).get_run("CUM-02", "2021-Q1")
    assert (run["level"], run["label"], run["template"], run["chair"], run["conclusion"]) == \
        ("province", "Quý I/2021", {"id": "TCTD-CAT-2021", "version": 1}, None, None)
    svc.as_(ADMIN).upsert_cluster({"code": "CUM-03", "name": "Cụm 3", "year": 2021, "members": [
        {"unit": "U06", "role": "lead"}], "level": "ministry"})   # a cluster of another level, added later
    assert runs(svc, "2021-Q2") == {"CUM-01": "PLANNED", "CUM-02": "PLANNED", "CUM-03": "PLANNED"}


def test_a_unit_is_in_one_cluster_per_level_and_year(svc, db_of):
    cluster = {"code": "CUM-09", "name": "Cụm 9", "year": 2021, "members": [
        {"unit": "U06", "role": "lead"}, {"unit": "D02", "role": "member"}]}
    before = state(db_of("submissions"))
    with pytest.raises(Conflict) as refused:
        svc.as_(ADMIN).upsert_cluster(cluster)              # D02 is in CUM-02, of the province, for 2021
    assert "D02 is already in CUM-02 for 2021" in str(refused.value)
    assert state(db_of("submissions")) == before and db_of("submissions").clusters.find_one({"_id": "CUM-09"}) is None
    svc.as_(ADMIN).upsert_cluster({**cluster, "level": "ministry"})             # another level: its own clusters
    svc.as_(ADMIN).upsert_cluster({**cluster, "year": 2022})                    # another year: likewise
    cum02 = db_of("submissions").clusters.find_one({"_id": "CUM-02"})
    svc.as_(ADMIN).upsert_cluster({"code": "CUM-02", "name": "Cụm 2, đổi tên", "year": 2021,   # not in its own way
                                   "members": cum02["members"], "level": cum02["level"]})
    assert db_of("submissions").clusters.find_one({"_id": "CUM-02"})["name"] == "Cụm 2, đổi tên"


def test_two_clusters_run_one_quarter_on_their_own(svc, db_of):
    assert demo.play_q1(svc, demo_content()) is True
    assert runs(svc) == {"CUM-01": "CONCLUDED", "CUM-02": "OPEN"}
    concluded = svc.as_(OFFICE).get_run("CUM-01", "2021-Q1")
    assert concluded["conclusion"]["by"] == "thien.nh" and "Vì an ninh Tổ quốc" in concluded["conclusion"]["text"]
    assert svc.as_(officer("D02")).submit_report({**GOOD, "unit": "D02"})["status"] == "SUBMITTED"
    report = svc.as_(LEAD).list_reports("CUM-01", "2021-Q1")["items"][0]
    before = state(db_of("submissions"))
    for call, error in [
        (lambda: svc.as_(LEAD).act_on_report(report["id"], "finalize", {"version": report["version"]}), RunConcluded),
        (lambda: svc.as_(LEAD).close_vote("CUM-01", "2021-Q1"), RunConcluded),
        (lambda: svc.as_(LEAD).open_vote("CUM-01", "2021-Q1"), RunConcluded),
        (lambda: svc.as_(LEAD).open_vote("CUM-02", "2021-Q1"), Forbidden),
        (lambda: svc.as_({"id": "lanhdao.d01"}).open_vote("CUM-02", "2021-Q1"), PeriodNotOpen),
    ]:
        with pytest.raises(error):
            call()
    assert state(db_of("submissions")) == before
    event = db_of("submissions").outbox.find_one({"event.type": "period.concluded.v2"})["event"]
    assert (event["data"]["cluster"], event["data"]["chair"], event["data"]["conclusion"]["text"]) == \
        ("CUM-01", "thien.nh", concluded["conclusion"]["text"])


def to_voting(svc):
    move(svc, "2021-Q1", "open")
    report = svc.as_(officer("U02")).submit_report(GOOD)
    move(svc, "2021-Q1", "close", "start_scoring", "start_voting")
    return report


def conclude(svc, caller=OFFICE):
    version = svc.as_(OFFICE).get_run("CUM-01", "2021-Q1")["version"]
    return svc.as_(caller).transition_run("CUM-01", "2021-Q1", "conclude", {"version": version, "conclusion": TEXT})


def test_a_run_is_concluded_only_with_its_vote_closed_and_every_report_settled(svc, db_of):
    report = to_voting(svc)
    before = state(db_of("submissions"))
    with pytest.raises(VoteNotClosed):
        conclude(svc)
    assert state(db_of("submissions")) == before
    svc.as_(LEAD).open_vote("CUM-01", "2021-Q1")
    with pytest.raises(VoteNotClosed):
        conclude(svc)
    svc.as_(LEAD).close_vote("CUM-01", "2021-Q1")
    before = state(db_of("submissions"))
    with pytest.raises(ReportsNotReviewed) as refused:
        conclude(svc)
    assert refused.value.details["units"] == ["U02"] and state(db_of("submissions")) == before
    assert svc.as_(OFFICE).get_run("CUM-01", "2021-Q1")["state"] == "VOTING"
    svc.as_(LEAD).act_on_report(report["id"], "exclude", {"version": 1, "reason": "Báo cáo không đúng mẫu"})
    with pytest.raises(Forbidden):
        conclude(svc, CHAIR)   # not named the chair of this run yet
    version = svc.as_(OFFICE).get_run("CUM-01", "2021-Q1")["version"]
    svc.as_(OFFICE).set_run("CUM-01", "2021-Q1", {"version": version, "chair": "thien.nh"})
    assert conclude(svc, CHAIR)["state"] == "CONCLUDED"
    assert runs(svc)["CUM-02"] == "PLANNED"


def test_the_chair_reopens_with_a_reason_and_everyone_is_told(svc, db_of):
    test_a_run_is_concluded_only_with_its_vote_closed_and_every_report_settled(svc, db_of)
    version = svc.as_(OFFICE).get_run("CUM-01", "2021-Q1")["version"]
    with pytest.raises(ValidationFailed):
        svc.as_(CHAIR).transition_run("CUM-01", "2021-Q1", "reopen", {"version": version})
    reopened = svc.as_(CHAIR).transition_run("CUM-01", "2021-Q1", "reopen",
                                             {"version": version, "reason": "Sửa điểm của U02"})
    assert (reopened["state"], reopened["conclusion"], reopened["reopened"][0]["reason"]) == \
        ("VOTING", None, "Sửa điểm của U02")
    event = db_of("submissions").outbox.find_one({"event.type": "period.reopened.v1"})["event"]
    assert (event["data"]["reason"], event["data"]["by"], event["data"]["state"]) == \
        ("Sửa điểm của U02", "thien.nh", "VOTING")
    audited = db_of("submissions").audit.find_one({"action": "period.reopen"})
    assert audited["actor"] == "thien.nh"


def test_the_standing_office_moves_every_run_of_a_level_at_once_answered_per_cluster(svc):
    move(svc, "2021-Q2", "open", cluster="CUM-02")
    answer = svc.as_(OFFICE).transition_level("2021-Q2", "open", "province", {})
    assert [(r["cluster"], r["ok"]) for r in answer["results"]] == [("CUM-01", True), ("CUM-02", False)]
    assert answer["results"][1]["error"]["code"] == "INVALID_TRANSITION"
    stale = svc.as_(OFFICE).transition_level("2021-Q2", "close", "province", {"expected": {"CUM-01": 1}})
    assert [r["ok"] for r in stale["results"]] == [False, True]
    assert stale["results"][0]["error"]["code"] == "STALE_VERSION"
    assert runs(svc, "2021-Q2") == {"CUM-01": "OPEN", "CUM-02": "CLOSED"}
    assert svc.as_(OFFICE).transition_level("2021-Q2", "open", "ministry", {})["results"] == []
    with pytest.raises(ValidationFailed):
        svc.as_(OFFICE).transition_level("2021-Q2", "open", "galaxy", {})
    with pytest.raises(Forbidden):
        svc.as_(LEAD).transition_level("2021-Q2", "close", "province", {})


def test_past_reports_are_backfilled_with_their_hand_in_time_and_source_idempotently(svc, db_of):
    move(svc, "2021-Q1", "open", "close")
    batch = {"reports": [{**GOOD, "submitted_at": "2021-04-09T16:00:00+07:00", "source": "paper"},
                         {**GOOD, "unit": "U04", "submitted_at": "2021-04-12T08:00:00+07:00"},
                         {**GOOD, "unit": "U77"}]}
    first = svc.as_(ADMIN).backfill_reports(batch)["results"]
    assert [(r["unit"], r["ok"]) for r in first] == [("U02", True), ("U04", True), ("U77", False)]
    stored = {r["unit"]: r for r in db_of("submissions").reports.find()}
    assert (stored["U02"]["late"], stored["U02"]["source"], stored["U04"]["late"], stored["U04"]["source"]) == \
        (False, "paper", True, "backfill")
    audited = db_of("submissions").audit.find_one({"action": "report.backfill", "entity_id": stored["U02"]["_id"]})
    assert audited["actor"] == "admin"
    again = svc.as_(ADMIN).backfill_reports(batch)["results"]
    assert [r.get("id") for r in again[:2]] == [r["id"] for r in first[:2]]
    assert db_of("submissions").reports.count_documents({}) == 2
    moved = {**batch["reports"][0], "submitted_at": "2021-04-01T08:00:00+07:00"}
    assert svc.as_(ADMIN).backfill_reports({"reports": [moved]})["results"][0]["error"]["code"] == "REPORT_EXISTS"
    with pytest.raises(Forbidden):
        svc.as_(officer("U02")).backfill_reports(batch)
    with pytest.raises(ValidationFailed):
        svc.as_(ADMIN).backfill_reports({"reports": []})


def test_the_reminders_data_is_per_cluster_run(svc):
    move(svc, "2021-Q1", "open", cluster="CUM-02")
    svc.as_(officer("D01")).submit_report({**GOOD, "unit": "D01"})
    [entry] = svc.as_({"id": "admin"}).reporting_status()
    assert (entry["cluster"], entry["period"], entry["label"], entry["missing"], entry["chair"]) == \
        ("CUM-02", "2021-Q1", "Quý I/2021", ["D02", "D03"], None)
    [runs_only] = svc.as_({"id": "admin"}).reporting_status(missing_for=[])     # no report read
    assert runs_only == {**entry, "missing": None}
    assert svc.as_({"id": "admin"}).reporting_status(missing_for=[["CUM-02", "2021-Q1"]]) == [entry]


def test_periods_with_a_state_are_migrated_into_runs_once(svc, db_of):
    db = db_of("submissions")
    db.runs.delete_many({"period": "2021-Q1"})
    db.periods.update_one({"_id": "2021-Q1"}, {"$set": {"state": "SCORING"}})
    db.reports.insert_one({"_id": "old", "unit": "U02", "period": "2021-Q1", "cluster": "CUM-01",
                           "status": "SUBMITTED"})
    assert migrate(db) == {"periods": 1, "runs": 2}
    assert runs(svc) == {"CUM-01": "SCORING", "CUM-02": "SCORING"}
    assert "state" not in db.periods.find_one({"_id": "2021-Q1"}) and db.reports.find_one({"_id": "old"})
    assert db.audit.count_documents({"actor": "system:migrate-runs"}) == 3
    assert migrate(db) == {"periods": 0, "runs": 0}
