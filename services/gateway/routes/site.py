"""What is not the JSON API: the web pages and their files, the API's own document, CORS
preflights and the health check."""
import eventlet
import pymongo
from kombu import Connection
from werkzeug.wrappers import Response

from services.gateway import openapi, web
from services.gateway.api import API, SERVICES, call, json_response, preflight, secure
from services.gateway.entrypoint import route
from thidua.errors import NotFound

PAGES = f"/<any({', '.join(repr(p) for p in web.PAGES)}):page>"


class Site:

    @route("OPTIONS", f"{API}/<path:anything>", public=True, listed=False)
    def cors_preflight(self, request, anything):
        return preflight(request, self.config)

    @route("GET", f"{API}/openapi.json", public=True, listed=False)
    def openapi_document(self, request):
        return json_response(openapi.of(type(self)), 200, self.correlation_id)

    @route("GET", f"{API}/docs", public=True, listed=False)
    def openapi_page(self, request):
        response = secure(Response(openapi.html(openapi.of(type(self))), mimetype="text/html"))
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response

    @route("GET", "/", listed=False)
    def home(self, request):
        return page_response(request)

    @route("GET", PAGES, listed=False)
    def page(self, request, page):
        return page_response(request)

    @route("GET", "/static/<path:name>", listed=False)
    def static_file(self, request, name):
        found = web.asset(name)
        if found is None or name == "index.html":
            raise NotFound(f"No file {name!r} is served here.")
        return file_response(request, *found)

    @route("GET", "/health", listed=False)
    def health(self, request):
        checks = {"broker": _check(lambda: _ping_broker(self.config["AMQP_URI"])),
                  "database": _check(lambda: _ping_database(self.config["MONGO_URI"]))}
        pool = eventlet.GreenPool()  # ask every service at once: a silent one costs 2 s, not 2 s each
        probes = {name: pool.spawn(_check, lambda name=name: call(getattr(self, name).ping, timeout=2.0))
                  for name in SERVICES}
        services = {name: probe.wait() for name, probe in probes.items()}
        healthy = all(c["ok"] for c in checks.values())
        status = "ok" if healthy and all(s["ok"] for s in services.values()) else ("degraded" if healthy else "down")
        return json_response({"status": status, **checks, "services": services},
                             200 if healthy else 503, self.correlation_id)


def page_response(request):
    """Every page is the one shell; its script draws the page the path names."""
    return file_response(request, *web.asset("index.html"), policy=web.PAGE_POLICY)


def file_response(request, data, kind, etag, policy=None):
    """A file of the web table, revalidated on every use (``no-cache`` with its ETag), so a
    new release is seen at once and an unchanged file costs a 304."""
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(data, mimetype=kind)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    if policy:
        response.headers["Content-Security-Policy"] = policy
    return secure(response)


def _check(probe):
    try:
        with eventlet.Timeout(3.0):
            probe()
        return {"ok": True}
    except (Exception, eventlet.Timeout) as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return {"ok": False, "error": message[:200]}


def _ping_broker(uri):
    with Connection(uri, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)


_health_clients = {}


def _ping_database(uri):
    if uri not in _health_clients:
        _health_clients[uri] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)
    _health_clients[uri].admin.command("ping")
