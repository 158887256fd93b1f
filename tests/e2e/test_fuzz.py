"""No request, however wrong, makes the platform answer 5xx or break the error shape.

A bounded property-based fuzz of every route of the live gateway: random JSON bodies
(objects, lists, strings, numbers, nesting, operator-like keys), random path values and
random actors."""
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

pytestmark = pytest.mark.e2e

ROUTES = [
    ("POST", "/api/v1/reports"), ("PUT", "/api/v1/reports/{x}"), ("POST", "/api/v1/reports/{x}/{action}"),
    ("GET", "/api/v1/reports/{x}"), ("GET", "/api/v1/reports"), ("POST", "/api/v1/units"),
    ("POST", "/api/v1/clusters"), ("GET", "/api/v1/clusters/{x}"), ("POST", "/api/v1/people"),
    ("POST", "/api/v1/templates"), ("GET", "/api/v1/templates/{x}"), ("POST", "/api/v1/periods"),
    ("POST", "/api/v1/periods/{x}/transitions"), ("GET", "/api/v1/clusters/{x}/periods/{y}/summary"),
    ("GET", "/api/v1/clusters/{x}/periods/{y}/vote"), ("POST", "/api/v1/clusters/{x}/periods/{y}/vote/open"),
    ("POST", "/api/v1/clusters/{x}/periods/{y}/vote/close"), ("POST", "/api/v1/clusters/{x}/periods/{y}/vote/ballots"),
    ("GET", "/api/v1/clusters/{x}/periods/{y}/ranking"), ("GET", "/api/v1/clusters/{x}/periods/{y}/ranking/units/{z}"),
    ("GET", "/api/v1/clusters/{x}/periods/{y}/ranking/diff"), ("GET", "/api/v1/units/{x}/trend"),
    ("GET", "/api/v1/people/{x}/inbox"), ("POST", "/api/v1/people/{x}/inbox/{y}/read"),
    ("PUT", "/api/v1/people/{x}/preferences"), ("POST", "/api/v1/webhooks"), ("POST", "/api/v1/notices/{x}/retry"),
    ("POST", "/api/v1/units/{x}/evidence"), ("GET", "/api/v1/evidence/{x}"), ("GET", "/api/v1/audit"),
]
KNOWN = ["U01", "U04", "CUM-01", "2021-Q1", "2021-Q2", "TCTD-CAT-2021", "hanh.ptv", "submit", "review", "return"]
segment = st.one_of(st.sampled_from(KNOWN), st.text(min_size=1, max_size=20).filter(lambda t: "/" not in t
                                                                                  and t not in (".", "..")))
keys = st.one_of(st.sampled_from(["unit", "period", "values", "self_scores", "version", "reason", "code", "name",
                                  "members", "review", "classes", "leading_unit", "$gt", "a.b", "action"]),
                 st.text(max_size=10))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(KNOWN))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)), max_leaves=20)
actors = st.sampled_from([None, "admin", "canbo.u01", "hanh.ptv", "thien.nh", "nobody", "'; drop"])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), x=segment, y=segment, z=segment, body=json_values, actor=actors,
       query=st.dictionaries(st.sampled_from(["limit", "version", "from", "to", "year", "unread", "unit"]),
                             st.text(max_size=8), max_size=3))
def test_no_request_gets_a_5xx(platform, route, x, y, z, body, actor, query):
    method, template = route
    path = template.format(x=requests.utils.quote(x, safe=""), y=requests.utils.quote(y, safe=""),
                           z=requests.utils.quote(z, safe=""), action=requests.utils.quote(y, safe=""))
    headers = {"Content-Type": "application/json", **({"X-Actor": actor} if actor else {})}
    response = requests.request(method, platform.url + path, params=query, data=json.dumps(body),
                                headers=headers, timeout=30)
    assert response.status_code < 500, (method, path, body, response.text[:500])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        error = response.json()["error"]
        assert error["code"] and error["message"]
