"""The live gateway against its own OpenAPI document (schemathesis): for every operation,
generated requests, signed in, get no 5xx, every answer is JSON (a file when one is asked
for) and fits the document."""
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.e2e


def api_token(platform, person):
    """A machine client's token of ``person`` (it outlives the run and no generated sign-out can end it)."""
    issued = requests.post(f"{platform.url}/api/v1/api-tokens", json={"person": person, "name": "contract"},
                           headers={"X-Actor": "admin"}, timeout=15)
    assert issued.status_code == 201, issued.text
    return issued.json()["token"]


def test_the_gateway_keeps_its_contract_signed_in(platform):
    # The standing office reads everything and moves periods, but keeps no webhook or account
    # that generated data could leave behind for the tests that follow.
    signed_in = {"Authorization": f"Bearer {api_token(platform, 'trung.th')}"}
    schema = schemathesis.openapi.from_url(f"{platform.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 45
    answered = {}
    for operation in operations:   # a bounded number of generated requests per operation
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def keeps_its_contract(case):
            before = stored(platform)
            response = case.call_and_validate(base_url=platform.url, headers=signed_in, checks=[
                not_a_server_error, status_code_conformance, response_schema_conformance])
            kind = (response.headers.get("content-type") or [""])[0]   # schemathesis: lower-case names, lists
            downloaded = response.status_code == 200 and "200" in case.operation.definition.raw["responses"] and \
                "application/octet-stream" in case.operation.definition.raw["responses"]["200"].get("content", {})
            assert kind.startswith("application/json") or downloaded, (case.method, case.path, kind)
            answered.setdefault(case.operation.label, set()).add(response.status_code)
            if response.status_code >= 400:     # a refused request stores nothing
                assert stored(platform) == before, (case.method, case.path, response.status_code)

        keeps_its_contract()
    assert len(answered) == len(operations)
    # signed in, the requests get past the sign-in: every other operation answers something else too
    only_refused = {label for label, statuses in answered.items() if statuses <= {401}}
    assert only_refused <= {"POST /api/v1/auth/logout", "POST /api/v1/auth/refresh"}   # they want a session's tokens


def stored(platform):
    return {f"{service}.{name}": platform.db(service)[name].count_documents({}) for service, names in (
        ("submissions", ("audit", "reports", "people", "units", "clusters", "periods", "templates", "evidence")),
        ("notifications", ("audit", "webhooks", "preferences"))) for name in names}


def test_the_document_is_served_with_a_readable_page(platform):
    document = requests.get(f"{platform.url}/api/v1/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0"
    assert document["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/ReportCreate"}
    page = requests.get(f"{platform.url}/api/v1/docs", timeout=10)
    assert page.status_code == 200 and "<code>/api/v1/reports</code>" in page.text
    assert "<script" not in page.text
