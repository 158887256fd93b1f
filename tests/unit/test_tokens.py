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
