"""Notices of two clusters running the same quarter, over the real broker and database: none crosses
between them; the standing office and the chair hear of late hand-ins and of the units still missing
at the deadline; the results name the cluster, the label, the leading unit and the conclusion; in a
realistic quarter a leader gets at most two immediate ranking notices per cluster."""
import sys
from datetime import datetime

import pytest

from services.notifications.audiences import audience
from tests.helpers import demo_reference, report_event
from tests.integration.test_notifications import People, demo_caller, mail, start_platform  # noqa: F401 (fixture)
from tests.integration.test_notifications_interface import directory_events
from thidua import contracts
from thidua.caller import CallerProvider
from thidua.contracts import INTEGER, STRING, STRING_OR_NULL, SUBMISSIONS, extend, record
from thidua.events import new_event
from thidua.rpc import rpc

pytestmark = pytest.mark.integration

RUN = record(cluster=STRING, cluster_name=STRING, level=STRING, period=STRING, label=STRING, year=INTEGER,
             state=STRING, deadline=STRING_OR_NULL)
RUN_CONTRACTS = {"period.concluded.v2": extend(RUN, conclusion=record(text=STRING, by=STRING, at=STRING),
                                               chair=STRING_OR_NULL),
                 "period.reopened.v1": extend(RUN, reason=STRING, by=STRING)}
SECOND = {"units": [{"code": "U07", "name": "Công an huyện Kỳ Anh"}, {"code": "U08", "name": "Công an huyện Hương Khê"}],
          "clusters": [{"code": "CUM-09", "name": "Cụm thi đua số 2", "level": "province", "year": 2021,
                        "members": [{"unit": "U07", "role": "lead"}, {"unit": "U08", "role": "member"}]}],
          "people": [{"id": "lanhdao.u07", "name": "Lãnh đạo Công an huyện Kỳ Anh", "role": "unit_leader",
                      "unit": "U07", "email": "lanhdao.u07@example.com"},
                     {"id": "canbo.u08", "name": "Cán bộ Công an huyện Hương Khê", "role": "unit_officer",
                      "unit": "U08", "email": "canbo.u08@example.com"},
                     {"id": "bo.thuongtruc", "name": "Thường trực Cụm (Bộ)", "role": "standing_office",
                      "level": "ministry", "email": "bo@example.com"}]}
def _cum01():
    """CUM-01's units' people and the province's leaders (the demo's own second cluster is not CUM-01)."""
    reference = demo_reference()
    members = {m["unit"] for c in reference["clusters"] if c["code"] == "CUM-01" for m in c["members"]}
    return {p["id"] for p in reference["people"]
            if p.get("unit") in members or p["role"] in ("provincial_leader", "standing_office")}


CUM01 = _cum01()
CUM02 = {"lanhdao.u07", "canbo.u08"}
DEADLINE = "2021-04-10T10:00:00.000Z"
STATUS = [
    {"cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "level": "province", "period": "2021-Q1",
     "label": "Quý I/2021", "deadline": DEADLINE, "missing": ["U03", "U05"], "chair": "thien.nh"},
    {"cluster": "CUM-09", "cluster_name": "Cụm thi đua số 2", "level": "province", "period": "2021-Q1",
     "label": "Quý I/2021", "deadline": DEADLINE, "missing": ["U08"], "chair": None},
]


class Runs(People):
    """The service that owns people and periods, as far as notifications asks it: who the caller is,
    and the runs taking reports."""
    caller = CallerProvider(demo_caller)

    asked = []      # the missing_for of each call

    @rpc
    def reporting_status(self, missing_for=None):
        Runs.asked.append(missing_for)
        wanted = None if missing_for is None else {tuple(pair) for pair in missing_for}
        return [{**entry, "missing": entry["missing"] if wanted is None or (entry["cluster"], entry["period"]) in wanted
                 else None} for entry in STATUS]


@pytest.fixture
def runs_contracts():
    # Only the contracts not already declared, and only those taken back: removing the real ones
    # would leave every later test of the session without them.
    added = [event_type for event_type in RUN_CONTRACTS if event_type not in contracts.CONTRACTS]
    for event_type in added:
        contracts.register(event_type, SUBMISSIONS, RUN_CONTRACTS[event_type])
    yield
    for event_type in added:
        contracts.unregister(event_type)


@pytest.fixture
def platform(container_factory, service_config, mail, rabbit_config, db_of, runs_contracts):
    platform = start_platform(container_factory, service_config, rabbit_config, db_of, mail, Runs)
    for event in directory_events({"units": SECOND["units"], "clusters": SECOND["clusters"],
                                   "people": SECOND["people"]}):
        platform.publish(event)
    return platform


def told(db, **query):
    return {n["person"] for n in db.inbox.find(query)}


def at(monkeypatch, moment):
    monkeypatch.setattr("services.notifications.service.utcnow",
                        lambda: datetime.fromisoformat(moment.replace("Z", "+00:00")))


def ranking(version, leader, status, trigger, cluster="CUM-01", name="Cụm thi đua số 1", changed=False,
            classes=()):
    return new_event("ranking.updated.v1", {
        "cluster": cluster, "cluster_name": name, "period": "2021-Q1", "version": version,
        "table": [{"rank": 1, "unit": "U04", "unit_name": "Phòng Hậu cần", "total": 91, "class": "XS", "late": False},
                  {"rank": 2, "unit": "U07", "unit_name": "Công an huyện Kỳ Anh", "total": 88, "class": "XS",
                   "late": False}],
        "leader": leader, "previous_leader": None, "leader_changed": changed, "rank_moves": [],
        "class_changes": list(classes), "leader_status": status, "trigger_event_id": f"t{version}",
        "trigger_event_type": trigger}, "c")


def run_event(event_type, cluster="CUM-01", name="Cụm thi đua số 1", **extra):
    return new_event(event_type, {"cluster": cluster, "cluster_name": name, "level": "province",
                                  "period": "2021-Q1", "label": "Quý I/2021", "year": 2021, "state": "CONCLUDED",
                                  "deadline": DEADLINE, **extra}, "c")


def test_the_results_of_one_cluster_name_it_and_reach_only_its_people_and_its_levels_leaders(platform):
    platform.publish(ranking(1, "U04", "elected", "vote.closed.v1"), "on_ranking_updated")
    concluded = run_event("period.concluded.v2", chair="thien.nh", conclusion={
        "text": "Các đơn vị tiếp tục đẩy mạnh phong trào thi đua Vì an ninh Tổ quốc.", "by": "thien.nh",
        "at": "2021-04-15T02:00:00.000Z"})
    platform.publish(concluded)
    reached = told(platform.db, kind="results.published")
    assert reached == CUM01 and not reached & (CUM02 | {"bo.thuongtruc"})
    notice = platform.db.inbox.find_one({"kind": "results.published", "person": "canbo.u05"})
    assert notice["title"] == "Cụm thi đua số 1: công bố kết quả thi đua Quý I/2021"
    assert "Đơn vị dẫn đầu: Phòng Hậu cần." in notice["body"] and "2021-Q1" not in notice["body"]
    assert ("Kết luận của đồng chí Nguyễn Hữu Thiên ngày 15/04/2021: Các đơn vị tiếp tục đẩy mạnh phong trào thi đua "
            "Vì an ninh Tổ quốc.") in notice["body"]
    platform.publish(run_event("period.reopened.v1", reason="Sai số liệu của Phòng Hồ sơ", by="trung.th"))
    assert told(platform.db, kind="results.reopened") == reached   # everyone who got the results
    platform.publish(run_event("period.concluded.v2", "CUM-09", "Cụm thi đua số 2", chair=None, conclusion={
        "text": "Hoàn thành.", "by": "trung.th", "at": "2021-04-16T02:00:00.000Z"}))
    second = told(platform.db, kind="results.published", cluster="CUM-09")
    assert second == CUM02 | {"thien.nh", "trung.th"}
    assert "Chưa xác định đơn vị dẫn đầu." in platform.db.inbox.find_one({"person": "canbo.u08"})["body"]


def test_late_hand_ins_and_the_missing_list_reach_the_standing_office_and_the_chair_within_the_cluster(
        platform, monkeypatch):
    at(monkeypatch, "2021-04-09T12:00:00Z")
    due = platform.service.run_reminders()    # the day before: each missing unit's own people
    assert due == ["due|2021-Q1|U03|24h", "due|2021-Q1|U05|24h", "due|2021-Q1|U08|24h"]
    assert told(platform.db, kind="deadline.approaching", cluster="CUM-09") == {"canbo.u08"}
    late = report_event(unit="U05")
    late["data"].update(late=True, unit_name="Phòng Hồ sơ", submitted_at="2021-04-11T01:30:00.000Z")
    platform.publish(late)
    assert told(platform.db, kind="report.late") == {"trung.th", "thien.nh"}          # the office and the chair
    assert told(platform.db, kind="report.submitted") == {"hanh.ptv", "lanhdao.u02"}  # the cluster lead, as before
    notice = platform.db.inbox.find_one({"kind": "report.late", "person": "thien.nh"})
    assert notice["body"] == ("Phòng Hồ sơ (U05) thuộc Cụm thi đua số 1 đã nộp báo cáo thi đua Quý I/2021 lúc 08:30 "
                              "ngày 11/04/2021, sau hạn nộp (17:00 ngày 10/04/2021).")
    at(monkeypatch, "2021-04-10T10:01:00Z")
    missed = platform.service.run_reminders()
    assert missed == ["missed|2021-Q1|U03", "missed|2021-Q1|U05", "missed|2021-Q1|CUM-01", "missed|2021-Q1|U08",
                      "missed|2021-Q1|CUM-09"]
    lists = list(platform.db.inbox.find({"kind": "deadline.missed", "event_id": "missed|2021-Q1|CUM-01"}))
    assert {n["person"] for n in lists} == {"hanh.ptv", "lanhdao.u02", "trung.th", "thien.nh"}
    assert ("Cụm thi đua số 1, Quý I/2021: các đơn vị chưa nộp báo cáo: Phòng Công tác Đảng và công tác chính trị, "
            "Phòng Hồ sơ.") in lists[0]["body"]
    second = told(platform.db, kind="deadline.missed", event_id="missed|2021-Q1|CUM-09")
    assert second == {"lanhdao.u07", "trung.th"}                                       # no chair named for it
    assert not told(platform.db, cluster="CUM-09") & CUM01 - {"trung.th", "thien.nh"}
    assert not told(platform.db, cluster="CUM-01") & CUM02
    assert platform.service.run_reminders() == []                                        # once


def test_in_a_realistic_quarter_each_leader_gets_at_most_two_immediate_ranking_notices(platform):
    versions = []

    def add(trigger, leader, changed=False, status="provisional", classes=()):
        versions.append(ranking(len(versions) + 1, leader, status, trigger, changed=changed, classes=classes))
    for unit, leader, changed in [("U01", "U01", True), ("U02", "U02", True), ("U03", "U02", False),
                                  ("U04", "U04", True), ("U05", "U04", False), ("U06", "U04", False)]:
        add("report.submitted.v1", leader, changed, classes=[{"unit": unit, "from": None, "to": "KHA"}])
    for _ in range(3):
        add("report.reviewed.v1", "U04", classes=[{"unit": "U03", "from": "KHA", "to": "TOT"}])
    add("vote.closed.v1", "U04", status="elected", classes=[{"unit": "U02", "from": "TOT", "to": "XS"}])
    add("report.finalized.v1", "U04", status="elected", classes=[{"unit": "U05", "from": "KHA", "to": "TOT"}])
    for event in versions:
        platform.publish(event, "on_ranking_updated")
    leaders = {p["id"] for p in audience("leaders", platform.db.people.find(), cluster=platform.db.clusters.find_one(
        {"_id": "CUM-01"}))}
    assert leaders == {"thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02"}
    at_once = {person: platform.db.inbox.count_documents({"person": person, "kind": "ranking.changed"})
               for person in leaders}
    assert at_once == {person: 1 for person in leaders}
    assert not told(platform.db, kind="ranking.changed") - leaders                      # nobody else, CUM-09 none
    assert platform.service.send_digests(None, 0) == len(leaders)
    digest = platform.db.inbox.find_one({"person": "thien.nh", "kind": "digest"})
    assert digest["title"] == "Tổng hợp 10 cập nhật bảng xếp hạng"
    assert digest["body"] == "• Cụm thi đua số 1, Quý I/2021: 10 cập nhật; dẫn đầu: Phòng Hậu cần"


def test_the_reminders_keep_each_runs_chair_and_deadline_and_write_only_what_changed(platform, monkeypatch):
    at(monkeypatch, "2021-03-01T00:00:00Z")         # long before the deadline: nothing is due
    assert platform.service.run_reminders() == []
    kept = {run["_id"]: run for run in platform.db.runs.find()}
    assert kept["CUM-01|2021-Q1"]["chair"] == "thien.nh" and kept["CUM-09|2021-Q1"]["deadline"] == DEADLINE
    platform.db.command("profile", 2)               # every operation on the database, from now on
    platform.db.system.profile.drop()
    assert platform.service.run_reminders() == []   # nothing changed
    monkeypatch.setitem(STATUS[1], "chair", "thien.nh")
    assert platform.service.run_reminders() == []   # one run's chair named
    writes = [entry["op"] for entry in platform.db.system.profile.find({"ns": f"{platform.db.name}.runs"})
              if entry["op"] != "query"]
    platform.db.command("profile", 0)
    assert writes == ["update"]
    assert platform.db.runs.find_one({"_id": "CUM-09|2021-Q1"})["chair"] == "thien.nh"


def test_a_stage_whose_reminders_are_all_recorded_is_neither_read_nor_tried_again(platform, monkeypatch):
    at(monkeypatch, "2021-04-10T10:01:00Z")         # past the deadline: both runs at the missed stage
    Runs.asked.clear()
    assert len(platform.service.run_reminders()) == 5
    assert Runs.asked == [[], [["CUM-01", "2021-Q1"], ["CUM-09", "2021-Q1"]]]   # the runs, then their missing
    platform.db.command("profile", 2)
    platform.db.system.profile.drop()
    Runs.asked.clear()
    assert platform.service.run_reminders() == []
    read = {entry["ns"].split(".", 1)[1] for entry in platform.db.system.profile.find()}
    platform.db.command("profile", 0)
    assert Runs.asked == [[]]                       # no run's reports asked for again
    assert not read & {"people", "units", "processed_events", "inbox"}, read   # no audience, no transaction


def test_a_reminder_that_waits_for_the_directory_keeps_its_stage_open_until_it_is_sent(platform, monkeypatch):
    unknown = {**STATUS[1], "cluster": "CUM-77", "cluster_name": "Cụm thi đua số 7", "missing": ["U77"]}
    monkeypatch.setattr(sys.modules[__name__], "STATUS", [*STATUS, unknown])
    at(monkeypatch, "2021-04-10T10:01:00Z")
    Runs.asked.clear()
    assert "missed|2021-Q1|CUM-77" not in platform.service.run_reminders()    # CUM-77 is not in the copy yet
    assert platform.service.run_reminders() == []
    assert Runs.asked[-1] == [["CUM-77", "2021-Q1"]]                          # asked again, alone
    for event in directory_events({"units": [{"code": "U77", "name": "Công an huyện Vũ Quang"}],
                                   "clusters": [{"code": "CUM-77", "name": "Cụm thi đua số 7", "level": "province",
                                                 "year": 2021, "members": [{"unit": "U77", "role": "lead"}]}],
                                   "people": []}):
        platform.publish(event)
    assert platform.service.run_reminders() == ["missed|2021-Q1|U77", "missed|2021-Q1|CUM-77"]
    Runs.asked.clear()
    assert platform.service.run_reminders() == [] and Runs.asked == [[]]
