"""No request, however wrong, makes the platform answer 5xx or break the error shape.

A bounded property-based fuzz of every operation of the live gateway: random JSON bodies
(objects, lists, strings, numbers, nesting, operator-like keys), random path values and
random callers (signed in with a valid token, a bad token, the demo's actor header, nobody)."""
import json
import re

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from services.gateway import openapi
from services.gateway.service import GatewayService

pytestmark = pytest.mark.e2e

# every operation of the API's own document: a new route is fuzzed the day it is added
ROUTES = sorted((method.upper(), re.sub(r"{\w+}", "{}", path))
                for path, methods in openapi.of(GatewayService)["paths"].items() for method in methods)
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
SIGNED_IN = ("trung.th", "canbo.u01")   # the standing office and a unit officer, with a machine client's token


@pytest.fixture(scope="module")
def tokens(platform):
    found = {}
    for person in SIGNED_IN:
        issued = requests.post(f"{platform.url}/api/v1/api-tokens", json={"person": person, "name": "fuzz"},
                               headers={"X-Actor": "admin"}, timeout=15)
        assert issued.status_code == 201, issued.text
        found[person] = issued.json()["token"]
    return found


credentials = st.one_of(actors.map(lambda a: {"X-Actor": a} if a else {}),
                        st.sampled_from(SIGNED_IN + ("bad",)).map(lambda who: {"bearer": who}))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), values=st.lists(segment, min_size=3, max_size=3), body=json_values,
       caller=credentials,
       query=st.dictionaries(st.sampled_from(["limit", "version", "from", "to", "year", "unread", "unit"]),
                             st.text(max_size=8), max_size=3))
def test_no_request_gets_a_5xx_and_every_refusal_is_json(platform, tokens, route, values, body, caller, query):
    method, template = route
    path = template.format(*(requests.utils.quote(v, safe="") for v in values[:template.count("{}")]))
    if "bearer" in caller:
        caller = {"Authorization": f"Bearer {tokens.get(caller['bearer'], 'tdk_not-a-token')}"}
    headers = {"Content-Type": "application/json", **caller}
    response = requests.request(method, platform.url + path, params=query, data=json.dumps(body),
                                headers=headers, timeout=30)
    assert response.status_code < 500, (method, path, body, response.text[:500])
    if response.status_code >= 400:
        assert response.headers.get("Content-Type", "").startswith("application/json"), (method, path)
        error = response.json()["error"]
        assert error["code"] and error["message"]
