import base64
import json

import pytest

from thidua.tokens import TokenInvalid, issue, verify

SECRET = "a-test-secret-that-is-long-enough"
NOW = 1_700_000_000


def token(**overrides):
    args = {"secret": SECRET, "subject": "hanh.ptv", "session": "s1", "kind": "access", "now": NOW,
            "ttl_seconds": 900}
    return issue(**{**args, **overrides})


def test_a_genuine_token_gives_its_claims():
    claims = verify(SECRET, token(), "access", NOW + 10)
    assert (claims["sub"], claims["sid"], claims["typ"], claims["exp"]) == ("hanh.ptv", "s1", "access", NOW + 900)


def tampered(text):
    header, payload, signature = text.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("candidate, kind, now, reason", [
    (tampered(token()), "access", NOW, "bad signature"),
    (token(secret="another-secret-entirely-here"), "access", NOW, "bad signature"),
    (token(), "access", NOW + 900, "expired"),
    (token(kind="refresh"), "access", NOW, "not an access token"),
    (issue(SECRET, "hanh.ptv", "s1", "access", NOW, 900, audience="another-app"), "access", NOW, "wrong audience"),
    ("abc", "access", NOW, "not a token"),
    ("a.b.c", "access", NOW, "undecodable"),
])
def test_a_token_that_is_not_genuine_current_and_meant_for_us_is_refused(candidate, kind, now, reason):
    with pytest.raises(TokenInvalid, match=reason):
        verify(SECRET, candidate, kind, now)


# --- on the bus: assertions and service tokens (SERVICE_SECRET) ---------------------------------

from thidua import tokens as bus   # noqa: E402


def test_an_assertion_names_a_person_and_their_session_or_api_token_for_a_minute_at_most():
    claims = bus.verify_on_bus(SECRET, bus.assertion(SECRET, "hanh.ptv", NOW, session="s1"), NOW + 30)
    assert (claims["sub"], claims["sid"], claims["typ"], claims["aud"]) == ("hanh.ptv", "s1", "assertion", "thidua-bus")
    assert claims["exp"] - claims["iat"] == 60
    assert bus.assertion(SECRET, "hanh.ptv", NOW, ttl_seconds=3600, api_token="t1").count(".") == 2
    with pytest.raises(TokenInvalid):
        bus.verify_on_bus(SECRET, bus.assertion(SECRET, "hanh.ptv", NOW, session="s1"), NOW + 61)


@pytest.mark.parametrize("forged", [
    issue(SECRET, "hanh.ptv", None, "assertion", NOW, 60, bus.BUS_AUDIENCE),               # names nothing
    issue(SECRET, "hanh.ptv", "s1", "assertion", NOW, 3600, bus.BUS_AUDIENCE),             # lives too long
    issue(SECRET, "system:x", "s1", "assertion", NOW, 60, bus.BUS_AUDIENCE),               # a system person
    issue(SECRET, "hanh.ptv", None, "service", NOW, 60, bus.BUS_AUDIENCE),                 # a person's service
    issue(SECRET, "system:x", None, "service", NOW, 3600, bus.BUS_AUDIENCE),               # lives too long
    issue(SECRET, "system:x", None, "service", NOW, 60),                                   # a person's audience
    issue(SECRET, "hanh.ptv", "s1", "access", NOW, 60, bus.BUS_AUDIENCE),                  # a person's token
    issue("another-secret-that-is-long-enough", "system:x", None, "service", NOW, 60, bus.BUS_AUDIENCE),
])
def test_nothing_else_passes_for_a_credential_of_the_bus(forged):
    with pytest.raises(TokenInvalid):
        bus.verify_on_bus(SECRET, forged, NOW + 1)


def test_a_service_token_is_a_system_subject_for_minutes():
    claims = bus.verify_on_bus(SECRET, bus.service_token(SECRET, "demo-loader", NOW), NOW + 299)
    assert (claims["sub"], claims["typ"]) == ("system:demo-loader", "service")
    assert bus.verify_on_bus(SECRET, bus.service_token(SECRET, "x", NOW, ttl_seconds=10 ** 6), NOW + 599)
