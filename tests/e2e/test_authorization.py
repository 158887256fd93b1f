"""The authorisation matrix, walked through the live gateway: every state-changing
operation and every read x every kind of caller (own or another unit, the cluster's lead,
a unit and the lead of another cluster, the leaders, the administrator, nobody). An allowed
caller is never refused for who they are; a refused one gets 401 or 403 and changes nothing."""
import copy
import json

import pytest
import requests

from tests.helpers import demo_content, eventually

pytestmark = pytest.mark.e2e
CALLERS = {"admin": "administrator", "trung.th": "standing office", "thien.nh": "provincial leader",
           "hanh.ptv": "cluster lead (U01's leader)", "canbo.u04": "U04's officer", "canbo.u05": "another unit's officer",
           "canbo.az": "an officer of another cluster", "lanhdao.az": "the other cluster's lead", None: "nobody"}
PERIOD = "2021-AZ"
HANDED_IN = "2021-AX"   # a second open period, where U04 and UAZ of the other cluster hand in their reports
SECRET_DETAIL = "Một cán bộ bị kỷ luật cảnh cáo (ma trận)"
ADMINS, PERIOD_MANAGERS = {"admin"}, {"admin", "trung.th"}


def call(platform, method, path, body, person, content_type="application/json"):
    headers = {"Content-Type": content_type, **({"X-Actor": person} if person else {})}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return requests.request(method, f"{platform.url}/api/v1{path}", data=data, headers=headers, timeout=15)


def upload(platform, unit, person):
    stored = requests.post(f"{platform.url}/api/v1/units/{unit}/evidence", data=b"%PDF-1.4 " + unit.encode(),
                           headers={"Content-Type": "application/pdf", "X-Actor": person, "X-Filename": "ky-luat.pdf"},
                           timeout=15)
    assert stored.status_code == 201, stored.text
    return stored.json()["id"]


def period_body(code, label):
    return {"code": code, "kind": "quarter", "year": 2021, "label": label,
            "starts_on": "2021-10-01T00:00:00+07:00", "ends_on": "2021-12-31T23:59:59+07:00",
            "deadline": "2030-01-10T17:00:00+07:00", "template": {"id": "TCTD-CAT-2021", "version": 1}}


@pytest.fixture(scope="module")
def scene(platform):
    """A period of its own, open, with a draft report of U04 to act on."""
    """A period of its own, open, with a draft report of U04 (and its evidence file) to act on;
    a second open period where U04 and UAZ of the other cluster hand in reports with discipline
    details and evidence files, for the reads."""
    for code, label in ((PERIOD, "Kỳ thử phân quyền"), (HANDED_IN, "Kỳ thử quyền đọc")):
        assert call(platform, "POST", "/periods", period_body(code, label), "admin").status_code == 200
        opened = call(platform, "POST", f"/periods/{code}/transitions", {"action": "open", "level": "province"},
                      "admin")
        assert opened.status_code == 200 and all(r["ok"] for r in opened.json()["results"]), opened.text
    draft_file = upload(platform, "U04", "canbo.u04")
    draft = call(platform, "POST", "/reports", {"unit": "U04", "period": PERIOD, "draft": True,
                                                "evidence": [{"file_id": draft_file, "name": "nhap.pdf"}]},
                 "canbo.u04")
    assert draft.status_code == 201, draft.text
    # Another cluster the same year, with its own unit, officer and lead.
    for path, body in (("/units", {"code": "UAZ", "name": "Đơn vị cụm khác"}),
                       ("/clusters", {"code": "CUM-AZ", "name": "Cụm thi đua khác", "year": 2021,
                                      "members": [{"unit": "UAZ", "role": "lead"}]}),
                       ("/people", {"id": "canbo.az", "name": "Cán bộ cụm khác", "role": "unit_officer", "unit": "UAZ"}),
                       ("/people", {"id": "lanhdao.az", "name": "Lãnh đạo cụm khác", "role": "unit_leader",
                                    "unit": "UAZ"})):
        assert call(platform, "POST", path, body, "admin").status_code == 200
    for code in (PERIOD, HANDED_IN):   # the other cluster, added after the periods were planned, opens its own runs
        assert call(platform, "POST", f"/clusters/CUM-AZ/periods/{code}/transitions", {"action": "open", "version": 1},
                    "admin").status_code == 200
    scene = {"report": draft.json()["id"], "draft_file": draft_file}
    for unit, person in (("U04", "canbo.u04"), ("UAZ", "canbo.az")):
        file_id = upload(platform, unit, person)
        handed_in = call(platform, "POST", "/reports", {
            "unit": unit, "period": HANDED_IN, "values": {"C1.1": {"actual": 90}, "C2.1": {"passed": True}},
            "self_scores": {"C1.1": 9, "C2.1": 5}, "violations": [{"severity": 2, "description": SECRET_DETAIL}],
            "evidence": [{"file_id": file_id, "name": "bien-ban-ky-luat.pdf"}]}, person)
        assert handed_in.status_code == 201, handed_in.text
        scene[unit] = {"report": handed_in.json()["id"], "file": file_id}
    eventually(lambda: call(platform, "GET", f"{SEED}/ranking", {}, "admin").status_code == 200, 30,
               what="the seed quarter's ranking")
    return scene


def operations(scene):
    template = copy.deepcopy(demo_content()["templates"][0])
    template["id"] = "TCTD-MATRIX"
    pdf = b"%PDF-1.4 matrix"
    return [
        ("POST /units", ADMINS, "POST", "/units", {"code": "MX1", "name": "Đơn vị thử"}),
        ("POST /clusters", ADMINS, "POST", "/clusters",
         {"code": "MXC", "name": "Cụm thử", "year": 2030, "members": [{"unit": "U01", "role": "member"}]}),
        ("POST /people", ADMINS, "POST", "/people", {"id": "mx.person", "name": "Thử", "role": "unit_officer",
                                                     "unit": "U01"}),
        ("POST /templates", ADMINS, "POST", "/templates", template),
        ("POST /periods", PERIOD_MANAGERS, "POST", "/periods",
         {"code": "2021-AY", "kind": "quarter", "year": 2021, "label": "Thử", "starts_on": "2021-10-01T00:00:00+07:00",
          "ends_on": "2021-12-31T00:00:00+07:00", "deadline": "2030-01-01T00:00:00+07:00",
          "template": {"id": "TCTD-CAT-2021", "version": 1}}),
        ("POST /periods/{p}/transitions", PERIOD_MANAGERS, "POST", f"/periods/{PERIOD}/transitions",
         {"action": "archive", "level": "province"}),
        ("POST /clusters/{c}/periods/{p}/transitions", PERIOD_MANAGERS, "POST",
         f"/clusters/CUM-01/periods/{PERIOD}/transitions", {"action": "archive", "version": 99}),
        ("POST /clusters/{c}/periods/{p}/transitions conclude", {"trung.th"}, "POST",
         f"/clusters/CUM-01/periods/{PERIOD}/transitions", {"action": "conclude", "version": 99, "conclusion": "x"}),
        ("PUT /clusters/{c}/periods/{p}", PERIOD_MANAGERS, "PUT", f"/clusters/CUM-01/periods/{PERIOD}",
         {"version": 99, "chair": None}),
        ("POST /reports:backfill", ADMINS, "POST", "/reports:backfill",
         {"reports": [{"unit": "U04", "period": "2030-Q9", "submitted_at": "2021-04-01T08:00:00+07:00"}]}),
        ("POST /reports (U04)", {"canbo.u04"}, "POST", "/reports", {"unit": "U04", "period": PERIOD}),
        ("PUT /reports/{U04's}", {"canbo.u04"}, "PUT", f"/reports/{scene['report']}", {"version": 99}),
        ("POST /reports (UAZ, other cluster)", {"canbo.az", "lanhdao.az"}, "POST", "/reports",
         {"unit": "UAZ", "period": PERIOD, "draft": True}),
        ("POST /reports/{U04's}/return", {"hanh.ptv"}, "POST", f"/reports/{scene['report']}/return",
         {"version": 99, "reason": "thử"}),
        ("POST /reports/{U04's}/submit", {"canbo.u04"}, "POST", f"/reports/{scene['report']}/submit",
         {"version": 99}),
        ("POST vote/open", {"hanh.ptv"}, "POST", f"/clusters/CUM-01/periods/{PERIOD}/vote/open", {}),
        ("POST vote/open (other cluster)", {"lanhdao.az"}, "POST", f"/clusters/CUM-AZ/periods/{PERIOD}/vote/open", {}),
        ("POST vote/token", {"hanh.ptv", "canbo.u04", "canbo.u05"}, "POST",
         f"/clusters/CUM-01/periods/{PERIOD}/vote/token", {}),
        ("PUT /people/canbo.u04/preferences", {"canbo.u04", "admin"}, "PUT", "/people/canbo.u04/preferences",
         {"muted": []}),
        ("POST /webhooks", ADMINS, "POST", "/webhooks",   # for a kind no other test triggers: it never fires
         {"url": "http://127.0.0.1:9/x", "secret": "s" * 20, "kinds": ["results.published"]}),
        ("GET /notices/failed", ADMINS, "GET", "/notices/failed", {}),
        ("POST /api-tokens", ADMINS, "POST", "/api-tokens", {"person": "canbo.u04", "name": "thử"}),
        ("PUT /people/canbo.u04/password", {"canbo.u04", "admin"}, "PUT", "/people/canbo.u04/password",
         {"password": "thidua-demo"}),
        ("POST /units/U04/evidence", {"canbo.u04"}, "POST", "/units/U04/evidence", pdf),
        # reads that are someone's own business
        ("GET /people/canbo.u04/inbox", {"canbo.u04", "admin"}, "GET", "/people/canbo.u04/inbox", {}),
        ("GET /people/canbo.u04/preferences", {"canbo.u04", "admin"}, "GET", "/people/canbo.u04/preferences", {}),
        ("GET /reports/{U04's draft}", {"canbo.u04", "admin"}, "GET", f"/reports/{scene['report']}", {}),
        *reads(scene),
    ]


SIGNED_IN = set(CALLERS) - {None}
DETAILS_U04 = {"canbo.u04", "hanh.ptv", "trung.th", "thien.nh", "admin"}        # the unit, its cluster's lead, ...
DETAILS_UAZ = {"canbo.az", "lanhdao.az", "trung.th", "thien.nh", "admin"}       # ... the leaders, administrators
SEED = "/clusters/CUM-01/periods/2021-Q1"


def reads(scene):
    """Every read of the API: (name, who may, method, path, body)."""
    everyone = [("/units",), ("/clusters",), ("/clusters/CUM-AZ",), ("/periods",), ("/me",),
                ("/templates/TCTD-CAT-2021",), (f"/reports?period={HANDED_IN}",), (f"/reports/{scene['U04']['report']}",),
                (f"/reports/{scene['UAZ']['report']}",), (f"{SEED}/summary",), (f"/clusters/CUM-AZ/periods/{PERIOD}/summary",),
                (f"{SEED}/vote",), (f"{SEED}/ranking",), (f"{SEED}/ranking.xlsx",), (f"{SEED}/ranking/units/U04",),
                (f"{SEED}/ranking/history",), (f"{SEED}/ranking/diff?from=1&to=1",),
                ("/clusters/CUM-01/years/2021/ranking",), ("/units/U04/trend?year=2021",)]
    return [
        *((f"GET {path}", SIGNED_IN, "GET", path, {}) for path, in everyone),
        ("GET /evidence/{U04's, handed in}", DETAILS_U04, "GET", f"/evidence/{scene['U04']['file']}", {}),
        ("GET /evidence/{UAZ's, other cluster}", DETAILS_UAZ, "GET", f"/evidence/{scene['UAZ']['file']}", {}),
        ("GET /evidence/{U04's, that only its draft refers to}", {"canbo.u04", "admin"}, "GET",
         f"/evidence/{scene['draft_file']}", {}),
        ("GET /notices/{n}/deliveries", ADMINS, "GET", "/notices/nothing/deliveries", {}),
        *((f"GET /audit?service={service}", PERIOD_MANAGERS, "GET", f"/audit?service={service}", {})
          for service in ("submissions", "ranking", "notifications")),
    ]


def state(platform):
    submissions, notifications = platform.db("submissions"), platform.db("notifications")
    return {name: submissions[name].count_documents({}) for name in
            ("audit", "reports", "units", "clusters", "people", "templates", "periods", "runs", "evidence",
             "vote_sessions", "ballot_boxes")} | \
        {f"n.{name}": notifications[name].count_documents({}) for name in ("audit", "webhooks", "preferences")}


@pytest.mark.parametrize("caller", list(CALLERS), ids=[CALLERS[c] for c in CALLERS])
def test_the_matrix(platform, scene, caller):
    for name, allowed, method, path, body in operations(scene):
        before = state(platform)
        response = call(platform, method, path, body, caller,
                        "application/pdf" if isinstance(body, bytes) else "application/json")
        if caller in allowed:
            assert response.status_code not in (401, 403, 404), (name, caller, response.text)
        else:
            # a draft is hidden (404) from anyone but its unit; everything else says 401 or 403
            expected = {401} if caller is None else {404} if name.endswith("draft}") else {403}
            assert response.status_code in expected, (name, caller, response.status_code, response.text)
            assert state(platform) == before, (name, caller)


@pytest.mark.parametrize("caller", sorted(SIGNED_IN), ids=[CALLERS[c] for c in sorted(SIGNED_IN)])
def test_discipline_details_are_read_only_by_the_unit_its_cluster_lead_the_leaders_and_administrators(
        platform, scene, caller):
    for unit, readers in (("U04", DETAILS_U04), ("UAZ", DETAILS_UAZ)):
        report = call(platform, "GET", f"/reports/{scene[unit]['report']}", {}, caller).json()
        listed = next(r for r in call(platform, "GET", f"/reports?period={HANDED_IN}", {}, caller).json()["items"]
                      if r["unit"] == unit)
        for seen in (report, listed):
            if caller in readers:
                assert seen["violations"][0]["description"] == SECRET_DETAIL and seen["evidence"], (caller, unit)
            else:   # the severity weighs in the score; the description and the files are not theirs
                assert seen["violations"] == [{"severity": 2}] and seen["evidence"] == [], (caller, unit)
                assert seen["details_withheld"] is True and SECRET_DETAIL not in json.dumps(seen, ensure_ascii=False)


def test_a_draft_is_counted_nowhere_others_can_see(platform, scene):
    summary = call(platform, "GET", f"/clusters/CUM-01/periods/{PERIOD}/summary", {}, "thien.nh").json()
    assert summary["by_status"] == {} and "U04" in summary["not_submitted"]   # U04 has a draft, not a report
    listed = call(platform, "GET", f"/reports?period={PERIOD}", {}, "hanh.ptv").json()["items"]
    assert [r for r in listed if r["unit"] == "U04"] == []


def test_the_audit_trail_shows_no_session_id_sign_in_address_or_token(platform, scene):
    signed_in = requests.post(f"{platform.url}/api/v1/auth/login", json={"person": "trung.th", "password": "thidua-demo"},
                              timeout=15)
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    trail = requests.get(f"{platform.url}/api/v1/audit", params={"limit": 500},
                         headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert trail.status_code == 200, trail.text
    entries, text = trail.json()["items"], trail.text
    assert any(e["action"] == "login" and e["actor"] == "trung.th" for e in entries)
    sessions = [s["_id"] for s in platform.db("submissions").sessions.find({}, {"_id": 1})]
    assert sessions and not any(sid in text for sid in sessions)
    assert "127.0.0.1" not in text and token not in text and "access_token" not in text
    assert all(e["entity_id"] is None for e in entries if e["entity"] == "session")


def test_every_operation_but_signing_in_refuses_a_missing_or_bad_token(platform, scene):
    """Read from the API's own document, so a new operation is covered the day it is added."""
    document = requests.get(f"{platform.url}/api/v1/openapi.json", timeout=15).json()
    checked = 0
    for template, methods in document["paths"].items():
        path = template.replace("{year}", "2021")
        for name in ("cluster", "period", "unit", "report_id", "file_id", "person", "template_id", "notice",
                     "token_id", "action"):
            path = path.replace("{" + name + "}", {"action": "submit", "period": "2021-Q1"}.get(name, "X"))
        for method, spec in methods.items():
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                answer = requests.request(method, platform.url + path, json={}, timeout=15,
                                          params={"from": 1, "to": 1, "year": 2021},   # the required queries
                                          headers={"Content-Type": "application/json", **headers})
                if spec.get("security") == []:
                    assert answer.status_code != 401 or answer.json()["error"]["code"] == "INVALID_TOKEN", path
                    continue
                refusals = (401, 422) if "requestBody" in spec else (401,)   # a body is checked first
                assert answer.status_code in refusals and answer.headers["Content-Type"] == "application/json", \
                    (method, path, answer.status_code)
                if answer.status_code == 401:
                    checked += 1
                    assert answer.json()["error"]["code"] == ("INVALID_TOKEN" if headers else "UNAUTHENTICATED")
    assert checked > 60
