"""The gateway's one HTTP entrypoint: a route carries what it reads and what it answers.

``@route("POST", "/api/v1/reports", body="ReportCreate", status=201)`` says it all: the body
schema (checked before any worker starts, passed on as ``body``), the query parameters (parsed
and passed on as ``query``), the success status. Every route under ``/api/v1`` acts for a
signed-in caller unless it says ``public=True`` (signing in, the API's own document): the
service's ``credential(request)`` is checked and forwarded before the handler runs, a missing
credential refused with 401 UNAUTHENTICATED and a bad token with 401 INVALID_TOKEN; a route that
checks its own token says ``caller=False``. Every failure becomes the JSON error of its code in
``thidua.errors``, never a bare 500 page, and so does a path or method no route matches under
``/api/v1`` (the site's pages keep werkzeug's plain 404). The OpenAPI document is read from the
same routes, so it cannot drift from them.
"""
import functools
import inspect
import logging
import re
import time
from functools import partial

import eventlet
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from kombu.exceptions import ConnectionError as AmqpConnectionError
from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Request, Response

from services.gateway.api import API, call, check_body, cors, error_response, json_response, read_json, secure
from thidua import correlation, metrics
from thidua.errors import (DomainError, InternalError, InvalidQuery, MethodNotSupported, NotFound, ServiceUnavailable,
                          Unauthenticated, UpstreamError)
from thidua.messaging import CONNECTION_ERRORS
from thidua.rpc import DEADLINE_KEY
from thidua.settings import Gateway

log = logging.getLogger(__name__)


class Query:
    """One query parameter: how it is read, and how the OpenAPI document describes it."""
    schema = {"type": "string", "maxLength": 64}

    def __init__(self, default=None, missing=None):
        self.default, self.missing = default, missing   # ``missing``: the message when it is required

    def read(self, name, raw):
        if raw is None:
            if self.missing:
                raise InvalidQuery(self.missing)
            return self.default
        return self.convert(name, raw)

    def convert(self, name, raw):
        return raw


class Int(Query):
    def __init__(self, low, high, default=None, missing=None):
        super().__init__(default, missing)
        self.low, self.high = low, high
        self.schema = {"type": "integer", "minimum": low, "maximum": high}

    def convert(self, name, raw):
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not self.low <= value <= self.high:
            raise InvalidQuery(f"{name} must be a whole number from {self.low} to {self.high}.")
        return value


class Flag(Query):
    """``1`` or ``true`` is yes; anything else, no."""

    def __init__(self):
        super().__init__(default=False)

    def convert(self, name, raw):
        return raw in ("1", "true")


class Choice(Query):
    def __init__(self, choices, default):
        super().__init__(default)
        self.choices = tuple(choices)
        self.schema = {"type": "string", "enum": list(self.choices)}

    def convert(self, name, raw):
        if raw not in self.choices:
            raise InvalidQuery(f"{name} is one of {', '.join(self.choices)}.")
        return raw


SIGN_IN = "Sign in first (POST /api/v1/auth/login) and send the access token: Authorization: Bearer <token>."


def acts_for_caller(url, caller=None, public=False):
    """Whether a route checks and forwards its caller's credential: every ``/api/v1`` route
    does unless it is public or checks its own token (``caller=False``)."""
    if caller is not None:
        return caller
    return url.startswith(API + "/") and not public


class ApiServer(WebServer):
    """nameko's web server, answering a path or method that no route matches under ``/api/v1``
    with the JSON error of its code, as every other refusal of the API. It also holds what all
    routes share: the request deadline and the count of requests in flight, bounded by the
    gateway's workers (``GATEWAY_MAX_WORKERS``): a request waits in line for a worker at most
    ``GATEWAY_ADMISSION_SECONDS`` (part of its deadline), then a full gateway answers 503
    rather than queueing requests past their deadline."""

    def setup(self):
        super().setup()
        settings = Gateway.of(self.container.config)
        self.deadline, self.admission = settings.deadline_seconds, settings.admission_seconds
        self.in_flight = Semaphore(self.container.max_workers)

    def get_wsgi_app(self):
        return JsonWsgiApp(self)


class JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        try:
            provider, request.path_values = self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            answer = unmatched(request, exc, self.server.container.config)
        else:
            answer = provider.handle_request(request)
        return answer(environ, start_response)


def unmatched(request, exc, config):
    """werkzeug's 404 or 405 as the API's JSON error; the site's pages keep their own."""
    if not request.path.startswith(API + "/") or exc.code not in (404, 405):
        return exc
    allowed = sorted(set(getattr(exc, "valid_methods", None) or ()) - {"OPTIONS", "HEAD"})
    cid = correlation.accept(request.headers.get(correlation.HEADER))
    if isinstance(exc, MethodNotAllowed) and allowed:   # every path matches the CORS preflight: not a 405
        error = MethodNotSupported(f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}.",
                                   {"allowed": allowed})
    else:
        error = NotFound(f"No operation of the API has the path {request.path}; see /api/v1/docs.")
    response = cors(error_response(error.status, error.code, error.message, error.details, cid), request, config)
    if error.status == 405:
        response.headers["Allow"] = ", ".join(allowed)
    return response


class GatewayEntrypoint(HttpRequestHandler):
    """A route of the gateway (see the module's docstring). ``listed=False`` keeps a route
    (pages, health, the document itself) out of the OpenAPI document."""
    server = ApiServer()

    def __init__(self, method, url, body=None, status=200, query=None, caller=None, public=False, upload=False,
                 download=False, listed=True, deadline=None, **kwargs):
        self.body, self.status, self.query = body, status, dict(query or {})
        self.deadline = deadline   # seconds, for a route that needs longer than GATEWAY_DEADLINE_SECONDS
        self.caller, self.public = acts_for_caller(url, caller, public), public
        self.upload, self.download, self.listed = upload, download, listed
        super().__init__(method, url, expected_exceptions=DomainError, **kwargs)

    @classmethod
    def decorator(cls, method, url, *args, **kwargs):
        register = super().decorator(method, url, *args, **kwargs)
        if not acts_for_caller(url, kwargs.get("caller"), kwargs.get("public", False)):
            return register

        def acting(handler):
            @functools.wraps(handler)
            def for_the_caller(service, request, *args, **kwargs):
                claimed = service.credential(request)
                if not claimed.get("id"):
                    raise Unauthenticated(SIGN_IN)
                service.forward_caller(claimed)
                return handler(service, request, *args, **kwargs)
            return register(for_the_caller)
        return acting

    def get_entrypoint_parameters(self, request):
        args, kwargs = super().get_entrypoint_parameters(request)
        kwargs = dict(kwargs)
        if self.body is not None:
            kwargs["body"] = check_body(read_json(request), self.body)
        if self.query:
            kwargs["query"] = {name: kind.read(name, request.args.get(name)) for name, kind in self.query.items()}
        return args, kwargs

    def handle_request(self, request):
        request.shallow = False
        started = time.monotonic()
        cid = correlation.accept(request.headers.get(correlation.HEADER))
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            response = self.response_from_result(self.run_within_deadline(args, kwargs, cid), cid)
        except Exception as exc:
            response = self.response_from_exception(exc, cid)
        metrics.answered(request.method, self.url, response.status_code, started)   # the route, not the path
        return cors(response, request, self.container.config)

    def run_within_deadline(self, args, kwargs, cid):
        """The worker's result, or 503 once the request's deadline has passed; 503 when every worker
        stayed busy for the admission wait. The deadline counts from the request's arrival and travels
        in the context, so the wait in line and each RPC call take only what is left of it."""
        seconds, arrived = self.deadline or self.server.deadline, time.monotonic()
        admission = min(self.server.admission, seconds)
        if not self.server.in_flight.acquire(blocking=admission > 0, timeout=admission if admission > 0 else None):
            raise ServiceUnavailable(f"The gateway is answering as many requests as it can; try again shortly{AGAIN}.")
        seconds -= time.monotonic() - arrived
        done = Event()
        context = {correlation.KEY: cid, DEADLINE_KEY: time.time() + seconds}
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context,
                                        handle_result=partial(self.handle_result_in_flight, done))
        except BaseException:
            self.server.in_flight.release()
            raise
        late = ServiceUnavailable(f"The request did not finish within {seconds:g} s; try again shortly{AGAIN}.")
        with eventlet.Timeout(seconds, late):
            return done.wait()

    def handle_result_in_flight(self, done, worker_ctx, result, exc_info):
        self.server.in_flight.release()   # the worker is done, answered in time or not
        return self.handle_result(done, worker_ctx, result, exc_info)

    def response_from_result(self, result, cid=None):
        if isinstance(result, Response):   # a file, a page or an answer with its own status
            result.headers.setdefault(correlation.HEADER, cid)
            return secure(result)
        return json_response(result, self.status, cid)

    def response_from_exception(self, exc, cid=None):
        error = refusal(exc, self.method_name)
        response = error_response(error.status, error.code, error.message, error.details, cid)
        if error.status == 503:
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response


# An outage is not a fault of the request: 503 with Retry-After, and a write may be sent again.
DATABASE_OUTAGES = {"ServerSelectionTimeoutError", "AutoReconnect", "NetworkTimeout", "ConnectionFailure",
                    "NotPrimaryError", "WaitQueueTimeoutError"}
BROKER_OUTAGES = (*CONNECTION_ERRORS, AmqpConnectionError)
AGAIN = " (a change: send it again with the same Idempotency-Key, it will not be made twice)"
RETRY_AFTER_SECONDS = "5"


def refusal(exc, where):
    """The error of the table that answers ``exc``; anything unforeseen is logged here."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, UnknownService):
        return ServiceUnavailable(f"{exc} is not running; try again shortly.")
    if isinstance(exc, RemoteError) and exc.exc_type in DATABASE_OUTAGES:
        return ServiceUnavailable(f"The database does not answer; try again shortly{AGAIN}.")
    if isinstance(exc, BROKER_OUTAGES):
        return ServiceUnavailable(f"The message broker does not answer; try again shortly{AGAIN}.")
    if isinstance(exc, RemoteError):
        log.error("unexpected remote error in %s: %s %s", where, exc.exc_type, exc.value)
        return UpstreamError("A service failed to handle the request; it has been logged with the correlation id.")
    log.error("unhandled error in %s", where, exc_info=exc)
    return InternalError("Unexpected error; it has been logged with the correlation id.")


route = GatewayEntrypoint.decorator
PATH_VALUE = re.compile(r"<(?:[^<>]*:)?(\w+)>")


def forward(method, url, target, summary, listing=False, **options):
    """A route that is one RPC and nothing else, said in one line:
    ``list_units = forward("GET", UNITS, "submissions.list_units", "The units.", listing=True)``.
    The RPC gets the route's path values in order, then its body when it has one; a listing
    answers ``{"items": [...]}``. Anything more (a query, a header, a field of the body) is a
    route method of its own."""
    service, rpc_name = target.split(".")
    names = PATH_VALUE.findall(url) + (["body"] if options.get("body") else [])

    def handler(self, request, *args, **kwargs):
        given = {**dict(zip(names, args)), **kwargs}
        result = call(getattr(getattr(self, service), rpc_name), *(given[name] for name in names))
        return {"items": result} if listing else result

    handler.__doc__ = summary
    handler.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in ("self", "request", *names)])
    return route(method, url, **options)(handler)
