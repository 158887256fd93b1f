"""End to end through HTTP, with every service in its own process."""
import pytest
import requests

from scripts.launcher import free_port
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
JSON = {"Content-Type": "application/json"}
LEADERS = ("thien.nh", "trung.th", "hanh.ptv", "lanhdao.u02")


def post_report(platform, body, headers=JSON):
    return requests.post(f"{platform.url}/api/v1/reports", data=body, headers=headers, timeout=10)


def ranking(platform):
    return requests.get(f"{platform.url}/api/v1/clusters/CUM-01/periods/2021-Q1/ranking", timeout=10)


def inbox(platform, person):
    return requests.get(f"{platform.url}/api/v1/people/{person}/inbox", timeout=10).json()


def stored_state(platform):
    return {
        "reports": platform.db("submissions").reports.count_documents({}),
        "audit": platform.db("submissions").audit.count_documents({}),
        "outbox": platform.db("submissions").outbox.count_documents({}),
        "snapshots": platform.db("ranking").snapshots.count_documents({}),
        "inbox": platform.db("notifications").inbox.count_documents({}),
    }


def test_health_reports_broker_database_and_services(platform):
    response = requests.get(f"{platform.url}/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["broker"] == {"ok": True} and body["database"] == {"ok": True}
    assert set(body["services"]) == {"submissions", "ranking", "notifications"}


def test_a_report_posted_over_http_appears_in_the_ranking_and_in_every_leaders_inbox(platform):
    response = post_report(platform, '{"unit": "U04", "period": "2021-Q1", "scores": {"TC1": 45, "TC2": 46}}',
                           headers={**JSON, "X-Correlation-Id": "e2e-flow-1"})
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["total"] == 91 and report["cluster"] == "CUM-01"
    assert response.headers["X-Correlation-Id"] == "e2e-flow-1"

    table = eventually(lambda: ranking(platform).status_code == 200 and ranking(platform).json(),
                       what="the ranking")
    assert any(row["unit"] == "U04" and row["total"] == 91 for row in table["table"])
    assert table["trigger_event_id"]

    for person in LEADERS:
        box = eventually(lambda: [n for n in inbox(platform, person)["items"]
                                  if n["correlation_id"] == "e2e-flow-1" and n["kind"] == "report.submitted"],
                         what=f"{person}'s inbox entry")
        assert box[0]["title"].startswith("Phòng Hậu cần đã nộp báo cáo Quý I/2021")
    # The correlation id followed the request through every event into the ranking's notice too.
    eventually(lambda: [n for n in inbox(platform, "thien.nh")["items"]
                        if n["correlation_id"] == "e2e-flow-1" and n["kind"] == "ranking.updated"],
               what="the ranking notice")
    trail = requests.get(f"{platform.url}/api/v1/audit", params={"entity": "report", "entity_id": report["id"]},
                         timeout=10).json()["items"]
    assert [(a["action"], a["correlation_id"]) for a in trail] == [("report.submit", "e2e-flow-1")]


def test_the_ranking_orders_units_with_competition_ranks(platform):
    for unit, scores in (("U05", {"TC1": 40, "TC2": 40}), ("U06", {"TC1": 50, "TC2": 30})):
        assert post_report(platform, f'{{"unit": "{unit}", "period": "2021-Q1", "scores": '
                                     f'{str(scores).replace(chr(39), chr(34))}}}').status_code == 201
    table = eventually(lambda: (lambda t: t if {"U05", "U06"} <= {r["unit"] for r in t["table"]} else None)(
        ranking(platform).json()), what="both units in the ranking")["table"]
    tied = [row for row in table if row["unit"] in ("U05", "U06")]
    assert tied[0]["rank"] == tied[1]["rank"]          # 80 and 80 share a rank
    assert [row["unit"] for row in tied] == ["U05", "U06"]  # earlier submission first


@pytest.mark.parametrize("body, headers, status, code", [
    ('{"unit": "U01", "period": ', JSON, 400, "MALFORMED_JSON"),
    ('{"unit": "U01", "period": "2021-Q1"}', JSON, 422, "VALIDATION_FAILED"),
    ('{"unit": 1, "period": "2021-Q1", "scores": {"TC1": "x"}}', JSON, 422, "VALIDATION_FAILED"),
    ('{"unit": "U99", "period": "2021-Q1", "scores": {"TC1": 1}}', JSON, 404, "UNKNOWN_UNIT"),
    ('{"unit": "U01", "period": "2035-Q1", "scores": {"TC1": 1}}', JSON, 404, "UNKNOWN_PERIOD"),
    ('{"unit": {"$ne": null}, "period": "2021-Q1", "scores": {"TC1": 1}}', JSON, 422, "VALIDATION_FAILED"),
    ('unit=U01', {"Content-Type": "application/x-www-form-urlencoded"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (b'\xff\xfe', JSON, 400, "INVALID_UTF8"),
    ('[' * 5000 + ']' * 5000, JSON, 400, "MALFORMED_JSON"),
])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(platform, body, headers, status, code):
    before = stored_state(platform)
    response = post_report(platform, body, headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert stored_state(platform) == before


def test_unknown_things_are_404_with_a_code(platform):
    assert requests.get(f"{platform.url}/api/v1/reports/nope", timeout=10).json()["error"]["code"] == \
        "UNKNOWN_REPORT"
    response = requests.get(f"{platform.url}/api/v1/clusters/CUM-09/periods/2021-Q1/ranking", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "RANKING_NOT_FOUND")
    response = requests.get(f"{platform.url}/api/v1/people/thien.nh/inbox?limit=abc", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "INVALID_QUERY")
    response = requests.get(f"{platform.url}/api/v1/people/thien.nh/inbox?limit=100000", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_FAILED")


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
