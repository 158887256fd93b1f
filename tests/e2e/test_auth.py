"""Signing in, tokens and the checks around them, through the live gateway."""
import json
import subprocess
import time

import pytest
import requests

from scripts.launcher import VENV_BIN, ROOT, free_port, service_env
from thidua import tokens
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
JSON = {"Content-Type": "application/json"}
SECRET = "development-only-secret-change-me"   # the platform under test runs with the default secret


def login(platform, person, password="thidua-demo", url=None):
    return requests.post(f"{url or platform.url}/api/v1/auth/login", timeout=15, headers=JSON,
                         data=json.dumps({"person": person, "password": password}))


def bearer(token):
    return {**JSON, "Authorization": f"Bearer {token}"}


def report(unit):
    return json.dumps({"unit": unit, "period": "2021-Q2", "draft": True})


def test_a_signed_in_officer_acts_with_the_access_token_alone(platform):
    signed_in = login(platform, "canbo.u03")
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert body["token_type"] == "Bearer" and body["person"]["id"] == "canbo.u03"
    assert "password_hash" not in body["person"]
    created = requests.post(f"{platform.url}/api/v1/reports", data=report("U03"), timeout=15,
                            headers=bearer(body["access_token"]))
    assert created.status_code in (201, 409), created.text     # 409 if an earlier test already made it
    trail = requests.get(f"{platform.url}/api/v1/audit", params={"actor": "canbo.u03", "limit": 5}, timeout=15,
                         headers={"X-Actor": "admin"})   # the audit trail is the administrators' and the office's
    assert any(a["action"] == "login" for a in trail.json()["items"])


@pytest.mark.parametrize("forge", [
    lambda good: good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),               # tampered
    lambda good: tokens.issue(SECRET, "admin", "no-such-session", "access", time.time(), 900),  # unknown session
    lambda good: tokens.issue(SECRET, "canbo.u01", "s", "access", time.time() - 2000, 900),     # expired
    lambda good: tokens.issue(SECRET, "canbo.u01", "s", "access", time.time(), 900, audience="other-app"),
    lambda good: tokens.issue("another-secret-of-enough-length!!", "admin", "s", "access", time.time(), 900),
    lambda good: "not-a-token",
])
def test_a_token_that_is_not_genuine_current_and_ours_is_refused_and_changes_nothing(platform, forge):
    good = login(platform, "canbo.u05").json()["access_token"]
    before = platform.db("submissions").reports.count_documents({})
    response = requests.post(f"{platform.url}/api/v1/reports", data=report("U05"), headers=bearer(forge(good)),
                             timeout=15)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    assert platform.db("submissions").reports.count_documents({}) == before


def test_after_logout_neither_the_access_nor_the_refresh_token_works(platform):
    body = login(platform, "canbo.u06").json()
    refreshed = requests.post(f"{platform.url}/api/v1/auth/refresh", timeout=15, headers=JSON,
                              data=json.dumps({"refresh_token": body["refresh_token"]}))
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    out = requests.post(f"{platform.url}/api/v1/auth/logout", data="{}", headers=bearer(body["access_token"]),
                        timeout=15)
    assert out.status_code == 200 and out.json()["revoked"] is True
    again = requests.post(f"{platform.url}/api/v1/reports", data=report("U06"), headers=bearer(body["access_token"]),
                          timeout=15)
    assert (again.status_code, again.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    refused = requests.post(f"{platform.url}/api/v1/auth/refresh", timeout=15, headers=JSON,
                            data=json.dumps({"refresh_token": body["refresh_token"]}))
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    access_as_refresh = requests.post(f"{platform.url}/api/v1/auth/refresh", timeout=15, headers=JSON,
                                      data=json.dumps({"refresh_token": refreshed.json()["access_token"]}))
    assert access_as_refresh.status_code == 401


def test_five_wrong_passwords_lock_the_account(platform):
    admin = {**JSON, "X-Actor": "admin"}
    created = requests.post(f"{platform.url}/api/v1/people", headers=admin, timeout=15, data=json.dumps(
        {"id": "canbo.lock", "name": "Cán bộ thử khoá", "role": "unit_officer", "unit": "U04"}))
    assert created.status_code == 200, created.text
    password = requests.put(f"{platform.url}/api/v1/people/canbo.lock/password", headers=admin, timeout=15,
                            data=json.dumps({"password": "mot-mat-khau-dai"}))
    assert password.status_code == 200, password.text
    port = free_port()   # a gateway of its own, so this test's attempts count against nobody else's
    platform.start("gateway-auth", "gateway", GATEWAY_ADDRESS=f"127.0.0.1:{port}", LOGIN_ATTEMPTS_PER_MINUTE="6")
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(url), what="the second gateway")
        codes = [login(platform, "canbo.lock", "sai-mat-khau", url).json()["error"]["code"] for _ in range(5)]
        assert codes == ["UNAUTHENTICATED"] * 5
        locked = login(platform, "canbo.lock", "mot-mat-khau-dai", url)
        assert (locked.status_code, locked.json()["error"]["code"]) == (429, "TOO_MANY_ATTEMPTS")
        limited = login(platform, "canbo.lock", "mot-mat-khau-dai", url)
        assert (limited.status_code, limited.json()["error"]["code"]) == (429, "RATE_LIMITED")
    finally:
        platform.stop("gateway-auth")


def test_outside_demo_mode_the_actor_header_means_nothing(platform):
    port = free_port()
    platform.start("gateway-strict", "gateway", GATEWAY_ADDRESS=f"127.0.0.1:{port}", DEMO_MODE="false")
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(url), what="the strict gateway")
        response = requests.post(f"{url}/api/v1/reports", data=report("U02"), timeout=15,
                                 headers={**JSON, "X-Actor": "canbo.u02"})
        assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHENTICATED")
    finally:
        platform.stop("gateway-strict")


@pytest.mark.parametrize("service", ["gateway", "submissions"])
def test_in_production_a_service_refuses_to_start_with_the_default_secret(platform, service):
    env = service_env(platform.amqp_uri, platform.mongo_uri, {"THIDUA_ENV": "production", "DEMO_MODE": "false",
                                                               "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}"})
    result = subprocess.run([str(VENV_BIN / "nameko"), "run", "--config", f"services/{service}/config.yml",
                             f"services.{service}.service"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "TOKEN_SECRET" in result.stderr + result.stdout


def _answers(url):
    try:
        return requests.get(f"{url}/health", timeout=5).status_code in (200, 503)
    except requests.ConnectionError:
        return False


def test_the_first_administrator_is_created_by_a_command_and_can_sign_in(platform):
    env = {**platform.env, "THIDUA_ADMIN_PASSWORD": "mat-khau-quan-tri-2021"}
    result = subprocess.run([str(VENV_BIN / "python"), "-m", "scripts.create_admin", "--id", "quantri",
                             "--name", "Quản trị viên"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    signed_in = login(platform, "quantri", "mat-khau-quan-tri-2021")
    assert signed_in.status_code == 200 and signed_in.json()["person"]["role"] == "administrator"
    trail = requests.get(f"{platform.url}/api/v1/audit", params={"actor": "system:create-admin"}, timeout=15,
                         headers={"X-Actor": "admin"})
    assert {a["action"] for a in trail.json()["items"]} == {"people.upsert", "person.password"}


def test_a_machine_client_acts_with_an_api_token_until_it_is_revoked(platform):
    admin = {**JSON, "X-Actor": "admin"}
    issued = requests.post(f"{platform.url}/api/v1/api-tokens", headers=admin, timeout=15,
                           data=json.dumps({"person": "canbo.u02", "name": "Phần mềm quản lý của Phòng Tổ chức cán bộ"}))
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    refused = requests.post(f"{platform.url}/api/v1/api-tokens", timeout=15, headers={**JSON, "X-Actor": "canbo.u02"},
                            data=json.dumps({"person": "canbo.u02", "name": "x"}))
    assert refused.status_code == 403
    draft = requests.post(f"{platform.url}/api/v1/reports", data=json.dumps(
        {"unit": "U02", "period": "2021-Q2", "draft": True}), headers=bearer(token), timeout=15)
    assert draft.status_code == 201, draft.text
    assert draft.json()["created_by"] == "canbo.u02"
    revoked = requests.post(f"{platform.url}/api/v1/api-tokens/{issued.json()['id']}/revoke", data="{}",
                            headers=admin, timeout=15)
    assert revoked.status_code == 200
    after = requests.post(f"{platform.url}/api/v1/reports", data=report("U02"), headers=bearer(token), timeout=15)
    assert (after.status_code, after.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    stored = platform.db("submissions").api_tokens.find_one({"id": issued.json()["id"]})
    assert token not in str(stored)      # only its hash is kept
