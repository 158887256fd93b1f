"""End to end through HTTP, with every service in its own process."""
import json

import pytest
import requests

from scripts.launcher import free_port
from services.ranking import engine
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
JSON = {"Content-Type": "application/json"}
LEADERS = ("thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02")
CLUSTER_LEAD = ("hanh.ptv", "lanhdao.u02")


def as_(person, **headers):
    return {**JSON, "X-Actor": person, **headers}


def post(platform, path, body, headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(f"{platform.url}/api/v1{path}", data=data, headers=headers, timeout=15)


def get(platform, path, reader="trung.th", **params):
    """A read, by the standing office (it may read everything, the audit trail included) unless told."""
    return requests.get(f"{platform.url}/api/v1{path}", params=params, headers=as_(reader) if reader else {},
                        timeout=15)


def ranking(platform, period="2021-Q2"):
    return get(platform, f"/clusters/CUM-01/periods/{period}/ranking")


def inbox(platform, person):
    return requests.get(f"{platform.url}/api/v1/people/{person}/inbox", headers={"X-Actor": person},
                        timeout=15).json()


def report_body(unit, actual, period="2021-Q2", **extra):
    return {"unit": unit, "period": period, "values": {"C1.1": {"actual": actual}, "C2.1": {"passed": True}},
            "self_scores": {"C1.1": 10, "C2.1": 5}, **extra}


def stored_state(platform):
    return {
        "reports": platform.db("submissions").reports.count_documents({}),
        "audit": platform.db("submissions").audit.count_documents({}),
        "outbox": platform.db("submissions").outbox.count_documents({}),
        "snapshots": platform.db("ranking").snapshots.count_documents({}),
        "inbox": platform.db("notifications").inbox.count_documents({}),
    }


def ranked(platform, period, predicate, what):
    def probe():
        response = ranking(platform, period)
        return response.status_code == 200 and predicate(response.json()) and response.json()
    return eventually(probe, what=what)


def test_health_reports_broker_database_and_services(platform):
    response = requests.get(f"{platform.url}/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["broker"] == {"ok": True} and body["database"] == {"ok": True}
    assert set(body["services"]) == {"submissions", "ranking", "notifications"}


def test_a_report_posted_over_http_reaches_the_ranking_the_cluster_leads_inbox_and_mailbox(platform):
    from tests import receivers
    response = post(platform, "/reports", report_body("U04", 100),
                    as_("canbo.u04", **{"X-Correlation-Id": "e2e-flow-1"}))
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["status"], report["cluster"], report["self_total"]) == ("SUBMITTED", "CUM-01", 15)
    assert response.headers["X-Correlation-Id"] == "e2e-flow-1"

    table = ranked(platform, "2021-Q2", lambda t: any(r["unit"] == "U04" for r in t["table"]), "the ranking")
    assert table["trigger_event_id"]
    for person in CLUSTER_LEAD:
        box = eventually(lambda: [n for n in inbox(platform, person)["items"]
                                  if n["correlation_id"] == "e2e-flow-1" and n["kind"] == "report.submitted"],
                         what=f"{person}'s inbox entry")
        assert box[0]["title"].startswith("Phòng Hậu cần đã nộp báo cáo Quý II/2021")
    mail = eventually(lambda: [m for m in receivers.received_mail(platform.maildir)
                               if "hanh.ptv@example.com" in m["To"]
                               and m["Subject"].startswith("Phòng Hậu cần đã nộp báo cáo Quý II/2021")],
                      what="the cluster lead's e-mail")
    assert f"/api/v1/reports/{report['id']}" in mail[0].get_content()
    trail = get(platform, "/audit", entity="report", entity_id=report["id"]).json()["items"]
    assert [(a["action"], a["actor"], a["correlation_id"]) for a in trail] == [
        ("report.submit", "canbo.u04", "e2e-flow-1")]


def test_the_votes_result_reaches_every_leader_at_once_and_a_provisional_leader_waits_for_the_digest(platform):
    for person in LEADERS:   # the seed's Q1 meeting closed its vote: its result was told at once, once
        told = eventually(lambda: [n for n in inbox(platform, person)["items"] if n["kind"] == "ranking.changed"
                                   and n["period"] == "2021-Q1"], what=f"{person} told of the vote's result")
        assert len(told) <= 2
    before = ranking(platform).json() if ranking(platform).status_code == 200 else {"leader": None}
    response = post(platform, "/reports", {"unit": "U05", "period": "2021-Q2", "values": {
        "C1.1": {"actual": 120}, "C1.2": {"actual": 120}, "C1.3": {"actual": 120}, "C2.1": {"passed": True},
        "C2.2": {"passed": True}, "C3.1": {"passed": True}, "C3.3": {"passed": True}}},
        as_("canbo.u05", **{"X-Correlation-Id": "e2e-leader"}))
    assert response.status_code == 201, response.text
    table = ranked(platform, "2021-Q2", lambda t: t["leader"] == "U05", "U05 leading")
    assert table["leader"] != before["leader"]
    waiting = platform.db("notifications").digest_items
    for person in LEADERS:
        eventually(lambda: waiting.find_one({"person": person, "period": "2021-Q2", "leader_name": "Phòng Hồ sơ",
                                             "sent_at": None}), what=f"{person}'s digest holding the new leader")
        assert not [n for n in inbox(platform, person)["items"] if n["correlation_id"] == "e2e-leader"
                    and n["kind"] == "ranking.changed"]


def test_the_lifecycle_through_http_changes_the_table_exactly_as_the_pure_function_says(platform):
    created = post(platform, "/reports", report_body("U01", 90, draft=True), as_("canbo.u01")).json()
    assert created["status"] == "DRAFT"
    # A draft is its unit's own business: another unit cannot see it, not even that it exists.
    hidden = requests.get(f"{platform.url}/api/v1/reports/{created['id']}", headers=as_("canbo.u03"), timeout=15)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "UNKNOWN_REPORT")
    assert created["id"] not in [r["id"] for r in requests.get(
        f"{platform.url}/api/v1/reports", params={"period": "2021-Q2"}, headers=as_("canbo.u03"),
        timeout=15).json()["items"]]
    own = requests.get(f"{platform.url}/api/v1/reports/{created['id']}", headers=as_("canbo.u01"), timeout=15)
    assert own.status_code == 200
    changed = requests.put(f"{platform.url}/api/v1/reports/{created['id']}", timeout=15, headers=as_("canbo.u01"),
                           data=json.dumps({"version": 1, "values": {"C1.1": {"actual": 95}}}))
    assert changed.status_code == 200, changed.text
    steps = [("canbo.u01", "submit", {}), ("hanh.ptv", "return", {"reason": "Bổ sung số liệu C2.1"}),
             ("canbo.u01", "submit", {}), ("hanh.ptv", "review", {"review": {"C1.1": {"points": 7.5}}})]
    version = 2
    for person, action, extra in steps:
        response = post(platform, f"/reports/{created['id']}/{action}", {"version": version, **extra}, as_(person))
        assert response.status_code == 200, response.text
        version = response.json()["version"]
    assert response.json()["status"] == "REVIEWED"

    table = ranked(platform, "2021-Q2", lambda t: any(r["unit"] == "U01" for r in t["table"]), "U01 ranked")
    reports = [r for r in get(platform, "/reports", cluster="CUM-01", period="2021-Q2").json()["items"]
               if r["status"] in ("SUBMITTED", "RESUBMITTED", "REVIEWED", "FINALIZED")]
    template = get(platform, "/templates/TCTD-CAT-2021", version=1).json()
    units = {u["id"]: u["name"] for u in get(platform, "/units").json()["items"]}
    expected = engine.compute(
        {k: v for k, v in template.items() if k != "published_at"},
        [{"unit": r["unit"], "unit_name": units[r["unit"]], "submitted_at": r["submitted_at"], "late": r["late"],
          "version": r["version"], "values": r["values"], "self_scores": r["self_scores"], "review": r["review"],
          "violations": r["violations"], "commendations": r["commendations"]} for r in reports])
    table = ranked(platform, "2021-Q2", lambda t: t["input_hash"] == expected["input_hash"], "the final table")
    assert [(r["unit"], r["rank"], r["total"], r["class"]) for r in table["table"]] == \
        [(r["unit"], r["rank"], r["total"], r["class"]) for r in expected["table"]]
    breakdown = get(platform, "/clusters/CUM-01/periods/2021-Q2/ranking/units/U01").json()
    line = next(b for b in breakdown["breakdown"] if b["criterion"] == "C1.1")
    assert (line["reviewed"], line["final"]) == (7.5, 7.5) and line["formula"]
    history = get(platform, "/clusters/CUM-01/periods/2021-Q2/ranking/history").json()["items"]
    assert [h["version"] for h in history] == list(range(1, len(history) + 1))


def test_the_seed_meeting_is_in_the_demo_summary_vote_and_ranking(platform):
    summary = get(platform, "/clusters/CUM-01/periods/2021-Q1/summary").json()
    assert summary["commendations"]["BANG_KHEN"]["GOVERNMENT"] == {"collective": 1, "individual": 0}
    assert summary["commendations"]["GIAY_KHEN"]["DIRECTOR"] == {"collective": 10, "individual": 33}
    vote = get(platform, "/clusters/CUM-01/periods/2021-Q1/vote").json()
    assert vote["state"] == "CLOSED" and vote["tally"]["ballots_cast"] == 6
    table = ranked(platform, "2021-Q1", lambda t: t["quorum_met"] is not None, "the voted Q1 table")
    assert (table["leader"], table["leader_status"]) == ("U01", "elected")
    year = get(platform, "/clusters/CUM-01/years/2021/ranking").json()
    assert "2021-Q1" in year["periods"] and year["table"][0]["rank"] == 1


@pytest.mark.parametrize("body, headers, status, code", [
    ('{"unit": "U03", "period": ', as_("canbo.u03"), 400, "MALFORMED_JSON"),
    ('{"unit": "U03"}', as_("canbo.u03"), 422, "VALIDATION_FAILED"),
    ('{"unit": 1, "period": "2021-Q2", "values": {"C1.1": {"actual": "x"}}}', as_("canbo.u03"), 422,
     "VALIDATION_FAILED"),
    ('{"unit": "U99", "period": "2021-Q2"}', as_("canbo.u03"), 404, "UNKNOWN_UNIT"),
    ('{"unit": "U03", "period": "2035-Q1"}', as_("canbo.u03"), 404, "UNKNOWN_PERIOD"),
    ('{"unit": "U03", "period": "2021-Q2", "values": {"ZZ": {"actual": 1}}}', as_("canbo.u03"), 422,
     "VALIDATION_FAILED"),
    ('{"unit": {"$ne": null}, "period": "2021-Q2"}', as_("canbo.u03"), 400, "INVALID_KEY"),
    ('{"unit": "U03", "period": "2021-Q2"}', as_("canbo.u05"), 403, "FORBIDDEN"),
    ('{"unit": "U03", "period": "2021-Q2"}', JSON, 401, "UNAUTHENTICATED"),
    ('{"unit": "U03", "period": "2021-Q1"}', as_("canbo.u03"), 409, "RUN_CONCLUDED"),
    ('unit=U01', {"Content-Type": "application/x-www-form-urlencoded", "X-Actor": "canbo.u03"}, 415,
     "UNSUPPORTED_MEDIA_TYPE"),
    (b'\xff\xfe', as_("canbo.u03"), 400, "INVALID_UTF8"),
    ('[' * 5000 + ']' * 5000, as_("canbo.u03"), 400, "MALFORMED_JSON"),
    ('{"unit": "U03", "period": "2021-Q2", "sections": {"movement": "' + "x" * 1_100_000 + '"}}', as_("canbo.u03"),
     413, "BODY_TOO_LARGE"),
])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(platform, body, headers, status, code):
    before = stored_state(platform)
    response = post(platform, "/reports", body, headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert stored_state(platform) == before


def test_a_stale_version_is_409_and_an_idempotent_retry_makes_no_second_report(platform):
    key = {"Idempotency-Key": "e2e-u06-q2"}
    first = post(platform, "/reports", report_body("U06", 97), as_("canbo.u06", **key))
    again = post(platform, "/reports", report_body("U06", 97), as_("canbo.u06", **key))
    assert (first.status_code, again.status_code) == (201, 201) and first.json()["id"] == again.json()["id"]
    stale = post(platform, f"/reports/{first.json()['id']}/return", {"version": 99, "reason": "x"},
                 as_("hanh.ptv"))
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "STALE_VERSION")


def test_unknown_things_are_404_with_a_code(platform):
    assert get(platform, "/reports/nope").json()["error"]["code"] == "UNKNOWN_REPORT"
    response = get(platform, "/clusters/CUM-09/periods/2021-Q1/ranking")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "RANKING_NOT_FOUND")
    response = requests.get(f"{platform.url}/api/v1/people/thien.nh/inbox", params={"limit": "abc"},
                            headers={"X-Actor": "thien.nh"}, timeout=15)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "INVALID_QUERY")
    response = requests.get(f"{platform.url}/api/v1/people/thien.nh/inbox", params={"limit": "100000"},
                            headers={"X-Actor": "thien.nh"}, timeout=15)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "INVALID_QUERY")
    for cursor in ("not-a-cursor", "eyJsaXN0IjoicmVwb3J0cyIsImFmdGVyIjpbXX0"):   # garbage; another list's
        response = requests.get(f"{platform.url}/api/v1/people/thien.nh/inbox", params={"cursor": cursor},
                                headers={"X-Actor": "thien.nh"}, timeout=15)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "INVALID_QUERY"), response.text
        assert "'next' value of the previous page" in response.json()["error"]["message"]


def test_health_is_503_when_the_database_is_down(platform):
    port = free_port()
    platform.start("gateway-without-db", "gateway", GATEWAY_ADDRESS=f"127.0.0.1:{port}",
                   MONGO_URI=f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=500")
    try:
        response = eventually(lambda: _get(f"http://127.0.0.1:{port}/health"), what="the second gateway")[0]
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "down" and body["database"]["ok"] is False and body["broker"] == {"ok": True}
    finally:
        platform.stop("gateway-without-db")


def _get(url):
    """``(response,)`` once the server answers (a 503 response is falsy by itself)."""
    try:
        return (requests.get(url, timeout=10),)
    except requests.ConnectionError:
        return None


def test_an_evidence_file_goes_up_and_comes_back_through_http(platform):
    from urllib.parse import quote
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    name = "Ảnh hội nghị.png"
    response = requests.post(f"{platform.url}/api/v1/units/U03/evidence", data=png, timeout=15,
                             headers={"Content-Type": "image/png", "X-Actor": "canbo.u03",
                                      "X-Filename": quote(name)})
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["name"] == name
    back = requests.get(f"{platform.url}/api/v1/evidence/{stored['id']}", headers=as_("canbo.u03"), timeout=15)
    assert back.status_code == 200 and back.content == png and back.headers["Content-Type"] == "image/png"
    refused = requests.post(f"{platform.url}/api/v1/units/U03/evidence", data=b"MZ\x90", timeout=15,
                            headers={"Content-Type": "application/pdf", "X-Actor": "canbo.u03", "X-Filename": "a.pdf"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    missing = requests.get(f"{platform.url}/api/v1/evidence/not-an-id", headers=as_("canbo.u03"), timeout=15)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "UNKNOWN_EVIDENCE")


def test_the_inbox_and_notification_settings_through_http(platform):
    box = eventually(lambda: inbox(platform, "hanh.ptv")["items"] and inbox(platform, "hanh.ptv"),
                     what="a notice for the cluster lead")
    notice = box["items"][0]
    read = post(platform, f"/people/hanh.ptv/inbox/{notice['id']}/read", "{}", as_("hanh.ptv"))
    assert read.status_code == 200 and read.json()["unread"] == box["unread"] - (notice["read_at"] is None)
    other = post(platform, f"/people/hanh.ptv/inbox/{notice['id']}/read", "{}", as_("canbo.u01"))
    assert (other.status_code, other.json()["error"]["code"]) == (403, "FORBIDDEN")
    prefs = requests.put(f"{platform.url}/api/v1/people/hanh.ptv/preferences", timeout=15, headers=as_("hanh.ptv"),
                         data=json.dumps({"email": False}))
    assert prefs.status_code == 200 and prefs.json()["email"] is False
    bad = requests.put(f"{platform.url}/api/v1/people/hanh.ptv/preferences", timeout=15, headers=as_("hanh.ptv"),
                       data=json.dumps({"muted": ["everything"]}))
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert get(platform, "/notices/failed", reader=None).json()["error"]["code"] == "UNAUTHENTICATED"
    failed = requests.get(f"{platform.url}/api/v1/notices/failed", headers=as_("admin"), timeout=15)
    assert failed.status_code == 200 and failed.json()["items"] == []
    hook = post(platform, "/webhooks", {"url": "ftp://x", "secret": "short"}, as_("admin"))
    assert (hook.status_code, hook.json()["error"]["code"]) == (422, "VALIDATION_FAILED")


def test_the_audit_trails_of_ranking_and_notifications_are_readable_too(platform):
    ranking_trail = get(platform, "/audit", service="ranking", entity="ranking", limit=5).json()["items"]
    assert ranking_trail and ranking_trail[0]["actor"] == "system:ranking"
    assert ranking_trail[0]["action"] == "ranking.recompute"
    refused = get(platform, "/audit", service="secrets")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "INVALID_QUERY")


def test_the_pages_are_served_by_the_gateway_with_a_closed_content_policy(platform):
    page = requests.get(f"{platform.url}/bao-cao", timeout=15)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="vi">' in page.text and "/static/js/main.js" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "*" not in policy
    script = requests.get(f"{platform.url}/static/js/main.js", timeout=15)
    assert script.headers["Content-Type"].startswith("text/javascript") and "import" in script.text
    again = requests.get(f"{platform.url}/static/js/main.js", headers={"If-None-Match": script.headers["ETag"]},
                         timeout=15)
    assert again.status_code == 304
    for missing in ("/static/nothing.js", "/static/../service.py", "/static/index.html", "/khong-co"):
        response = requests.get(f"{platform.url}{missing}", timeout=15)
        assert response.status_code == 404, missing


def test_me_names_the_person_and_their_clusters_and_clusters_lists_them(platform):
    me = requests.get(f"{platform.url}/api/v1/me", headers={"X-Actor": "hanh.ptv"}, timeout=15).json()
    roles = {c["id"]: c["role"] for c in me["clusters"]}
    assert (me["id"], me["unit"], roles["CUM-01"]) == ("hanh.ptv", "U01", "lead")
    assert "password_hash" not in me
    assert requests.get(f"{platform.url}/api/v1/me", timeout=15).status_code == 401
    clusters = get(platform, "/clusters").json()["items"]
    assert "CUM-01" in {c["id"] for c in clusters} and all("members" in c for c in clusters)


def test_the_seed_meetings_minutes_and_workbook_hold_its_record(platform):
    """Over HTTP after the demo has played Q1/2021: the minutes (.docx) and the workbook (.xlsx)
    open and hold the ranking, the vote count, the proposals and the article's figures."""
    import io

    from docx import Document
    from openpyxl import load_workbook
    ranked(platform, "2021-Q1", lambda t: t["quorum_met"] is not None, "the voted Q1 table")
    answer = get(platform, "/clusters/CUM-01/periods/2021-Q1/minutes.docx", place="Hội trường Công an tỉnh")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(answer.content))
    text = "\n".join([p.text for p in doc.paragraphs] + [" | ".join(c.text for c in row.cells)
                                                         for table in doc.tables for row in table.rows])
    for expected in ("BIÊN BẢN HỌP", "Độc lập - Tự do - Hạnh phúc", "Hội trường Công an tỉnh", "Số phiếu hợp lệ: 6",
                     "Đơn vị dẫn đầu cụm: Phòng Tham mưu (được bầu)", "Bằng khen Chính phủ: 1 tập thể",
                     "Giấy khen Giám đốc Công an tỉnh: 10 tập thể, 33 cá nhân",
                     "Biểu dương Giám đốc Công an tỉnh: 19 lượt đơn vị, cá nhân", "Cờ thi đua Bộ Công an", "Được duyệt"):
        assert expected in text, expected
    book = load_workbook(io.BytesIO(get(platform, "/clusters/CUM-01/periods/2021-Q1/ranking.xlsx").content))
    assert book.sheetnames == ["Xếp hạng", "Kiểm phiếu", "Đề nghị khen thưởng"]
    assert book["Xếp hạng"]["C5"].value == "Phòng Tham mưu"
    count = get(platform, "/clusters/CUM-01/periods/2021-Q1/vote/count").json()
    assert (count["cast"], count["leading_unit"]["elected"]) == (6, "U01")
    office = get(platform, "/proposals", state="APPROVED").json()["items"]
    assert any(p["form"] == "CO_THI_DUA" and p["unit"] == "U01" for p in office)
