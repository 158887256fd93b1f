"""HTTP plumbing of the gateway: JSON in, JSON out, files out.

Every error answer has the same shape, ``{"error": {"code", "message", "details"}}``,
with a stable ``code`` of ``thidua.errors`` clients may switch on and a message saying
what to fix.
"""
import json
import math
from urllib.parse import quote

import eventlet
from werkzeug.wrappers import Response

from jsonschema import Draft202012Validator

from services.gateway.schemas import SCHEMAS
from thidua import correlation
from thidua.rpc import seconds_left  # importing thidua.rpc also lets domain errors cross RPC as themselves
from thidua.errors import (BodyTooLarge, InvalidIdempotencyKey, InvalidKey, InvalidUtf8, MalformedJson,
                          ServiceUnavailable, UnsupportedMediaType, ValidationFailed)
from thidua.settings import Gateway

API = "/api/v1"
SERVICES = ("submissions", "ranking", "notifications")
MAX_BODY_BYTES = 1024 * 1024
VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
MAX_JSON_DEPTH = 32
DEFAULT_DEADLINE = Gateway.deadline_seconds   # a call made outside a request (the entrypoint sets one)


def json_response(payload, status=200, cid=None):
    response = Response(json.dumps(payload, ensure_ascii=False), status=status,
                        mimetype="application/json")
    if cid:
        response.headers[correlation.HEADER] = cid
    return secure(response)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def secure(response):
    """The API's answers are data, never pages: nobody may frame, sniff or cache them."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def error_response(status, code, message, details=None, cid=None):
    return json_response({"error": {"code": code, "message": message, "details": details or {},
                                    "correlation_id": cid}}, status, cid)


def _check_structure(value, limit):
    """Refuse JSON nested deeper than ``limit`` and any key that starts with ``$``: such a key
    is a MongoDB operator, and no field of this API has one. (Dots are allowed: criterion
    codes such as ``C1.1`` are keys, and documents are never updated by dotted paths.)"""
    stack = [(value, 1, "")]
    while stack:
        item, depth, where = stack.pop()
        if depth > limit:
            raise MalformedJson(f"The JSON is nested deeper than {limit} levels.")
        if isinstance(item, dict):
            for key, child in item.items():
                if key.startswith("$"):
                    raise InvalidKey(f"The key {where}{key!r} starts with '$'; no field of this API does.")
                stack.append((child, depth + 1, f"{where}{key}."))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, where) for child in item)


def read_bytes(request, limit):
    """The raw body, at most ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(f"The body is larger than {limit} bytes.")
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise BodyTooLarge(f"The body is larger than {limit} bytes.")
    return raw


def read_json(request):
    """The request's JSON body, or a :class:`DomainError` saying what is wrong with it."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as JSON with the header Content-Type: application/json.")
    raw = read_bytes(request, MAX_BODY_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidUtf8("The body is not valid UTF-8 text.")
    try:
        body = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        raise MalformedJson(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    except ValueError as exc:
        raise MalformedJson(f"The body is not valid JSON: {exc}.")
    _check_structure(body, MAX_JSON_DEPTH)
    return body


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _finite(literal):
    """Numbers that fit a float: 1e309 would become infinity, stored, and served back as
    ``Infinity``, which is not JSON."""
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"{literal} is too large a number")
    return value


def call(method, *args, timeout=None, **kwargs):
    """An RPC call, its publish included, that gives up with 503 when the request's deadline
    (``GATEWAY_DEADLINE_SECONDS``, carried in the worker's context) has passed, or after
    ``timeout`` seconds if that comes first, instead of hanging the request."""
    left = seconds_left(getattr(method, "worker_ctx", None), DEFAULT_DEADLINE if timeout is None else timeout)
    try:
        with eventlet.Timeout(left):
            return method.call_async(*args, **kwargs).result()
    except eventlet.Timeout:
        raise ServiceUnavailable("A service did not answer in time; the request may be retried.") from None


def check_body(body, schema_name):
    """``body`` if it has the shape of its schema, else 422 naming every misplaced field."""
    problems = {}
    for error in VALIDATORS[schema_name].iter_errors(body):
        where = ".".join(str(p) for p in error.absolute_path) or "body"
        problems.setdefault(where, error.message[:300])
    if problems:
        listed = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        raise ValidationFailed(f"The body does not have the expected shape: {listed}.", {"fields": problems})
    return body


CORS_HEADERS = "Content-Type, Authorization, Idempotency-Key, X-Correlation-Id, X-Filename"


def allowed_origins(config):
    return set(Gateway.of(config).cors_origins)


def cors(response, request, config):
    """Browsers on the configured origins (``CORS_ORIGINS``) may call the API; others may not."""
    origin = request.headers.get("Origin")
    if origin and origin in allowed_origins(config):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "X-Correlation-Id"
        response.headers["Vary"] = "Origin"
    return response


def preflight(request, config):
    response = secure(Response(status=204))
    cors(response, request, config)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response




def idempotency_key(request):
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise InvalidIdempotencyKey("Idempotency-Key must be 1 to 200 characters.")
    return key


def attachment(data, mimetype, name):
    """A file to download, named in UTF-8 (unit and period codes may carry Vietnamese)."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
