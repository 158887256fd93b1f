"""The meeting's record against the real broker and database: the vote count, the proposals
workflow with each guard (409 and nothing changed, 403 for the wrong role), and the minutes and
the workbook of the demo's Q1/2021 opened with python-docx and openpyxl."""
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from scripts import demo
from services.gateway import exports, minutes
from services.ranking import engine
from thidua.errors import Conflict, Forbidden, InvalidTransition, StaleVersion, UnknownProposal, VotingClosed
from tests.helpers import demo_content, demo_template
from tests.integration.test_submissions import LEAD, OFFICE, move, officer, svc  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration
CLUSTER, Q1 = "CUM-01", "2021-Q1"


@pytest.fixture
def concluded(svc):
    assert demo.play_q1(svc, demo_content()) is True
    return svc


def snapshot(db):
    """Everything a refused command must leave as it was (the relay marks events published meanwhile)."""
    return {"proposals": sorted(map(repr, db.proposals.find({}))), "audit": sorted(map(repr, db.audit.find({}))),
            "outbox": sorted(e["_id"] for e in db.outbox.find({}, {"_id": 1}))}


def test_the_vote_count_is_drawn_up_once_the_vote_is_closed(svc):
    move(svc, Q1, "open", "close", "start_scoring", "start_voting")
    svc.as_(LEAD).open_vote(CLUSTER, Q1)
    with pytest.raises(VotingClosed):
        svc.as_(OFFICE).vote_count(CLUSTER, Q1)
    svc.as_(LEAD).close_vote(CLUSTER, Q1)
    count = svc.as_(OFFICE).vote_count(CLUSTER, Q1)
    assert (count["eligible"], count["cast"], count["quorum_met"]) == (6, 0, False)


def test_the_demo_meeting_drafts_edits_submits_and_decides_its_proposals(concluded, db_of):
    count = concluded.as_(OFFICE).vote_count(CLUSTER, Q1)
    assert (count["eligible"], count["cast"], count["valid"], count["invalid"]) == (6, 6, 6, 0)
    assert count["leading_unit"]["elected"] == "U01" and count["leading_unit"]["candidates"] == ["U01"]
    assert demo.record_q1(concluded) is True and demo.record_q1(concluded) is False    # once
    listed = concluded.as_(OFFICE).list_proposals(CLUSTER, Q1)
    states = [(p["form"], p["unit"], p["state"]) for p in listed["items"]]
    assert ("CO_THI_DUA", "U01", "APPROVED") in states and states[-1][2] == "REJECTED"
    assert all(p["source"] for p in listed["items"] if p["origin"] == "rule")
    assert listed["rollup"]["CO_THI_DUA"]["MINISTRY"] == {"collective": 1, "individual": 0}
    db = db_of("submissions")
    assert {e["event"]["type"] for e in db.outbox.find({"event.type": {"$regex": "^proposal"}})} == {
        "proposal.drafted.v1", "proposal.updated.v1", "proposal.submitted.v1", "proposal.approved.v1",
        "proposal.rejected.v1"}
    assert db.audit.count_documents({"entity": "proposal"}) == db.outbox.count_documents({"event.type": {"$regex": "^proposal"}})
    assert concluded.as_(OFFICE).proposals_by_state("SUBMITTED") == []
    assert len(concluded.as_(OFFICE).proposals_by_state("APPROVED")) == len(listed["items"]) - 1


def test_each_guard_answers_409_or_403_and_changes_nothing(concluded, db_of):
    db = db_of("submissions")
    lead, office = concluded.as_(LEAD), concluded.as_(OFFICE)
    drafts = lead.redraft_proposals(CLUSTER, Q1)["items"]
    again = lead.redraft_proposals(CLUSTER, Q1)["items"]          # while all are DRAFT: drawn afresh
    assert len(again) == len(drafts) and {p["id"] for p in again}.isdisjoint(p["id"] for p in drafts)
    first = again[0]
    before = snapshot(db)
    refusals = [
        (Forbidden, lambda: concluded.as_(officer("U03")).redraft_proposals(CLUSTER, Q1)),
        (Forbidden, lambda: office.submit_proposals(CLUSTER, Q1)),
        (Forbidden, lambda: concluded.as_(officer("U03")).edit_proposal(first["id"], {"version": 1, "reason": "x"})),
        (StaleVersion, lambda: lead.edit_proposal(first["id"], {"version": 7, "reason": "x"})),
        (InvalidTransition, lambda: office.decide_proposal(first["id"], True, {"version": 1})),   # not submitted
        (UnknownProposal, lambda: lead.edit_proposal("nope", {"version": 1})),
    ]
    for error, command in refusals:
        with pytest.raises(error):
            command()
        assert snapshot(db) == before
    submitted = lead.submit_proposals(CLUSTER, Q1)["items"]
    before = snapshot(db)
    for error, command in [
            (InvalidTransition, lambda: lead.submit_proposals(CLUSTER, Q1)),                # nothing left in DRAFT
            (Conflict, lambda: lead.redraft_proposals(CLUSTER, Q1)),                        # already submitted
            (InvalidTransition, lambda: lead.edit_proposal(first["id"], {"version": 2, "reason": "x"})),
            (Forbidden, lambda: lead.decide_proposal(first["id"], True, {"version": 2}))]:
        with pytest.raises(error):
            command()
        assert snapshot(db) == before
    office.decide_proposal(submitted[0]["id"], True, {"version": 2})
    before = snapshot(db)
    with pytest.raises(InvalidTransition):
        office.decide_proposal(submitted[0]["id"], False, {"version": 3, "reason": "again"})
    assert snapshot(db) == before


def test_proposals_wait_for_the_conclusion(svc, db_of):
    move(svc, Q1, "open")
    before = snapshot(db_of("submissions"))
    for command in (lambda: svc.as_(LEAD).redraft_proposals(CLUSTER, Q1),
                    lambda: svc.as_(LEAD).add_proposal(CLUSTER, Q1, {
                        "kind": "collective", "unit": "U02", "recipient": "Phòng Tổ chức cán bộ", "form": "BANG_KHEN",
                        "level": "PROVINCE", "reason": "x"})):
        with pytest.raises(InvalidTransition):
            command()
    assert snapshot(db_of("submissions")) == before


def test_the_minutes_and_the_workbook_of_the_demo_quarter_hold_its_figures(concluded):
    demo.record_q1(concluded)
    record = concluded.as_(OFFICE).meeting_record(CLUSTER, Q1)
    template = demo_template()
    reports = concluded.as_(OFFICE).list_reports(CLUSTER, Q1)["items"]
    names = {u["unit"]: u["name"] for u in record["units"]}
    ranking = {"cluster": CLUSTER, "cluster_name": record["cluster"]["name"], "version": 1,
               "computed_at": "2021-05-19T03:00:00Z", "template": {"id": template["id"], "version": 1},
               **engine.compute(template, [{**r, "unit_name": names[r["unit"]]} for r in reports],
                                record["vote_count"] and _tally(concluded))}
    levels = template["classification"]["levels"]
    meeting = {"cluster": record["cluster"], "period_label": record["run"]["label"], "units": record["units"],
               "date": "2021-05-19T03:00:00+00:00", "place": "Hội trường Công an tỉnh", "people": record["people"],
               "chair": next(p for p in record["people"] if p["role"] == "provincial_leader"), "secretary": None,
               "summary": record["summary"], "ranking": ranking, "levels": levels, "vote_count": record["vote_count"],
               "proposals": record["proposals"], "conclusion": {"text": "Các đơn vị tiếp tục thi đua.", "by": "thien.nh",
                                                                "at": "2021-05-19T03:00:00Z"}}
    text = _docx_text(minutes.minutes_document(meeting))
    for expected in ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BIÊN BẢN HỌP", "19/05/2021",
                     "Quý I/2021", "Nguyễn Hữu Thiên", "Đơn vị dẫn đầu cụm: Phòng Tham mưu (được bầu)",
                     "Số phiếu hợp lệ: 6", "Số phiếu không hợp lệ: 0",
                     "Bằng khen Chính phủ: 1 tập thể", "Bằng khen Bộ Công an: 10 tập thể",
                     "Bằng khen UBND tỉnh: 5 tập thể, 8 cá nhân", "Giấy khen Giám đốc Công an tỉnh: 10 tập thể, 33 cá nhân",
                     "Biểu dương Giám đốc Công an tỉnh: 19 lượt đơn vị, cá nhân", "Cờ thi đua Bộ Công an",
                     "Không duyệt", "Các đơn vị tiếp tục thi đua.", "CHỦ TRÌ", "THƯ KÝ"):
        assert expected in text, expected
    first = ranking["table"][0]
    assert f"{first['rank']} | {first['unit_name']} | {first['total']:g} | Xuất sắc" in text
    book = load_workbook(io.BytesIO(exports.ranking_workbook(ranking, "Quý I/2021", None, levels,
                                                            record["vote_count"], record["proposals"])))
    assert book.sheetnames == ["Xếp hạng", "Kiểm phiếu", "Đề nghị khen thưởng"]
    counted = {row[0]: row[1:] for row in book["Kiểm phiếu"].iter_rows(values_only=True) if row[0]}
    assert counted["Số phiếu hợp lệ"][0] == 6 and counted["Phòng Tham mưu"][-2] == 5     # 5 of 6 chose U01 to lead
    proposals = list(book["Đề nghị khen thưởng"].iter_rows(min_row=2, values_only=True))
    assert proposals[0][3] == "Cờ thi đua Bộ Công an" and proposals[0][6] == "Được duyệt"


def _tally(svc):
    return svc.as_(OFFICE).vote_status(CLUSTER, Q1)["tally"]


def _docx_text(data):
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)
