import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.api import MAX_BODY_BYTES, read_json
from thidua.errors import DomainError


def request(data, content_type="application/json"):
    return Request(EnvironBuilder(method="POST", data=data, content_type=content_type).get_environ())


def test_json_is_read():
    assert read_json(request(json.dumps({"unit": "Đơn vị"}).encode())) == {"unit": "Đơn vị"}
    assert read_json(request(b'{"max": 1.7e308, "tiny": 1e-400}')) == {"max": 1.7e308, "tiny": 0.0}


@pytest.mark.parametrize("data, content_type, status, code", [
    (b'{"unit": ', "application/json", 400, "MALFORMED_JSON"),
    (b"\xff\xfe{}", "application/json", 400, "INVALID_UTF8"),
    (b'{"a": NaN}', "application/json", 400, "MALFORMED_JSON"),
    (b'{"scale": 1e309}', "application/json", 400, "MALFORMED_JSON"),     # a template's number, infinite
    (b'{"max": -1.5e400}', "application/json", 400, "MALFORMED_JSON"),
    (b"[" * 100 + b"]" * 100, "application/json", 400, "MALFORMED_JSON"),
    (b"[" * 100000 + b"]" * 100000, "application/json", 400, "MALFORMED_JSON"),
    (b"unit=U01", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
    (b" " * (MAX_BODY_BYTES + 1), "application/json", 413, "BODY_TOO_LARGE"),
    (b'{"unit": {"$ne": null}}', "application/json", 400, "INVALID_KEY"),
    (b'[{"values": [{"$where": "1"}]}]', "application/json", 400, "INVALID_KEY"),
])
def test_bad_bodies_get_a_clear_error(data, content_type, status, code):
    with pytest.raises(DomainError) as caught:
        read_json(request(data, content_type))
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.message


def test_dotted_keys_such_as_criterion_codes_are_allowed():
    assert read_json(request(b'{"values": {"C1.1": {"actual": 1}}}')) == {"values": {"C1.1": {"actual": 1}}}


def test_every_answer_carries_the_security_headers():
    from services.gateway.api import SECURITY_HEADERS, json_response
    response = json_response({"ok": True}, 200, "cid")
    assert {k: response.headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS


def test_only_the_configured_origins_may_call_from_a_browser():
    from werkzeug.wrappers import Response
    from services.gateway.api import cors, preflight
    config = {"CORS_ORIGINS": "https://thidua.congan.example, https://other.example"}
    asked = Request(EnvironBuilder(method="OPTIONS", headers={"Origin": "https://thidua.congan.example"}).get_environ())
    answer = preflight(asked, config)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "https://thidua.congan.example"
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    stranger = Request(EnvironBuilder(headers={"Origin": "https://evil.example"}).get_environ())
    assert "Access-Control-Allow-Origin" not in cors(Response("{}"), stranger, config).headers
    assert "Access-Control-Allow-Origin" not in preflight(stranger, config).headers
