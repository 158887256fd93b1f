"""The authorisation matrix, walked through the live gateway: every state-changing
operation x every kind of caller (own or another unit, the cluster's lead, the leaders,
the administrator, nobody). An allowed caller is never refused for who they are; a
refused one gets 401 or 403 and changes nothing."""
import copy
import json

import pytest
import requests

from tests.helpers import demo_content

pytestmark = pytest.mark.e2e
CALLERS = {"admin": "administrator", "trung.th": "standing office", "thien.nh": "provincial leader",
           "hanh.ptv": "cluster lead (U01's leader)", "canbo.u04": "U04's officer", "canbo.u05": "another unit's officer",
           "canbo.az": "an officer of another cluster", "lanhdao.az": "the other cluster's lead", None: "nobody"}
PERIOD = "2021-AZ"
ADMINS, PERIOD_MANAGERS = {"admin"}, {"admin", "trung.th"}


def call(platform, method, path, body, person, content_type="application/json"):
    headers = {"Content-Type": content_type, **({"X-Actor": person} if person else {})}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return requests.request(method, f"{platform.url}/api/v1{path}", data=data, headers=headers, timeout=15)


@pytest.fixture(scope="module")
def scene(platform):
    """A period of its own, open, with a draft report of U04 to act on."""
    period = {"code": PERIOD, "kind": "quarter", "year": 2021, "label": "Kỳ thử phân quyền",
              "starts_on": "2021-10-01T00:00:00+07:00", "ends_on": "2021-12-31T23:59:59+07:00",
              "deadline": "2030-01-10T17:00:00+07:00", "template": {"id": "TCTD-CAT-2021", "version": 1}}
    assert call(platform, "POST", "/periods", period, "admin").status_code == 200
    assert call(platform, "POST", f"/periods/{PERIOD}/transitions", {"action": "open", "version": 1},
                "admin").status_code == 200
    draft = call(platform, "POST", "/reports", {"unit": "U04", "period": PERIOD, "draft": True}, "canbo.u04")
    assert draft.status_code == 201, draft.text
    # Another cluster the same year, with its own unit, officer and lead.
    for path, body in (("/units", {"code": "UAZ", "name": "Đơn vị cụm khác"}),
                       ("/clusters", {"code": "CUM-AZ", "name": "Cụm thi đua khác", "year": 2021,
                                      "members": [{"unit": "UAZ", "role": "lead"}]}),
                       ("/people", {"id": "canbo.az", "name": "Cán bộ cụm khác", "role": "unit_officer", "unit": "UAZ"}),
                       ("/people", {"id": "lanhdao.az", "name": "Lãnh đạo cụm khác", "role": "unit_leader",
                                    "unit": "UAZ"})):
        assert call(platform, "POST", path, body, "admin").status_code == 200
    return {"report": draft.json()["id"]}


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
         {"action": "archive", "version": 2}),
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
    ]


def state(platform):
    submissions, notifications = platform.db("submissions"), platform.db("notifications")
    return {name: submissions[name].count_documents({}) for name in
            ("audit", "reports", "units", "clusters", "people", "templates", "periods", "evidence", "vote_sessions",
             "ballot_boxes")} | \
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
            expected = {404} if "draft" in name else {401} if caller is None else {403}
            assert response.status_code in expected, (name, caller, response.status_code, response.text)
            assert state(platform) == before, (name, caller)
