"""Signed tokens (JWT, HS256). Pure: the standard library only.

For people using the API (audience ``thidua-api``, secret ``TOKEN_SECRET``): an access token
lives minutes, a refresh token hours; both name the person (``sub``), their session (``sid``,
which logout revokes), the audience (``aud``) and their type (``typ``).

On the bus (audience ``thidua-bus``, secret ``SERVICE_SECRET``, which only the services and
operators hold), a call carries one of two credentials, never a person's own token:

- an **assertion** (``typ: assertion``): the gateway vouches for a person it checked, for a
  minute at most, naming their session (``sid``) or the API token they used (``api``);
- a **service token** (``typ: service``): an operator tool or a service acting as itself, with
  a ``system:`` subject, for a few minutes at most.

Neither secret ever comes from code.
"""
import base64
import hashlib
import hmac
import json
import secrets
import uuid

AUDIENCE = "thidua-api"


class TokenInvalid(ValueError):
    """A token that must not be honoured; the message says why (for logs, not for callers)."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


BUS_AUDIENCE = "thidua-bus"
ASSERTION, SERVICE = "assertion", "service"
SYSTEM_PREFIX = "system:"
LONGEST = {ASSERTION: 60, SERVICE: 600}   # seconds: a stolen bus credential is soon worthless


def issue(secret, subject, session, kind, now, ttl_seconds, audience=AUDIENCE, **extra):
    claims = {**extra, "sub": subject, "sid": session, "typ": kind, "aud": audience, "iat": int(now),
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


API_TOKEN_PREFIX = "tdk_"


def api_token_digest(token):
    """What the platform keeps of a machine client's API token, and all that crosses the bus."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token():
    """A fresh API token, made where it is shown (the gateway): only its digest is sent on."""
    return API_TOKEN_PREFIX + secrets.token_hex(32)


def assertion(secret, person, now, session=None, api_token=None, ttl_seconds=LONGEST[ASSERTION]):
    """The gateway's word that ``person`` is calling, from ``session`` or with the API token ``api_token``
    (its public id, never the token)."""
    return issue(secret, person, session, ASSERTION, now, min(ttl_seconds, LONGEST[ASSERTION]), BUS_AUDIENCE,
                 api=api_token)


def service_token(secret, name, now, ttl_seconds=300):
    """An operator tool's or a service's own credential, as ``system:<name>``."""
    return issue(secret, SYSTEM_PREFIX + name, None, SERVICE, now, min(ttl_seconds, LONGEST[SERVICE]), BUS_AUDIENCE)


def verify_on_bus(secret, token, now):
    """The claims of a genuine, current assertion or service token. Each kind must say what it
    stands for (a ``system:`` subject; a person with a session or an API token) and live no longer
    than its kind may, so a token signed for hours is refused even with the right secret."""
    for kind in (ASSERTION, SERVICE):
        try:
            claims = verify(secret, token, kind, now, BUS_AUDIENCE)
        except TokenInvalid as exc:
            if str(exc).startswith("not an"):
                continue
            raise
        subject = claims.get("sub")
        if not isinstance(subject, str) or not isinstance(claims.get("iat"), int):
            raise TokenInvalid("no subject")
        if claims["exp"] - claims["iat"] > LONGEST[kind]:
            raise TokenInvalid("lives too long")
        if (kind == SERVICE) != subject.startswith(SYSTEM_PREFIX):
            raise TokenInvalid("system subjects only in service tokens")
        if kind == ASSERTION and not (claims.get("sid") or claims.get("api")):
            raise TokenInvalid("an assertion names a session or an API token")
        return claims
    raise TokenInvalid("not a bus credential")
