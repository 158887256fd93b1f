"""The gateway through its HTTP entrypoint, with every service replaced by a fake (nameko's
``replace_dependencies``): routes, body and query checks, the error table, the caller's
credential. No broker, no database: a few milliseconds each."""
import base64
import json
import os
import secrets
import time

import pytest
import requests
from nameko.exceptions import RemoteError, UnknownService
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener
from nameko.utils.concurrency import SpawningSet
from nameko.testing.services import replace_dependencies

from services.gateway import openapi
from services.gateway.service import GatewayService
from thidua import paging, tokens
from thidua.errors import InvalidQuery, Unauthenticated, UnknownReport

PROXIES = ("submissions", "ranking", "notifications")
SECRET = secrets.token_urlsafe(48)


class Reply:
    def __init__(self, answer):
        self.answer = answer

    def result(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Fake:
    """A service as the gateway's RPC proxy sees it: each method answers from ``answers``
    (a value, a function of the call's arguments, or an exception to raise); calls are kept."""

    def __init__(self, **answers):
        self.answers, self.calls = answers, []

    def __getattr__(self, method):
        fake = self

        class Method:
            @staticmethod
            def call_async(*args, **kwargs):
                fake.calls.append((method, args, kwargs))
                answer = fake.answers.get(method, {})
                return Reply(answer(*args, **kwargs) if callable(answer) else answer)
        return Method

    def called(self, method):
        return [(args, kwargs) for name, args, kwargs in self.calls if name == method]


@pytest.fixture
def forwarded():
    """The credentials the gateway put into its workers' context, in order."""
    return []


@pytest.fixture
def gateway(container_factory, web_config, forwarded):
    """Starts the gateway with fakes: ``gateway(submissions=Fake(...), DEMO_MODE="true")``."""
    started = []

    def start(**given):
        fakes = {name: given.pop(name, None) or Fake() for name in PROXIES}
        config = {**web_config, "AMQP_URI": "memory://", "MONGO_URI": "mongodb://127.0.0.1:1/", "TOKEN_SECRET": SECRET,
                  **given}
        container = container_factory(GatewayService, config)
        replace_dependencies(container, forward_caller=forwarded.append, **fakes)
        # the fakes need no reply queue: without it the container stops at once, not after two polls
        container.subextensions = SpawningSet(ext for ext in container.subextensions
                                              if not isinstance(ext, (ReplyListener, QueueConsumer)))
        container.start()
        started.append(container)
        return fakes
    yield start
    for container in started:
        container.stop()


class Session(requests.Session):
    """HTTP to the gateway under test (nameko's ``web_session`` predates werkzeug 3)."""

    def __init__(self, base):
        super().__init__()
        self.base = base
        self.headers["Connection"] = "close"   # no idle connection for the server to wait on at stop

    def request(self, method, path, *args, **kwargs):
        return super().request(method, self.base + path, *args, timeout=5, **kwargs)


@pytest.fixture
def web_session(web_config_port):
    with Session(f"http://127.0.0.1:{web_config_port}") as session:
        yield session


def on_the_bus(forwarded):
    """What the gateway forwarded, as the services read it: the claims of each assertion (the
    gateway's own service tokens left out), or the bare credential (demo mode)."""
    read = []
    for credential in forwarded:
        if "assertion" not in credential:
            read.append(credential)
            continue
        claims = tokens.verify_on_bus(os.environ["SERVICE_SECRET"], credential["assertion"], time.time())
        if claims["typ"] == tokens.ASSERTION:
            read.append({"id": claims["sub"], "session": claims["sid"], "api": claims["api"],
                         "address": credential.get("address")})
    return read


def error_of(response):
    return response.status_code, response.json()["error"]["code"]


DEMO = {"DEMO_MODE": "true"}       # the caller named by X-Actor: these tests are about routes, not tokens
ADMIN = {"X-Actor": "admin"}


def test_a_route_answers_json_with_the_correlation_id(gateway, web_session):
    fakes = gateway(submissions=Fake(list_units=[{"code": "U01"}]), **DEMO)
    response = web_session.get("/api/v1/units", headers={"X-Correlation-Id": "req-42", **ADMIN})
    assert response.status_code == 200
    assert response.json() == {"items": [{"code": "U01"}]}
    assert response.headers["X-Correlation-Id"] == "req-42"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert fakes["submissions"].called("list_units") == [((), {})]


def test_a_route_answers_its_own_status_with_the_checked_body(gateway, web_session):
    fakes = gateway(submissions=Fake(submit_report={"id": "R1"}), DEMO_MODE="true")
    response = web_session.post("/api/v1/reports", json={"unit": "U01", "period": "2021-Q2"},
                                headers={"Idempotency-Key": "k-1", "X-Actor": "canbo.u01"})
    assert (response.status_code, response.json()) == (201, {"id": "R1"})
    assert fakes["submissions"].called("submit_report") == [(({"unit": "U01", "period": "2021-Q2"}, "k-1"), {})]


@pytest.mark.parametrize("data, content_type, status, code", [
    (b'{"unit": ', "application/json", 400, "MALFORMED_JSON"),
    (b'{"unit": "U01"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    (b'{"unit": "U01", "period": "2021-Q2", "$where": 1}', "application/json", 400, "INVALID_KEY"),
    (b'{"unit": "U01"}', "application/json", 422, "VALIDATION_FAILED"),
    (b'{"unit": "U01", "period": "2021-Q2", "colour": "red"}', "application/json", 422, "VALIDATION_FAILED"),
])
def test_a_bad_body_is_refused_before_any_service_is_asked(gateway, web_session, data, content_type, status,
                                                            code):
    fakes = gateway()
    response = web_session.post("/api/v1/reports", data=data, headers={"Content-Type": content_type})
    assert error_of(response) == (status, code)
    assert response.json()["error"]["message"]
    assert fakes["submissions"].calls == []


def test_a_body_of_the_wrong_shape_names_each_field(gateway, web_session):
    gateway()
    response = web_session.post("/api/v1/reports", json={"unit": 7, "period": "2021-Q2"})
    assert set(response.json()["error"]["details"]["fields"]) == {"unit"}


@pytest.mark.parametrize("path, code, message", [
    ("/api/v1/reports?limit=0", "INVALID_QUERY", "limit must be a whole number from 1 to 1000."),
    ("/api/v1/clusters/C/periods/P/ranking/diff?from=1", "INVALID_QUERY", "Give both versions: ?from=1&to=2."),
    ("/api/v1/units/U01/trend", "INVALID_QUERY", "Give the year: ?year=2021."),
    ("/api/v1/audit?service=gateway", "INVALID_QUERY", "service is one of submissions, ranking, notifications."),
])
def test_a_bad_query_is_refused_with_what_to_send(gateway, web_session, path, code, message):
    fakes = gateway()
    response = web_session.get(path)
    assert error_of(response) == (400, code)
    assert response.json()["error"]["message"] == message
    assert all(fake.calls == [] for fake in fakes.values())


def test_query_parameters_reach_the_service_parsed_with_their_defaults(gateway, web_session):
    fakes = gateway(ranking=Fake(compare={"changes": []}), notifications=Fake(audit_trail={"items": [], "next": None}), **DEMO)
    assert web_session.get("/api/v1/clusters/C/periods/P/ranking/diff?from=1&to=3", headers=ADMIN).status_code == 200
    assert fakes["ranking"].called("compare") == [(("C", "P", 1, 3), {})]
    assert web_session.get("/api/v1/audit?service=notifications&unit=U01", headers=ADMIN).json() == {"items": [], "next": None}
    assert fakes["notifications"].called("audit_trail") == [(("U01", None, None, None, None, 100, None), {})]


@pytest.mark.parametrize("failure, status, code", [
    (UnknownReport("No report R9."), 404, "UNKNOWN_REPORT"),
    (RemoteError("KeyError", "boom"), 502, "UPSTREAM_ERROR"),
    (UnknownService("submissions"), 503, "SERVICE_UNAVAILABLE"),
    (RemoteError("ServerSelectionTimeoutError", "127.0.0.1:27017: connection refused"), 503,
     "SERVICE_UNAVAILABLE"),                                            # the database is down
])
def test_a_failure_of_a_service_is_answered_from_the_error_table(gateway, web_session, failure, status, code):
    gateway(submissions=Fake(get_cluster=failure), **DEMO)
    response = web_session.get("/api/v1/clusters/C1", headers={"X-Correlation-Id": "req-7", **ADMIN})
    assert error_of(response) == (status, code)
    assert response.json()["error"]["correlation_id"] == "req-7"
    if status == 404:
        assert response.json()["error"]["message"] == "No report R9."


@pytest.mark.parametrize("outage", [ConnectionResetError(104, "Connection reset by peer"),
                                    __import__("kombu").exceptions.OperationalError("[Errno 111] Connection refused")])
def test_a_broker_or_database_outage_is_a_503_with_retry_after_never_a_500(gateway, web_session, outage):
    def publish_fails(*args):
        raise outage                          # the request could not even be sent
    gateway(submissions=Fake(get_cluster=publish_fails), **DEMO)
    response = web_session.get("/api/v1/clusters/C1", headers=ADMIN)
    assert error_of(response) == (503, "SERVICE_UNAVAILABLE")
    assert response.headers["Retry-After"] == "5" and "Idempotency-Key" in response.json()["error"]["message"]


def test_an_unforeseen_failure_of_the_gateway_is_a_500_with_a_code_not_a_page(gateway, web_session):
    gateway(submissions=Fake(get_cluster={"when": object()}), **DEMO)   # cannot be written as JSON
    assert error_of(web_session.get("/api/v1/clusters/C1", headers=ADMIN)) == (500, "INTERNAL_ERROR")


def test_an_unknown_path_of_the_api_is_a_json_404_and_the_sites_stays_plain(gateway, web_session):
    gateway()
    page = web_session.get("/nothing/here")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    answer = web_session.get("/api/v1/nothing-here", headers={"X-Correlation-Id": "req-8"})
    assert error_of(answer) == (404, "NOT_FOUND")   # not the 405 of the CORS preflight that matches every path
    assert answer.json()["error"]["correlation_id"] == "req-8" and "/api/v1/docs" in answer.json()["error"]["message"]
    assert error_of(web_session.get("/static/nothing.js")) == (404, "NOT_FOUND")


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/v1/reports", ["GET", "POST"]),
    ("PATCH", "/api/v1/reports/R1", ["GET", "PUT"]),
    ("PUT", "/api/v1/auth/login", ["POST"]),
    ("GET", "/api/v1/reports/R1/submit", ["POST"]),
])
def test_a_method_a_path_does_not_take_is_a_json_405_naming_those_it_does(gateway, web_session, method, path, allowed):
    fakes = gateway()
    answer = web_session.request(method, path, json={})
    assert error_of(answer) == (405, "METHOD_NOT_ALLOWED")
    assert answer.json()["error"]["details"] == {"allowed": allowed}
    assert answer.headers["Allow"] == ", ".join(allowed)
    assert all(fake.calls == [] for fake in fakes.values())


def test_only_the_configured_origins_get_cors_headers(gateway, web_session):
    gateway(CORS_ORIGINS="https://thidua.example")
    asked = web_session.options("/api/v1/reports", headers={"Origin": "https://thidua.example"})
    assert asked.status_code == 204 and asked.headers["Access-Control-Allow-Origin"] == "https://thidua.example"
    answer = web_session.get("/api/v1/units", headers={"Origin": "https://thidua.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://thidua.example"
    assert "Access-Control-Allow-Origin" not in web_session.get("/api/v1/units").headers


def test_too_many_sign_ins_from_one_address_are_refused(gateway, web_session):
    fakes = gateway(submissions=Fake(sign_in_hash={"hash": None},
                                     finish_sign_in={"session": "s1", "person": {"id": "a"}}),
                    LOGIN_ATTEMPTS_PER_MINUTE=2)
    answers = [web_session.post("/api/v1/auth/login", json={"person": "a", "password": "p"}) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert error_of(answers[2]) == (429, "RATE_LIMITED")
    assert len(fakes["submissions"].called("finish_sign_in")) == 2


def test_the_gateway_checks_the_password_and_sends_only_the_outcome(gateway, web_session):
    from thidua.security import PASSWORDS
    stored = PASSWORDS.hash("mat-khau-dung-roi")
    fakes = gateway(submissions=Fake(sign_in_hash={"hash": stored},
                                     finish_sign_in={"session": "s1", "person": {"id": "a"}}))
    for password in ("mat-khau-dung-roi", "sai-mat-khau"):
        web_session.post("/api/v1/auth/login", json={"person": "a", "password": password})
    assert fakes["submissions"].called("sign_in_hash") == [(("a",), {})] * 2
    assert [args[:2] for args, _ in fakes["submissions"].called("finish_sign_in")] == [("a", True), ("a", False)]
    assert "mat-khau" not in repr(fakes["submissions"].calls)


def test_the_openapi_document_is_read_from_the_routes():
    doc = openapi.of(GatewayService)
    create = doc["paths"]["/api/v1/reports"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReportCreate")
    assert "201" in create["responses"]
    limit = next(p for p in doc["paths"]["/api/v1/reports"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert "/health" not in doc["paths"] and "/api/v1/openapi.json" not in doc["paths"]


def access_token(person="canbo.u01", session="s1", secret=SECRET, seconds=900):
    return tokens.issue(secret, person, session, "access", time.time(), seconds)


# --- the caller's credential: checked here, then carried by every RPC call of the worker ---------

def test_a_signed_in_caller_travels_with_the_call_not_as_an_argument(gateway, web_session, forwarded):
    fakes = gateway(submissions=Fake(session_active=True, act_on_report={"status": "SUBMITTED"}))
    token = access_token()
    response = web_session.post("/api/v1/reports/R1/submit", json={"version": 2},
                                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-2"})
    assert response.status_code == 200
    assert on_the_bus(forwarded) == [{"id": "canbo.u01", "session": "s1", "api": None, "address": "127.0.0.1"}]
    assert token not in repr(forwarded)
    assert fakes["submissions"].called("session_active") == [(("s1", "canbo.u01"), {})]
    assert fakes["submissions"].called("act_on_report") == [(("R1", "submit", {"version": 2}, "k-2"), {})]


@pytest.mark.parametrize("token", [access_token(secret="another-secret-of-enough-length-0123456789"),
                                   access_token(seconds=-1), "not-a-token"])
def test_an_invalid_access_token_is_refused_by_the_gateway(gateway, web_session, forwarded, token):
    fakes = gateway(submissions=Fake(session_active=True))
    response = web_session.get("/api/v1/reports/R1", headers={"Authorization": f"Bearer {token}"})
    assert error_of(response) == (401, "INVALID_TOKEN")
    assert forwarded == [] and fakes["submissions"].called("get_report") == []


def test_the_token_of_an_ended_session_is_refused(gateway, web_session, forwarded):
    fakes = gateway(submissions=Fake(session_active=False))
    response = web_session.get("/api/v1/me", headers={"Authorization": f"Bearer {access_token()}"})
    assert error_of(response) == (401, "INVALID_TOKEN")
    assert response.json()["error"]["message"] == "This session has ended; sign in again."
    assert on_the_bus(forwarded) == [] and fakes["submissions"].called("me") == []


def test_a_machine_client_travels_as_its_api_tokens_owner(gateway, web_session, forwarded):
    import hashlib

    def owner(digest):   # the gateway sends the token's digest, never the token
        if digest != hashlib.sha256(b"tdk_good").hexdigest():
            raise Unauthenticated("This API token is not valid (unknown or revoked).")
        return {"person": "robot.u01", "id": "t1"}
    fakes = gateway(submissions=Fake(api_token_owner=owner, me={"id": "robot.u01"}))
    assert web_session.get("/api/v1/me", headers={"Authorization": "Bearer tdk_good"}).json() == {"id": "robot.u01"}
    assert on_the_bus(forwarded) == [{"id": "robot.u01", "session": None, "api": "t1", "address": "127.0.0.1"}]
    assert "tdk_good" not in repr(forwarded) + repr(fakes["submissions"].calls)
    assert fakes["submissions"].called("me") == [((), {})]
    refused = web_session.get("/api/v1/me", headers={"Authorization": "Bearer tdk_revoked"})
    assert error_of(refused) == (401, "INVALID_TOKEN") and len(on_the_bus(forwarded)) == 1


def test_a_new_api_token_is_shown_to_the_administrator_and_only_its_digest_crosses_the_bus(gateway, web_session):
    fakes = gateway(submissions=Fake(session_active=True, create_api_token={"id": "t1", "person": "robot.u01",
                                                                              "name": "n"}))
    issued = web_session.post("/api/v1/api-tokens", json={"person": "robot.u01", "name": "n"},
                              headers={"Authorization": f"Bearer {access_token('admin')}"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert token.startswith("tdk_") and token not in repr(fakes["submissions"].calls)
    assert fakes["submissions"].called("create_api_token") == [
        (("robot.u01", "n", tokens.api_token_digest(token)), {})]


@pytest.mark.parametrize("demo, named", [("true", "canbo.u01"), ("false", None)])
def test_x_actor_names_the_caller_only_in_demo_mode(gateway, web_session, forwarded, demo, named):
    fakes = gateway(DEMO_MODE=demo, notifications=Fake(inbox=[]))
    response = web_session.get("/api/v1/people/canbo.u01/inbox?unread=1", headers={"X-Actor": "canbo.u01"})
    if named:
        assert forwarded == [{"id": named, "address": "127.0.0.1"}]
        assert fakes["notifications"].called("inbox") == [(("canbo.u01",), {"unread_only": True, "limit": 50, "cursor": None})]
    else:   # outside demo mode the header names nobody, and nobody reads
        assert error_of(response) == (401, "UNAUTHENTICATED")
        assert forwarded == [] and fakes["notifications"].calls == []


@pytest.mark.parametrize("path", ["/api/v1/units", "/api/v1/clusters/C/periods/P/ranking", "/api/v1/audit",
                                  "/api/v1/evidence/F1", "/api/v1/clusters/C/periods/P/summary",
                                  "/api/v1/reports/R1", "/api/v1/units/U01/trend?year=2021"])
def test_a_read_without_a_credential_is_refused_before_any_service_is_asked(gateway, web_session, forwarded, path):
    fakes = gateway()
    response = web_session.get(path)
    assert error_of(response) == (401, "UNAUTHENTICATED")
    assert "auth/login" in response.json()["error"]["message"]
    assert forwarded == [] and all(fake.calls == [] for fake in fakes.values())


def test_the_public_routes_neither_check_nor_forward_a_token(gateway, web_session, forwarded):
    fakes = gateway(submissions=Fake(sign_in_hash={"hash": None},
                                     finish_sign_in={"session": "s1", "person": {"id": "a"}}))
    bad = {"Authorization": "Bearer not-a-token"}
    assert web_session.get("/api/v1/openapi.json", headers=bad).status_code == 200
    assert web_session.get("/api/v1/docs", headers=bad).status_code == 200
    assert web_session.post("/api/v1/auth/login", json={"person": "a", "password": "p"}, headers=bad).status_code == 200
    assert on_the_bus(forwarded) == [] and fakes["submissions"].called("session_active") == []


def test_signing_out_ends_the_session_of_the_token_it_carries(gateway, web_session, forwarded):
    fakes = gateway(submissions=Fake(session_active=True, logout={"session": "s1", "revoked": True}))
    response = web_session.post("/api/v1/auth/logout", json={}, headers={"Authorization": f"Bearer {access_token()}"})
    assert response.json() == {"session": "s1", "revoked": True}
    assert [c["session"] for c in on_the_bus(forwarded)] == ["s1"]
    assert fakes["submissions"].called("logout") == [(("s1",), {})]
    assert error_of(web_session.post("/api/v1/auth/logout", json={})) == (401, "UNAUTHENTICATED")


def test_every_route_of_the_api_but_signing_in_and_its_document_acts_for_a_signed_in_caller():
    """Reads included: a route under /api/v1 reaches the services only with a credential."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    routes = [(name, route) for name in dir(GatewayService)
              for route in getattr(getattr(GatewayService, name), ENTRYPOINT_EXTENSIONS_ATTR, ())
              if route.url.startswith("/api/v1/")]
    # logout checks its own token; a ballot goes with its one-time token and never with the person
    assert {name for name, route in routes if not route.caller} == \
        {"login", "refresh", "logout", "cast_ballot", "cors_preflight", "openapi_document", "openapi_page"}
    assert {name for name, route in routes if route.public} == \
        {"login", "refresh", "cast_ballot", "cors_preflight", "openapi_document", "openapi_page"}
    assert {"list_units", "get_ranking", "get_audit", "get_evidence", "cluster_summary", "vote_status"} <= \
        {name for name, route in routes if route.caller}
    document = openapi.of(GatewayService)
    assert document["security"] == [{"bearer": []}]
    assert {spec["operationId"] for methods in document["paths"].values() for spec in methods.values()
            if spec.get("security") == []} == {"login", "refresh", "cast_ballot"}


def test_every_handler_takes_exactly_what_its_route_gives():
    """The path values, then ``body`` and ``query`` when the route declares them: a mismatch
    would be a 500 at the first request, so it is caught here for every route at once."""
    import inspect
    import re
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    checked = 0
    for name in dir(GatewayService):
        handler = getattr(GatewayService, name)
        for route in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            given = re.findall(r"<(?:[^<>]*:)?(\w+)>", route.url)
            given += ["body"] * (route.body is not None) + ["query"] * bool(route.query)
            taken = list(inspect.signature(inspect.unwrap(handler)).parameters)
            assert taken == ["self", "request", *given], name
            checked += 1
    assert checked >= 45


# --- a secret ballot: its token and the ballot sealed, never the person ----------------------------

def test_a_ballot_goes_on_sealed_for_its_token_and_without_the_person(gateway, web_session, forwarded):
    from thidua import seal
    key = "a-ballot-sealing-key-for-the-gateway-tests-0123456789"
    fakes = gateway(submissions=Fake(session_active=True, cast_ballot={"cast": True}), BALLOT_SEAL_KEY=key)
    token, ballot = "a" * 32 + "." + "b" * 32, {"classes": {"U02": "TOT"}, "leading_unit": "U01"}
    response = web_session.post("/api/v1/clusters/CUM-01/periods/2021-Q1/vote/ballots", json={"token": token, **ballot},
                                headers={"Authorization": f"Bearer {access_token()}"})   # sent with one: ignored
    assert response.status_code == 201, response.text
    assert forwarded == []   # the worker's calls carry no caller
    ((cluster, period, sent_token, sealed), kwargs), = fakes["submissions"].called("cast_ballot")
    assert (cluster, period, sent_token, kwargs) == ("CUM-01", "2021-Q1", token, {})
    raw = base64.urlsafe_b64decode(sealed)   # the ballot is not in the clear, even once decoded
    assert b'"U02"' not in raw and b'"TOT"' not in raw   # 5 quoted bytes: chance 1 in 10^9, not 1 in 500
    assert json.loads(seal.unseal(key, sealed, seal.ballot_in_transit("CUM-01", "2021-Q1", token))) == ballot


@pytest.mark.parametrize("body", [{"leading_unit": "U01"}, {"token": "U03", "leading_unit": "U01"}])
def test_a_ballot_without_a_well_formed_token_is_refused_before_any_call(gateway, web_session, body):
    fakes = gateway(BALLOT_SEAL_KEY=secrets.token_urlsafe(48))
    response = web_session.post("/api/v1/clusters/CUM-01/periods/2021-Q1/vote/ballots", json=body)
    assert response.status_code == 422 and fakes["submissions"].called("cast_ballot") == []


@pytest.mark.parametrize("path, method, args", [
    ("/api/v1/people/admin/inbox?limit=2&cursor=c1", "inbox", (("admin",), {"unread_only": False, "limit": 2,
                                                                           "cursor": "c1"})),
    ("/api/v1/audit?limit=2&cursor=c1", "audit_trail", ((None, None, None, None, None, 2, "c1"), {})),
    ("/api/v1/reports?limit=2&cursor=c1", "list_reports", ((None, None, None, 2, "c1"), {})),
    ("/api/v1/notices/failed?limit=2&cursor=c1", "failed_notices", ((2, "c1"), {})),
])
def test_every_growing_list_passes_its_cursor_on_and_answers_the_next_one(gateway, web_session, path, method,
                                                                         args):
    page = {"items": [{"id": "x"}], "next": "c2"}
    fakes = gateway(submissions=Fake(**{method: page}), notifications=Fake(**{method: page}), **DEMO)
    assert web_session.get(path, headers=ADMIN).json() == page
    assert [call for fake in fakes.values() for call in fake.called(method)] == [args]


def test_a_cursor_the_service_cannot_read_or_far_too_long_is_a_400_saying_what_to_send(gateway, web_session):
    fakes = gateway(submissions=Fake(list_reports=InvalidQuery("cursor is not a cursor of this list.")), **DEMO)
    assert error_of(web_session.get("/api/v1/reports?cursor=zz", headers=ADMIN)) == (400, "INVALID_QUERY")
    long = web_session.get("/api/v1/reports?cursor=" + "a" * (paging.MAX_CURSOR + 1), headers=ADMIN)
    assert error_of(long) == (400, "INVALID_QUERY") and "'next' value of the previous page" in long.json()[
        "error"]["message"]
    assert fakes["submissions"].called("list_reports") == [((None, None, None, 200, "zz"), {})]
