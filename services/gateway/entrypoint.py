"""The gateway's one HTTP entrypoint: a route carries what it reads and what it answers.

``@route("POST", "/api/v1/reports", body="ReportCreate", status=201, caller=True)`` says it
all: the body schema (checked before any worker starts, passed on as ``body``), the query
parameters (parsed and passed on as ``query``), the success status, and whether the caller's
credential travels with the worker's RPC calls (``caller=True``: the service's
``credential(request)`` is forwarded before the handler runs, a bad token refused with 401). Every failure becomes the JSON error of its
code in ``thidua.errors``, never a bare 500 page. The OpenAPI document is read from the same
routes, so it cannot drift from them.
"""
import functools
import logging
from functools import partial

from eventlet.event import Event
from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from services.gateway.api import check_body, cors, error_response, json_response, read_json, secure
from thidua import correlation
from thidua.errors import DomainError, InternalError, InvalidQuery, ServiceUnavailable, UpstreamError

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


class GatewayEntrypoint(HttpRequestHandler):
    """A route of the gateway (see the module's docstring). ``listed=False`` keeps a route
    (pages, health, the document itself) out of the OpenAPI document."""

    def __init__(self, method, url, body=None, status=200, query=None, caller=False, upload=False,
                 download=False, listed=True, **kwargs):
        self.body, self.status, self.query, self.caller = body, status, dict(query or {}), caller
        self.upload, self.download, self.listed = upload, download, listed
        super().__init__(method, url, expected_exceptions=DomainError, **kwargs)

    @classmethod
    def decorator(cls, *args, **kwargs):
        register = super().decorator(*args, **kwargs)
        if not kwargs.get("caller"):
            return register

        def acting(handler):
            @functools.wraps(handler)
            def for_the_caller(service, request, *args, **kwargs):
                service.forward_caller(service.credential(request))
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
        cid = correlation.accept(request.headers.get(correlation.HEADER))
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(self, args, kwargs, context_data={correlation.KEY: cid},
                                        handle_result=partial(self.handle_result, done))
            response = self.response_from_result(done.wait(), cid)
        except Exception as exc:
            response = self.response_from_exception(exc, cid)
        return cors(response, request, self.container.config)

    def response_from_result(self, result, cid=None):
        if isinstance(result, Response):   # a file, a page or an answer with its own status
            result.headers.setdefault(correlation.HEADER, cid)
            return secure(result)
        return json_response(result, self.status, cid)

    def response_from_exception(self, exc, cid=None):
        error = refusal(exc, self.method_name)
        return error_response(error.status, error.code, error.message, error.details, cid)


def refusal(exc, where):
    """The error of the table that answers ``exc``; anything unforeseen is logged here."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, UnknownService):
        return ServiceUnavailable(f"{exc} is not running; try again shortly.")
    if isinstance(exc, RemoteError):
        log.error("unexpected remote error in %s: %s %s", where, exc.exc_type, exc.value)
        return UpstreamError("A service failed to handle the request; it has been logged with the correlation id.")
    log.error("unhandled error in %s", where, exc_info=exc)
    return InternalError("Unexpected error; it has been logged with the correlation id.")


route = GatewayEntrypoint.decorator
