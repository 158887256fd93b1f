"""HTTP plumbing of the gateway: JSON in, JSON out, and the error table.

Every error answer has the same shape, ``{"error": {"code", "message", "details"}}``,
with a stable ``code`` clients may switch on and a message saying what to fix.
"""
import functools
import json
import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from werkzeug.wrappers import Response

from jsonschema import Draft202012Validator

from services.gateway.schemas import SCHEMAS
from thidua import correlation
from thidua import rpc as _registers_domain_errors  # noqa: F401  (they cross RPC as themselves)
from thidua.errors import DomainError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
MAX_JSON_DEPTH = 32


class HttpError(Exception):
    def __init__(self, status, code, message, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


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
            raise HttpError(400, "MALFORMED_JSON", f"The JSON is nested deeper than {limit} levels.")
        if isinstance(item, dict):
            for key, child in item.items():
                if key.startswith("$"):
                    raise HttpError(400, "INVALID_KEY", f"The key {where}{key!r} starts with '$'; "
                                    "no field of this API does.")
                stack.append((child, depth + 1, f"{where}{key}."))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, where) for child in item)


def read_bytes(request, limit):
    """The raw body, at most ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise HttpError(413, "BODY_TOO_LARGE", f"The body is larger than {limit} bytes.")
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise HttpError(413, "BODY_TOO_LARGE", f"The body is larger than {limit} bytes.")
    return raw


def read_json(request):
    """The request's JSON body, or an :class:`HttpError` saying what is wrong with it."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json":
        raise HttpError(415, "UNSUPPORTED_MEDIA_TYPE",
                        "Send the body as JSON with the header Content-Type: application/json.")
    raw = read_bytes(request, MAX_BODY_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "INVALID_UTF8", "The body is not valid UTF-8 text.")
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise HttpError(400, "MALFORMED_JSON", f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    except ValueError as exc:
        raise HttpError(400, "MALFORMED_JSON", f"The body is not valid JSON: {exc}.")
    _check_structure(body, MAX_JSON_DEPTH)
    return body


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def call(method, *args, timeout=10.0, **kwargs):
    """An RPC call that gives up after ``timeout`` seconds instead of hanging the request."""
    reply = method.call_async(*args, **kwargs)
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
    except eventlet.Timeout:
        raise HttpError(503, "SERVICE_UNAVAILABLE",
                        "A service did not answer in time; the request may be retried.")


def check_body(body, schema_name):
    """``body`` if it has the shape of its schema, else 422 naming every misplaced field."""
    problems = {}
    for error in VALIDATORS[schema_name].iter_errors(body):
        where = ".".join(str(p) for p in error.absolute_path) or "body"
        problems.setdefault(where, error.message[:300])
    if problems:
        listed = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        raise HttpError(422, "VALIDATION_FAILED", f"The body does not have the expected shape: {listed}.",
                        {"fields": problems})
    return body


CORS_HEADERS = "Content-Type, Authorization, Idempotency-Key, X-Correlation-Id, X-Filename"


def allowed_origins(config):
    return {o.strip() for o in str(config.get("CORS_ORIGINS") or "").split(",") if o.strip()}


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


def endpoint(body=None, status=200, query=(), upload=False, download=False):
    """Wraps a gateway handler: checks its JSON body against ``schemas.SCHEMAS[body]`` (and
    passes it on), answers ``status`` with the handler's result as JSON, and maps every
    failure to a JSON error, never a bare 500. The arguments also describe the operation
    in the OpenAPI document."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            return cors(answer(self, request, *args, **kwargs), request, self.config)

        def answer(self, request, *args, **kwargs):
            cid = self.correlation_id
            try:
                if body is not None:
                    kwargs["body"] = check_body(read_json(request), body)
                result = handler(self, request, *args, **kwargs)
                if isinstance(result, Response):  # a file, not JSON
                    result.headers[correlation.HEADER] = cid
                    return secure(result)
                return json_response(result, status, cid)
            except HttpError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.details, cid)
            except DomainError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.details, cid)
            except RemoteError as exc:
                log.error("unexpected remote error %s: %s", exc.exc_type, exc.value)
                return error_response(502, "UPSTREAM_ERROR", "A service failed to handle the request; "
                                      "it has been logged with the correlation id.", cid=cid)
            except UnknownService as exc:
                return error_response(503, "SERVICE_UNAVAILABLE", f"{exc} is not running; try again shortly.",
                                      cid=cid)
            except Exception:
                log.exception("unhandled error in %s", handler.__name__)
                return error_response(500, "INTERNAL_ERROR", "Unexpected error; it has been logged with the "
                                      "correlation id.", cid=cid)

        wrapper.operation = {"body": body, "status": status, "query": query, "upload": upload,
                             "download": download, "summary": (handler.__doc__ or handler.__name__.replace("_", " ")).strip()}
        return wrapper

    return decorate
