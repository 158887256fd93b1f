"""The live gateway against its own OpenAPI document (schemathesis): for every operation,
generated requests get no 5xx, and every answer fits the document."""
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.e2e


def test_the_gateway_keeps_its_contract(platform):
    schema = schemathesis.openapi.from_url(f"{platform.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:   # a bounded number of generated requests per operation
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def keeps_its_contract(case):
            before = stored(platform)
            response = case.call_and_validate(base_url=platform.url, checks=[
                not_a_server_error, status_code_conformance, response_schema_conformance])
            if response.status_code >= 400:     # a refused request stores nothing
                assert stored(platform) == before, (case.method, case.path, response.status_code)

        keeps_its_contract()


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
