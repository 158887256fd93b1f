"""The submissions service against the real broker and database: reference data, the
report lifecycle, optimistic concurrency, idempotency, votes and the audit trail."""
import pytest
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import get_extension

from scripts import demo
from services.submissions.domain import access
from services.submissions.service import SubmissionsService
from thidua import outbox, seal
from thidua.caller import CONTEXT_KEY
from thidua.errors import (AlreadyVoted, Forbidden, IdempotencyKeyReused, InvalidTransition, NotAMember,
                           PeriodNotOpen, ReportExists, StaleVersion, Unauthenticated, UnknownCluster, UnknownPeriod,
                           UnknownUnit, ValidationFailed, VotingClosed)
from thidua.kept import KeptReads
from thidua.settings import Ballots
from tests.helpers import demo_content, demo_reference, system

pytestmark = pytest.mark.integration
LOADER = system("demo-loader")
OFFICE, LEAD, ADMIN = {"id": "trung.th"}, {"id": "hanh.ptv"}, {"id": "admin"}
GOOD = {"unit": "U02", "period": "2021-Q1", "values": {"C1.1": {"actual": 100}}, "self_scores": {"C1.1": 10}}


def officer(unit):
    return {"id": f"canbo.{unit.lower()}"}


class Client:
    """Calls the service's RPC methods through its real entrypoints, as ``caller`` (a
    credential in the context data, as the gateway and the other services send it; or a function
    that makes one, for a service token made fresh at each call)."""

    def __init__(self, container, caller=None):
        self.container, self.caller = container, caller

    def as_(self, caller):
        return Client(self.container, caller)

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            caller = self.caller() if callable(self.caller) else self.caller
            context = {CONTEXT_KEY: caller} if caller is not None else None
            with entrypoint_hook(self.container, method, context_data=context) as hook:
                return hook(*args, **kwargs)
        return call


@pytest.fixture
def svc(container_factory, service_config):
    container = container_factory(SubmissionsService, service_config("submissions"))
    container.start()
    client = Client(container)
    client.as_(LOADER).load_reference_data(demo_reference())
    return client


def move(svc, period, *actions, cluster="CUM-01", **arguments):
    """Move ``cluster``'s run of ``period`` as the standing office, from the version it is at."""
    for action in actions:
        current = svc.as_(OFFICE).get_run(cluster, period)
        svc.as_(OFFICE).transition_run(cluster, period, action, {"version": current["version"], **arguments})


def state(db):
    return {name: db[name].count_documents({}) for name in
            ("reports", "audit", "outbox", "periods", "runs", "vote_sessions", "ballot_boxes", "idempotency")}


@pytest.fixture
def opened(svc):
    move(svc, "2021-Q1", "open")
    return svc


def test_a_submitted_report_is_stored_with_its_audit_entry_and_event(opened, db_of):
    report = opened.as_(officer("U02")).submit_report(GOOD)
    db = db_of("submissions")
    stored = db.reports.find_one({"_id": report["id"]})
    assert (stored["status"], stored["cluster"], stored["self_total"], stored["version"]) == \
        ("SUBMITTED", "CUM-01", 10, 1)
    assert stored["late"] is True  # the demo period's deadline (10 April 2021) has long passed
    entry = db.outbox.find_one({"event.data.report_id": report["id"]})
    assert entry["event"]["type"] == "report.submitted.v1"
    trail = db.audit.find_one({"entity": "report", "entity_id": report["id"]})
    assert (trail["action"], trail["actor"]) == ("report.submit", "canbo.u02")
    assert trail["context"]["event_ids"] == [entry["_id"]]
    assert trail["correlation_id"] == stored["correlation_id"] == entry["event"]["correlation_id"]


def test_the_whole_lifecycle_with_a_return_and_resubmission(opened, db_of):
    draft = opened.as_(officer("U02")).submit_report({**GOOD, "draft": True})
    assert draft["status"] == "DRAFT"
    unit = opened.as_(officer("U02"))
    changed = unit.update_report(draft["id"], {"version": 1, "values": {"C1.1": {"actual": 99}},
                                               "self_scores": {"C1.1": 9.5}})
    assert (changed["version"], changed["self_total"]) == (2, 9.5)
    submitted = opened.as_(officer("U02")).act_on_report(draft["id"], "submit", {"version": 2})
    returned = opened.as_(LEAD).act_on_report(draft["id"], "return", {"version": 3, "reason": "Thiếu số liệu C1.2"})
    assert (returned["status"], returned["return_reason"]) == ("RETURNED", "Thiếu số liệu C1.2")
    fixed = unit.update_report(draft["id"], {"version": 4, "values": {"C1.1": {"actual": 99}, "C1.2": {
        "actual": 96}}})
    resubmitted = opened.as_(officer("U02")).act_on_report(draft["id"], "submit", {"version": fixed["version"]})
    assert resubmitted["status"] == "RESUBMITTED" and resubmitted["return_reason"] is None
    reviewed = opened.as_({"id": "lanhdao.u02"}).act_on_report(draft["id"], "review", {"version": 6, "review": {
        "C1.1": {"points": 9, "comment": "Trừ 0,5 điểm"}}})
    final = opened.as_(LEAD).act_on_report(draft["id"], "finalize", {"version": reviewed["version"]})
    assert final["status"] == "FINALIZED" and final["review"]["C1.1"]["points"] == 9
    assert [h["status"] for h in final["history"]] == ["DRAFT", "SUBMITTED", "RETURNED", "RESUBMITTED",
                                                       "REVIEWED", "FINALIZED"]
    assert submitted["submitted_at"] is not None
    events = [e["event"]["type"] for e in db_of("submissions").outbox.find({"event.data.report_id": draft["id"]})
              .sort("created_at")]
    assert events == ["report.submitted.v1", "report.returned.v1", "report.resubmitted.v1",
                      "report.reviewed.v1", "report.finalized.v1"]
    with pytest.raises(InvalidTransition):   # locked
        opened.as_(officer("U02")).update_report(draft["id"], {"version": final["version"]})


@pytest.mark.parametrize("call, error", [
    (lambda s, r: s.as_(officer("U02")).submit_report({**GOOD, "unit": "U99"}), UnknownUnit),
    (lambda s, r: s.as_(officer("U02")).submit_report({**GOOD, "period": "2030-Q1"}), UnknownPeriod),
    (lambda s, r: s.as_(officer("U02")).submit_report({**GOOD, "values": {"C1.1": {"actual": "lots"}}}),
     ValidationFailed),
    (lambda s, r: s.as_(officer("U02")).submit_report({**GOOD, "values": {"ZZ": {"actual": 1}}}), ValidationFailed),
    (lambda s, r: s.as_(officer("U02")).submit_report({**GOOD, "self_scores": {"C1.1": 99}}), ValidationFailed),
    (lambda s, r: s.as_(officer("U03")).submit_report(GOOD), Forbidden),
    (lambda s, r: s.as_({"id": "nobody"}).submit_report(GOOD), Unauthenticated),
    (lambda s, r: s.as_({}).submit_report(GOOD), Unauthenticated),
    (lambda s, r: s.as_(officer("U02")).submit_report({**GOOD, "period": "2021-Q2"}), PeriodNotOpen),
    (lambda s, r: s.as_(officer("U02")).submit_report(GOOD), ReportExists),
    (lambda s, r: s.as_(officer("U01")).act_on_report(r["id"], "return", {"version": 1, "reason": "x"}), Forbidden),
    (lambda s, r: s.as_(LEAD).act_on_report(r["id"], "return", {"version": 1}), ValidationFailed),
    (lambda s, r: s.as_(LEAD).act_on_report(r["id"], "finalize", {"version": 1}), InvalidTransition),
    (lambda s, r: s.as_(officer("U02")).act_on_report(r["id"], "submit", {"version": 1}), InvalidTransition),
    (lambda s, r: s.as_(LEAD).act_on_report(r["id"], "review", {"version": 7}), StaleVersion),
    (lambda s, r: s.as_(LEAD).act_on_report(r["id"], "review", {}), ValidationFailed),
    (lambda s, r: s.as_(LEAD).act_on_report(r["id"], "celebrate", {"version": 1}), InvalidTransition),
    (lambda s, r: s.as_(officer("U02")).update_report(r["id"], {"version": 1}), InvalidTransition),
    (lambda s, r: s.as_(OFFICE).transition_run("CUM-01", "2021-Q1", "open", {"version": 2}), InvalidTransition),
    (lambda s, r: s.as_(OFFICE).transition_run("CUM-01", "2021-Q1", "close", {"version": 1}), StaleVersion),
    (lambda s, r: s.as_(LEAD).transition_run("CUM-01", "2021-Q1", "close", {"version": 2}), Forbidden),
    (lambda s, r: s.as_(OFFICE).transition_run("CUM-09", "2021-Q1", "close", {"version": 2}), UnknownCluster),
    (lambda s, r: s.as_(LEAD).act_on_report(r["id"], "exclude", {"version": 1}), ValidationFailed),
    (lambda s, r: s.as_(officer("U01")).take_ballot("CUM-01", "2021-Q1"), VotingClosed),
    (lambda s, r: s.as_(LEAD).open_vote("CUM-01", "2021-Q1"), PeriodNotOpen),
    (lambda s, r: s.as_(ADMIN).publish_template({"id": "T"}), ValidationFailed),
    (lambda s, r: s.as_(LEAD).publish_template(demo_content()["templates"][0]), Forbidden),
])
def test_every_refused_command_changes_nothing(opened, db_of, call, error):
    report = opened.as_(officer("U02")).submit_report(GOOD)
    before = state(db_of("submissions"))
    with pytest.raises(error) as caught:
        call(opened, report)
    assert caught.value.code and caught.value.message
    assert state(db_of("submissions")) == before


def test_a_late_report_is_accepted_and_flagged_when_the_period_has_closed(opened):
    move(opened, "2021-Q1", "close")
    report = opened.as_(officer("U04")).submit_report({**GOOD, "unit": "U04"})
    assert report["status"] == "SUBMITTED" and report["late"] is True


def test_a_retried_post_with_the_same_idempotency_key_makes_one_report(opened, db_of):
    first = opened.as_(officer("U02")).submit_report(GOOD, "key-1")
    again = opened.as_(officer("U02")).submit_report(GOOD, "key-1")
    assert again == first
    assert db_of("submissions").reports.count_documents({}) == 1
    with pytest.raises(IdempotencyKeyReused):
        opened.as_(officer("U02")).submit_report({**GOOD, "unit": "U02", "self_scores": {}}, "key-1")


def test_a_unit_outside_any_cluster_is_refused(opened):
    opened.as_(ADMIN).upsert_unit({"code": "U77", "name": "Đơn vị ngoài cụm"})
    opened.as_(ADMIN).upsert_person({"id": "canbo.u77", "name": "Cán bộ", "role": "unit_officer", "unit": "U77"})
    with pytest.raises(NotAMember):
        opened.as_(officer("U77")).submit_report({**GOOD, "unit": "U77"})


def test_a_template_in_use_is_never_changed_a_change_is_a_new_version(svc, db_of):
    changed = {**demo_content()["templates"][0], "name": "Bộ tiêu chí sửa đổi"}
    published = svc.as_(ADMIN).publish_template(changed, "publish-1")
    assert published["version"] == 2
    assert svc.as_(ADMIN).publish_template(changed, "publish-1") == published   # a retry is not a third version
    assert svc.get_template("TCTD-CAT-2021", 1)["name"] != "Bộ tiêu chí sửa đổi"
    assert db_of("submissions").runs.find_one({"_id": "CUM-01:2021-Q1"})["template"] == {
        "id": "TCTD-CAT-2021", "version": 1}


def test_loading_reference_data_twice_changes_nothing_the_second_time(svc, db_of):
    audit_before = db_of("submissions").audit.count_documents({})
    assert svc.as_(LOADER).load_reference_data(demo_reference()) == {
        "templates": 0, "units": 0, "clusters": 0, "periods": 0, "people": 0}
    assert db_of("submissions").audit.count_documents({}) == audit_before


def play_vote(svc):
    """Q1 as the demo plays it: every unit reports, the lead reviews, the cluster votes."""
    content = demo_content()
    assert demo.play_q1(svc, content) is True
    return content


def test_the_cluster_summary_reports_the_seeds_commendation_totals(svc):
    play_vote(svc)
    summary = svc.as_(OFFICE).cluster_summary("CUM-01", "2021-Q1")
    assert summary["commendations"] == {
        "BANG_KHEN": {"GOVERNMENT": {"collective": 1, "individual": 0},
                      "MINISTRY": {"collective": 10, "individual": 0},
                      "PROVINCE": {"collective": 5, "individual": 8}},
        "GIAY_KHEN": {"DIRECTOR": {"collective": 10, "individual": 33}},
        "BIEU_DUONG": {"DIRECTOR": {"collective": 0, "individual": 0, "mixed": 19}},   # "19 lượt", not split
    }
    assert summary["by_status"] == {"REVIEWED": 6} and summary["not_submitted"] == []


def vote(svc, unit, ballot):
    return demo.vote(svc, officer(unit), "CUM-01", "2021-Q1", ballot)


def test_a_unit_votes_once_and_the_tally_shows_only_after_closing(svc):
    move(svc, "2021-Q1", "open", "close", "start_scoring", "start_voting")
    svc.as_(LEAD).open_vote("CUM-01", "2021-Q1")
    for unit in ("U03", "U04", "U05"):
        vote(svc, unit, {"leading_unit": "U01", "classes": {"U02": "TOT"}})
    with pytest.raises(AlreadyVoted):
        vote(svc, "U03", {"leading_unit": "U02"})
    status = svc.vote_status("CUM-01", "2021-Q1")
    assert (status["state"], status["ballots_cast"], status["voted"], status["tally"]) == \
        ("OPEN", 3, ["U03", "U04", "U05"], None)
    with pytest.raises(Forbidden):
        svc.as_({"id": "thien.nh"}).take_ballot("CUM-01", "2021-Q1")
    closed = svc.as_(LEAD).close_vote("CUM-01", "2021-Q1")
    assert closed["tally"] == {"ballots_cast": 3, "eligible": 6, "classes": {"U02": {"TOT": 3}},
                               "leading_unit": {"U01": 3}}
    with pytest.raises(VotingClosed):
        svc.as_(officer("U06")).take_ballot("CUM-01", "2021-Q1")


def test_a_ballot_sent_with_a_person_is_refused_and_nothing_is_kept(svc, db_of):
    move(svc, "2021-Q1", "open", "close", "start_scoring", "start_voting")
    svc.as_(LEAD).open_vote("CUM-01", "2021-Q1")
    token = svc.as_(officer("U03")).take_ballot("CUM-01", "2021-Q1")["token"]
    sealed = seal.seal_ballot(Ballots.of({}).key(), "CUM-01", "2021-Q1", token, {"leading_unit": "U01"})
    with pytest.raises(Forbidden):
        svc.as_(officer("U03")).cast_ballot("CUM-01", "2021-Q1", token, sealed)
    assert db_of("submissions").ballot_boxes.count_documents({}) == 0
    svc.cast_ballot("CUM-01", "2021-Q1", token, sealed)   # the same, with the token alone
    assert db_of("submissions").ballot_boxes.find_one()["version"] == 1


def test_a_vote_below_the_minimum_publishes_only_the_totals(svc, db_of):
    move(svc, "2021-Q1", "open", "close", "start_scoring", "start_voting")
    svc.as_(LEAD).open_vote("CUM-01", "2021-Q1")
    vote(svc, "U03", {"leading_unit": "U01", "classes": {"U02": "TOT", "U04": "KHA"}})
    closed = svc.as_(LEAD).close_vote("CUM-01", "2021-Q1")
    totals = {"ballots_cast": 1, "eligible": 6, "classes": {}, "leading_unit": {}, "withheld": True, "minimum": 3,
              "class_totals": {"TOT": 1, "KHA": 1}}
    assert closed["tally"] == totals == svc.vote_status("CUM-01", "2021-Q1")["tally"]
    db = db_of("submissions")
    event = db.outbox.find_one({"event.type": "vote.closed.v1"})["event"]
    assert event["data"]["tally"] == totals
    assert db.ballot_boxes.count_documents({}) == 0   # counted, then gone
    assert not {"U02", "U04"} & set(repr([db.vote_sessions.find_one()["tally"], event["data"]["tally"]]).split("'"))


def test_the_audit_trail_is_queryable_by_unit_period_and_actor(svc):
    play_vote(svc)
    office = svc.as_(OFFICE)
    by_unit = office.audit_trail(unit="U04", limit=500)["items"]
    assert {a["action"] for a in by_unit} == {"report.submit", "report.review", "vote.ballot_taken"}
    by_actor = office.audit_trail(actor="hanh.ptv", limit=500)["items"]
    assert {a["action"] for a in by_actor} == {"report.review", "vote.open", "vote.close"}
    by_period = office.audit_trail(period="2021-Q1", limit=500)["items"]
    assert {"period.open", "period.conclude", "report.submit"} <= {a["action"] for a in by_period}
    with pytest.raises(ValidationFailed):
        office.audit_trail(limit=100000)
    with pytest.raises(Forbidden):
        svc.as_({"id": "thien.nh"}).audit_trail()


def walk(read, limit):
    """Every item of a paged list, page after page."""
    items, cursor = [], None
    while True:
        page = read(limit=limit, cursor=cursor)
        assert len(page["items"]) <= limit
        items += page["items"]
        if (cursor := page["next"]) is None:
            return items


def test_the_audit_trail_and_the_reports_are_walked_in_pages_each_entry_once(svc):
    play_vote(svc)
    office = svc.as_(OFFICE)
    whole = office.audit_trail(period="2021-Q1", limit=500)
    assert whole["next"] is None and len(whole["items"]) > 6
    assert walk(lambda **page: office.audit_trail(period="2021-Q1", **page), 3) == whole["items"]
    for reader in (office, svc.as_(LEAD), svc.as_({"id": "canbo.u04"})):   # each sees only what it may
        every = reader.list_reports("CUM-01", "2021-Q1", limit=1000)["items"]
        assert every and walk(lambda **page: reader.list_reports("CUM-01", "2021-Q1", **page), 2) == every


def test_if_the_event_cannot_be_recorded_the_report_is_not_stored_either(opened, db_of, monkeypatch):
    def broken(db, session, event):
        db["outbox"].insert_one({"_id": "half-written"}, session=session)
        raise RuntimeError("outbox write failed")
    monkeypatch.setattr(outbox, "record", broken)
    before = state(db_of("submissions"))
    with pytest.raises(RuntimeError):
        opened.as_(officer("U02")).submit_report(GOOD)
    assert state(db_of("submissions")) == before


def test_each_audience_of_a_cluster_is_the_right_people(svc):
    def who(*args):
        return {p["id"] for p in svc.as_(LOADER).audience(*args)}   # the notifying services' question
    assert who("leaders", "CUM-01") == {"thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02"}
    assert who("cluster_lead", "CUM-01") == {"hanh.ptv", "lanhdao.u02"}
    assert who("unit", "CUM-01", "U04") == {"canbo.u04"}
    assert who("members", "CUM-01") == {"hanh.ptv", "lanhdao.u02", *(f"canbo.u0{n}" for n in range(1, 7))}
    assert who("members", "CUM-02") == {"lanhdao.d01", "canbo.d01", "canbo.d02", "canbo.d03"}
    assert who("everyone") == who("members", "CUM-01") | who("members", "CUM-02") | {"thien.nh", "trung.th"}
    with pytest.raises(ValidationFailed):
        svc.as_(LOADER).audience("friends", "CUM-01")


def test_an_audience_and_a_meetings_seats_are_read_by_one_indexed_field_at_a_time(svc, db_of):
    """A query naming a role and a list of units (or a ``$or`` of them) made the embedded server
    compare every person of the role with every unit: seconds in a province's directory."""
    db = db_of("submissions")
    db.command("profile", 2)
    db.system.profile.drop()
    try:
        seats = {p["id"] for p in svc.as_(OFFICE).meeting_record("CUM-01", "2021-Q1")["people"]}
        for who in access.AUDIENCES:
            svc.as_(LOADER).audience(who, "CUM-01", "U04")
        filters = [e["command"]["filter"] for e in db.system.profile.find({"command.find": "people"})]
    finally:
        db.command("profile", 0)
    assert seats == {"thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02"}   # leaders, and the members' leaders
    assert {"role"} in [set(f) for f in filters] and {"unit"} in [set(f) for f in filters]
    assert all(set(f) in ({"role"}, {"unit"}, {"_id"}) for f in filters), filters


def test_the_signed_in_person_sees_their_units_clusters_with_its_role_and_a_leader_every_cluster(svc):
    def clusters(person):
        return [(c["id"], c["name"], c["year"], c["role"]) for c in svc.as_({"id": person}).me()["clusters"]]
    assert clusters("lanhdao.u02") == [("CUM-01", "Cụm thi đua số 1", 2021, "deputy")]
    assert clusters("canbo.d03") == [("CUM-02", "Cụm thi đua số 2", 2021, "member")]
    assert clusters("thien.nh") == [("CUM-01", "Cụm thi đua số 1", 2021, None), ("CUM-02", "Cụm thi đua số 2", 2021, None)]


def test_an_evidence_file_is_kept_in_gridfs_and_a_report_may_refer_only_to_its_own_units(opened, db_of):
    import base64
    pdf = b"%PDF-1.7\n" + "Báo cáo tổng kết quý I".encode() * 100
    unit = opened.as_(officer("U02"))
    stored = unit.store_evidence("U02", "Bao cao quy I.pdf", "application/pdf", base64.b64encode(pdf).decode())
    assert stored["size"] == len(pdf) and stored["content_type"] == "application/pdf"
    assert base64.b64decode(unit.get_evidence(stored["id"])["data_base64"]) == pdf
    with pytest.raises(Forbidden):   # not the cluster lead while no handed-in report refers to it
        opened.as_(LEAD).get_evidence(stored["id"])
    report = unit.submit_report({**GOOD, "evidence": [{"file_id": stored["id"], "name": "Báo cáo"}]})
    assert report["evidence"] == [{"file_id": stored["id"], "name": "Báo cáo"}]
    assert opened.as_(LEAD).get_evidence(stored["id"])["unit"] == "U02"   # the cluster lead, once handed in
    with pytest.raises(Forbidden):
        opened.as_(officer("U03")).get_evidence(stored["id"])
    with pytest.raises(ValidationFailed, match="no file"):
        opened.as_(officer("U03")).submit_report({**GOOD, "unit": "U03", "evidence": [{"file_id": stored["id"]}]})
    with pytest.raises(Forbidden):
        opened.as_(officer("U03")).store_evidence("U02", "x.pdf", "application/pdf", base64.b64encode(pdf).decode())
    before = db_of("submissions")["evidence.files"].count_documents({})
    with pytest.raises(ValidationFailed):
        unit.store_evidence("U02", "x.exe", "application/x-msdownload", base64.b64encode(b"MZ").decode())
    assert db_of("submissions")["evidence.files"].count_documents({}) == before


def test_the_directory_is_published_once_per_change_without_account_fields(svc, db_of):
    db = db_of("submissions")

    def published(event_type):
        return [e["event"]["data"] for e in db.outbox.find({"event.type": event_type}).sort("created_at")]

    assert len(published("unit.upserted.v1")) == 9 and len(published("cluster.upserted.v1")) == 2
    assert {p["person"]["id"] for p in published("person.upserted.v1")} >= {"canbo.u02", "hanh.ptv"}
    svc.as_(LOADER).set_password("canbo.u02", "mat-khau-moi-123")
    admin = svc.as_(ADMIN)
    admin.upsert_unit({"code": "U02", "name": "Phòng Cảnh sát hình sự"})
    admin.upsert_unit({"code": "U02", "name": "Phòng Cảnh sát hình sự"})   # no change: nothing told
    changed = admin.upsert_person({"id": "canbo.u02", "name": "Cán bộ U02", "role": "unit_officer", "unit": "U02"})
    [*_, unit] = published("unit.upserted.v1")
    assert len(published("unit.upserted.v1")) == 10 and unit == {"unit": {"id": "U02", "name": "Phòng Cảnh sát hình sự",
                                                                         "type": "department", "parent": None}}
    [*_, person] = published("person.upserted.v1")
    assert person["person"] == changed and changed["name"] == "Cán bộ U02"
    assert not {"password_hash", "failed_logins", "locked_until"} & set(changed)
    assert db.people.find_one({"_id": "canbo.u02"})["password_hash"]   # the account is kept, only not shown
    entry = db.audit.find_one({"action": "people.upsert", "entity_id": "canbo.u02"}, sort=[("at", -1)])
    assert entry["context"]["event_ids"] == [db.outbox.find_one({"event.data.person.id": "canbo.u02"},
                                                                sort=[("created_at", -1)])["_id"]]



def test_racing_commands_end_as_if_one_came_after_the_other(opened, db_of, rabbit_config):
    """Concurrent calls over real RPC (each its own proxy, as separate gateway workers are)."""
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy

    def attempt(caller, method, *args):
        context = {CONTEXT_KEY: caller} if caller else {}
        with ServiceRpcProxy("submissions", rabbit_config, context_data=context) as proxy:
            try:
                return getattr(proxy, method)(*args)
            except (ReportExists, AlreadyVoted) as refused:   # expected answers; anything else fails
                return refused

    answers = [r.wait() for r in [eventlet.spawn(attempt, officer("U02"), "submit_report", GOOD) for _ in range(4)]]
    assert sum(isinstance(a, dict) for a in answers) == 1 and db_of("submissions").reports.count_documents({}) == 1
    assert all(isinstance(a, (dict, ReportExists)) for a in answers)
    # The same request sent again while the first is under way (one Idempotency-Key): one report,
    # and every copy gets its answer.
    again = [eventlet.spawn(attempt, officer("U03"), "submit_report", {**GOOD, "unit": "U03"}, "u03-once")
             for _ in range(4)]
    answers = [r.wait() for r in again]
    assert all(isinstance(a, dict) for a in answers) and len({a["id"] for a in answers}) == 1
    assert db_of("submissions").reports.count_documents({"unit": "U03"}) == 1
    move(opened, "2021-Q1", "close", "start_scoring", "start_voting")
    opened.as_(LEAD).open_vote("CUM-01", "2021-Q1")
    units = ("U01", "U03", "U04", "U05", "U06")
    tokens = [eventlet.spawn(attempt, officer(u), "take_ballot", "CUM-01", "2021-Q1") for u in units]
    tokens = [t.wait()["token"] for t in tokens]   # none lost to another's moment
    assert opened.vote_status("CUM-01", "2021-Q1")["voted"] == list(units)
    key = Ballots.of({}).key()
    ballots = [eventlet.spawn(attempt, None, "cast_ballot", "CUM-01", "2021-Q1", token,
                              seal.seal_ballot(key, "CUM-01", "2021-Q1", token, {"leading_unit": "U01"}))
               for token in tokens]
    assert all(isinstance(b.wait(), dict) for b in ballots)
    box = db_of("submissions").ballot_boxes.find_one()
    assert (len(box["sealed"]), len(box["spent"])) == (5, 5)


def test_over_the_bus_without_a_caller_reports_summaries_evidence_and_the_audit_trail_are_refused(opened):
    import base64
    unit = opened.as_(officer("U02"))
    file_id = unit.store_evidence("U02", "a.pdf", "application/pdf", base64.b64encode(b"%PDF-1.4 x").decode())["id"]
    report = unit.submit_report({**GOOD, "violations": [{"severity": 2, "description": "kỷ luật"}],
                                 "evidence": [{"file_id": file_id, "name": "a.pdf"}]})
    for read in (lambda: opened.get_report(report["id"]), lambda: opened.list_reports("CUM-01", "2021-Q1"),
                 lambda: opened.cluster_summary("CUM-01", "2021-Q1"), lambda: opened.get_evidence(file_id),
                 lambda: opened.audit_trail()):
        with pytest.raises(Unauthenticated):
            read()
    seen = opened.as_(officer("U03")).get_report(report["id"])   # a member unit: the report, not its details
    assert seen["violations"] == [{"severity": 2}] and seen["evidence"] == [] and seen["details_withheld"]
    assert opened.as_(LEAD).get_report(report["id"])["violations"][0]["description"] == "kỷ luật"


def test_a_hand_in_reads_the_counters_not_the_period_run_and_cluster_an_earlier_one_read(opened, db_of):
    """What a hand-in reads before it writes is kept (thidua.kept): the next unit of the cluster reads
    the counters, and neither the period, nor the run, nor the cluster, nor its own unit and person,
    which the first hand-in of the cluster read with the cluster's other units and people."""
    opened.as_(officer("U02")).submit_report(GOOD)
    db = db_of("submissions")
    db.command("profile", 2)
    db.system.profile.drop()
    opened.as_(officer("U04")).submit_report({**GOOD, "unit": "U04"})
    read = {e["ns"].split(".", 1)[1] for e in db.system.profile.find({"op": "query"})}
    db.command("profile", 0)
    assert "changes" in read and not read & {"periods", "runs", "clusters", "people", "units"}


def test_what_the_process_keeps_of_a_caller_is_their_role_and_unit_never_their_password(opened, db_of):
    opened.as_(LOADER).set_password("canbo.u04", "mat-khau-moi-123")
    opened.as_(officer("U02")).submit_report(GOOD)      # its caller, then the cluster's people together
    kept = get_extension(opened.container, KeptReads).kept
    reads = kept.under(kept.marks(db_of("submissions")))

    def not_kept():
        raise AssertionError("a caller read again: it should have been kept")
    for person, unit in (("canbo.u02", "U02"), ("canbo.u04", "U04")):
        seen = reads.one(("people", person), not_kept)
        assert set(seen) == {"_id", "role", "unit"} and seen["unit"] == unit


def test_a_person_added_to_a_unit_after_its_cluster_was_read_together_hands_in_as_themself(opened):
    opened.as_(officer("U02")).submit_report(GOOD)        # reads the cluster's units and people together
    opened.as_(ADMIN).upsert_person({"id": "canbo2.u04", "name": "Cán bộ 2 U04", "role": "unit_officer",
                                     "unit": "U04"})
    report = opened.as_({"id": "canbo2.u04"}).submit_report({**GOOD, "unit": "U04"})
    assert report["unit"] == "U04"


def test_a_hand_in_follows_every_change_made_since_an_earlier_one_read_the_same(opened, db_of):
    """A person moved to another unit, a unit that left its cluster, a run no longer taking reports:
    each is in the very next hand-in, though an earlier one read them before the change."""
    opened.as_(officer("U02")).submit_report({**GOOD, "draft": True})      # reads the person, the run...
    opened.as_(ADMIN).upsert_person({"id": "canbo.u02", "name": "Cán bộ U02", "role": "unit_officer",
                                     "unit": "U05"})
    assert opened.as_(officer("U02")).submit_report({**GOOD, "unit": "U05"})["unit"] == "U05"   # reads the run
    move(opened, "2021-Q1", "close", "start_scoring", "start_voting")
    with pytest.raises(PeriodNotOpen):
        opened.as_(officer("U04")).submit_report({**GOOD, "unit": "U04", "draft": False})
    assert opened.as_(officer("U04")).submit_report({**GOOD, "unit": "U04", "draft": True})["status"] == "DRAFT"
    cluster = opened.as_(ADMIN).list_clusters()[0]
    members = [m for m in cluster["members"] if m["unit"] != "U06"]
    opened.as_(ADMIN).upsert_cluster({**{k: v for k, v in cluster.items() if k != "id"}, "code": cluster["id"],
                                      "members": members})
    with pytest.raises(NotAMember):
        opened.as_(officer("U06")).submit_report({**GOOD, "unit": "U06", "draft": True})
    assert db_of("submissions").reports.count_documents({}) == 3
