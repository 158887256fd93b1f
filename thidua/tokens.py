"""Signed tokens (JWT, HS256) for people using the API. Pure: the standard library only.

An access token lives minutes, a refresh token hours; both name the person (``sub``),
their session (``sid``, which logout revokes), the audience (``aud``) and their type
(``typ``). The secret comes from ``TOKEN_SECRET`` and never from code.
"""
import base64
import hashlib
import hmac
import json
import uuid

AUDIENCE = "thidua-api"


class TokenInvalid(ValueError):
    """A token that must not be honoured; the message says why (for logs, not for callers)."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret, subject, session, kind, now, ttl_seconds, audience=AUDIENCE):
    claims = {"sub": subject, "sid": session, "typ": kind, "aud": audience, "iat": int(now),
              "exp": int(now) + int(ttl_seconds), "jti": uuid.uuid4().hex}
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def verify(secret, token, kind, now, audience=AUDIENCE):
    """The claims of ``token`` if it is genuine, of ``kind``, for ``audience`` and not expired."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 4096:
        raise TokenInvalid("not a token")
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    try:
        genuine = hmac.compare_digest(expected, _unb64(signature))
        claims = json.loads(_unb64(payload)) if genuine else None
        algorithm = json.loads(_unb64(header)).get("alg")
    except (ValueError, TypeError):
        raise TokenInvalid("undecodable")
    if not genuine or algorithm != "HS256":
        raise TokenInvalid("bad signature")
    if not isinstance(claims, dict) or claims.get("aud") != audience:
        raise TokenInvalid("wrong audience")
    if claims.get("typ") != kind:
        raise TokenInvalid(f"not an {kind} token")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise TokenInvalid("expired")
    return claims
