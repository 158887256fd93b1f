"""The gateway: the platform's only public surface (JSON API under /api/v1, /health).

It holds no business rules: it reads and checks the HTTP request, calls the
services over RPC, and maps their domain errors to HTTP answers.
"""
import eventlet
import pymongo
from kombu import Connection
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from nameko.web.handlers import http

from services.gateway.api import HttpError, call, endpoint, json_response, read_json
from thidua.correlation import CorrelationId

ANONYMOUS = "anonymous"  # until accounts and tokens exist, every caller is recorded as this
SERVICES = ("submissions", "ranking", "notifications")


class GatewayService:
    name = "gateway"

    submissions = RpcProxy("submissions")
    ranking = RpcProxy("ranking")
    notifications = RpcProxy("notifications")
    correlation_id = CorrelationId()
    config = Config()

    def _actor(self, request):
        return {"id": ANONYMOUS, "address": request.remote_addr}

    @http("POST", "/api/v1/reports")
    @endpoint
    def submit_report(self, request):
        body = read_json(request)
        report = call(self.submissions.submit_report, body, self._actor(request))
        return 201, report

    @http("GET", "/api/v1/reports/<string:report_id>")
    @endpoint
    def get_report(self, request, report_id):
        report = call(self.submissions.get_report, report_id)
        if report is None:
            raise HttpError(404, "UNKNOWN_REPORT", f"No report has the id {report_id!r}.")
        return 200, report

    @http("GET", "/api/v1/units")
    @endpoint
    def list_units(self, request):
        return 200, {"items": call(self.submissions.list_units)}

    @http("GET", "/api/v1/clusters/<string:cluster>/periods/<string:period>/ranking")
    @endpoint
    def get_ranking(self, request, cluster, period):
        return 200, call(self.ranking.get_ranking, cluster, period)

    @http("GET", "/api/v1/people/<string:person>/inbox")
    @endpoint
    def get_inbox(self, request, person):
        unread_only = request.args.get("unread") in ("1", "true")
        try:
            limit = int(request.args.get("limit", 50))
        except ValueError:
            raise HttpError(400, "INVALID_QUERY", "limit must be a whole number from 1 to 200.")
        return 200, call(self.notifications.inbox, person, unread_only=unread_only, limit=limit)

    @http("GET", "/api/v1/audit")
    @endpoint
    def get_audit(self, request):
        return 200, {"items": call(self.submissions.audit_trail, request.args.get("entity"),
                                   request.args.get("entity_id"))}

    @http("GET", "/health")
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
