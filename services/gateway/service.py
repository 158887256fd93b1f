"""The gateway: the platform's only public surface (JSON API under /api/v1, /health).

It holds no business rules: it reads and checks the HTTP request, calls the
services over RPC, and maps their domain errors to HTTP answers.

Until accounts and tokens exist, a caller names itself with the ``X-Actor`` header
(a person id); the submissions service looks the person up and checks their role and
unit on every call.
"""
import base64
import time
from collections import defaultdict, deque
from urllib.parse import quote, unquote

import eventlet
import pymongo
from kombu import Connection
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from services.gateway import exports, openapi, web
from services.gateway.api import (HttpError, call, endpoint, error_response, json_response, preflight, read_bytes,
                                  secure)
import thidua.criterion_types as criterion_types
from thidua import tokens
from thidua.security import StartupChecks, demo_mode
from thidua.correlation import CorrelationId
from thidua.errors import DomainError

SERVICES = ("submissions", "ranking", "notifications")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
API = "/api/v1"


_login_attempts = defaultdict(deque)   # address -> times of recent login attempts (this process)


def idempotency_key(request):
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise HttpError(400, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 1 to 200 characters.")
    return key


def int_arg(request, name, default, low, high):
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise HttpError(400, "INVALID_QUERY", f"{name} must be a whole number from {low} to {high}.")
    return value


class GatewayService:
    name = "gateway"

    submissions = RpcProxy("submissions")
    ranking = RpcProxy("ranking")
    notifications = RpcProxy("notifications")
    correlation_id = CorrelationId()
    config = Config()
    startup_checks = StartupChecks()

    def actor(self, request):
        """Who is calling: the person of a valid access token; in demo mode, the ``X-Actor``
        header may name them instead; otherwise nobody (the services refuse changes)."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer tdk_"):   # a machine client's API token
            token = header[7:].strip()
            try:
                return {"id": call(self.submissions.api_token_owner, token), "api_token": token,
                        "address": request.remote_addr}
            except DomainError:
                raise HttpError(401, "INVALID_TOKEN", "This API token is not valid (unknown or revoked).")
        if header.startswith("Bearer "):
            try:
                claims = tokens.verify(self.config["TOKEN_SECRET"], header[7:].strip(), "access", time.time())
            except tokens.TokenInvalid:
                raise HttpError(401, "INVALID_TOKEN", "The access token is not valid (altered, expired or not "
                                "for this API); sign in again.")
            if not call(self.submissions.session_active, claims["sid"]):
                raise HttpError(401, "INVALID_TOKEN", "This session has ended; sign in again.")
            return {"id": claims["sub"], "session": claims["sid"], "token": header[7:].strip(),
                    "address": request.remote_addr}
        named = request.headers.get("X-Actor") if demo_mode(self.config) else None
        return {"id": named, "address": request.remote_addr}

    def _tokens(self, person, session):
        now = time.time()
        secret = self.config["TOKEN_SECRET"]
        access = int(self.config.get("ACCESS_TOKEN_SECONDS", 900))
        return {"access_token": tokens.issue(secret, person, session, "access", now, access),
                "refresh_token": tokens.issue(secret, person, session, "refresh", now,
                                              int(self.config.get("REFRESH_TOKEN_SECONDS", 43200))),
                "token_type": "Bearer", "expires_in": access}

    # --- signing in -------------------------------------------------------------------------

    @http("POST", f"{API}/auth/login")
    @endpoint(body="Login")
    def login(self, request, body):
        address = request.remote_addr or "?"
        recent = _login_attempts[address]
        now = time.monotonic()
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= int(self.config.get("LOGIN_ATTEMPTS_PER_MINUTE", 10)):
            raise HttpError(429, "RATE_LIMITED", "Too many sign-in attempts from this address; wait a minute.")
        recent.append(now)
        signed_in = call(self.submissions.login, body["person"], body["password"], address)
        return {**self._tokens(body["person"], signed_in["session"]), "person": signed_in["person"]}

    @http("POST", f"{API}/auth/refresh")
    @endpoint(body="Refresh")
    def refresh(self, request, body):
        try:
            claims = tokens.verify(self.config["TOKEN_SECRET"], body["refresh_token"], "refresh", time.time())
        except tokens.TokenInvalid:
            raise HttpError(401, "INVALID_TOKEN", "The refresh token is not valid; sign in again.")
        if not call(self.submissions.session_active, claims["sid"]):
            raise HttpError(401, "INVALID_TOKEN", "This session has ended; sign in again.")
        return self._tokens(claims["sub"], claims["sid"])

    @http("POST", f"{API}/auth/logout")
    @endpoint(body="Empty")
    def logout(self, request, body):
        me = self.actor(request)
        if not me.get("session"):
            raise HttpError(401, "UNAUTHENTICATED", "Sign out with the access token of the session to end.")
        return call(self.submissions.logout, me["session"], me)

    @http("POST", f"{API}/api-tokens")
    @endpoint(body="ApiToken", status=201)
    def create_api_token(self, request, body):
        return call(self.submissions.create_api_token, body["person"], body["name"], self.actor(request))

    @http("POST", f"{API}/api-tokens/<string:token_id>/revoke")
    @endpoint(body="Empty")
    def revoke_api_token(self, request, token_id, body):
        return call(self.submissions.revoke_api_token, token_id, self.actor(request))

    @http("PUT", f"{API}/people/<string:person>/password")
    @endpoint(body="Password")
    def set_password(self, request, person, body):
        return call(self.submissions.set_password, person, body["password"], self.actor(request))

    # --- reference data (administrator, standing office) --------------------------------

    @http("GET", f"{API}/units")
    @endpoint()
    def list_units(self, request):
        return {"items": call(self.submissions.list_units)}

    @http("POST", f"{API}/units")
    @endpoint(body="Unit")
    def upsert_unit(self, request, body):
        return call(self.submissions.upsert_unit, body, self.actor(request))

    @http("POST", f"{API}/clusters")
    @endpoint(body="Cluster")
    def upsert_cluster(self, request, body):
        return call(self.submissions.upsert_cluster, body, self.actor(request))

    @http("GET", f"{API}/clusters")
    @endpoint()
    def list_clusters(self, request):
        return {"items": call(self.submissions.list_clusters)}

    @http("GET", f"{API}/clusters/<string:cluster>")
    @endpoint()
    def get_cluster(self, request, cluster):
        return call(self.submissions.get_cluster, cluster)

    @http("GET", f"{API}/me")
    @endpoint()
    def whoami(self, request):
        """The signed-in person and the clusters their unit takes part in."""
        return call(self.submissions.me, self.actor(request))

    @http("POST", f"{API}/people")
    @endpoint(body="Person")
    def upsert_person(self, request, body):
        return call(self.submissions.upsert_person, body, self.actor(request))

    @http("POST", f"{API}/templates")
    @endpoint(body="Template", status=201)
    def publish_template(self, request, body):
        return call(self.submissions.publish_template, body, self.actor(request),
                         idempotency_key(request))

    @http("GET", f"{API}/criterion-types")
    @endpoint()
    def list_criterion_types(self, request):
        """The criterion types (settings, value shape, score range, texts): the pages build their inputs from it."""
        return criterion_types.document()

    @http("GET", f"{API}/templates/<string:template_id>")
    @endpoint(query=("version",))
    def get_template(self, request, template_id):
        version = int_arg(request, "version", None, 1, 10_000)
        return call(self.submissions.get_template, template_id, version)

    @http("GET", f"{API}/periods")
    @endpoint()
    def list_periods(self, request):
        return {"items": call(self.submissions.list_periods)}

    @http("POST", f"{API}/periods")
    @endpoint(body="Period")
    def plan_period(self, request, body):
        return call(self.submissions.plan_period, body, self.actor(request))

    @http("POST", f"{API}/periods/<string:period>/transitions")
    @endpoint(body="PeriodTransition")
    def transition_period(self, request, period, body):
        return call(self.submissions.transition_period, period, body["action"], body.get("version"),
                         self.actor(request))

    # --- reports ---------------------------------------------------------------------------

    @http("POST", f"{API}/reports")
    @endpoint(body="ReportCreate", status=201)
    def submit_report(self, request, body):
        return call(self.submissions.submit_report, body, self.actor(request), idempotency_key(request))

    @http("GET", f"{API}/reports")
    @endpoint(query=("cluster", "period", "unit", "limit"))
    def list_reports(self, request):
        args = request.args
        return {"items": call(self.submissions.list_reports, args.get("cluster"), args.get("period"),
                              args.get("unit"), int_arg(request, "limit", 200, 1, 1000), self.actor(request))}

    @http("GET", f"{API}/reports/<string:report_id>")
    @endpoint()
    def get_report(self, request, report_id):
        return call(self.submissions.get_report, report_id, self.actor(request))

    @http("PUT", f"{API}/reports/<string:report_id>")
    @endpoint(body="ReportUpdate")
    def update_report(self, request, report_id, body):
        return call(self.submissions.update_report, report_id, body, self.actor(request))

    @http("POST", f"{API}/reports/<string:report_id>/<string:action>")
    @endpoint(body="ReportAction")
    def act_on_report(self, request, report_id, action, body):
        return call(self.submissions.act_on_report, report_id, action, body, self.actor(request),
                         idempotency_key(request))

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/summary")
    @endpoint()
    def cluster_summary(self, request, cluster, period):
        return call(self.submissions.cluster_summary, cluster, period)

    # --- evidence files ---------------------------------------------------------------

    @http("POST", f"{API}/units/<string:unit>/evidence")
    @endpoint(status=201, upload=True)
    def store_evidence(self, request, unit):
        name = unquote(request.headers.get("X-Filename", ""))
        data = read_bytes(request, MAX_EVIDENCE_BYTES)
        return call(self.submissions.store_evidence, unit, name, request.mimetype,
                         base64.b64encode(data).decode(), self.actor(request), timeout=30.0)

    @http("GET", f"{API}/evidence/<string:file_id>")
    @endpoint(download=True)
    def get_evidence(self, request, file_id):
        found = call(self.submissions.get_evidence, file_id, timeout=30.0)
        response = Response(base64.b64decode(found["data_base64"]), mimetype=found["content_type"])
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found['name'])}"
        return response

    # --- votes -----------------------------------------------------------------------------

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/vote")
    @endpoint()
    def vote_status(self, request, cluster, period):
        return call(self.submissions.vote_status, cluster, period)

    @http("POST", f"{API}/clusters/<string:cluster>/periods/<string:period>/vote/open")
    @endpoint()
    def open_vote(self, request, cluster, period):
        return call(self.submissions.open_vote, cluster, period, self.actor(request))

    @http("POST", f"{API}/clusters/<string:cluster>/periods/<string:period>/vote/close")
    @endpoint()
    def close_vote(self, request, cluster, period):
        return call(self.submissions.close_vote, cluster, period, self.actor(request))

    @http("POST", f"{API}/clusters/<string:cluster>/periods/<string:period>/vote/ballots")
    @endpoint(body="Ballot", status=201)
    def cast_ballot(self, request, cluster, period, body):
        return call(self.submissions.cast_ballot, cluster, period, body, self.actor(request),
                         idempotency_key(request))

    # --- ranking, inbox, audit ----------------------------------------------------------------

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/ranking")
    @endpoint(query=("version",))
    def get_ranking(self, request, cluster, period):
        version = int_arg(request, "version", None, 1, 10**9)
        return call(self.ranking.get_ranking, cluster, period, version)

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/ranking.xlsx")
    @endpoint(query=("version",), download=True)
    def ranking_workbook(self, request, cluster, period):
        """The ranking table as an Excel file."""
        version = int_arg(request, "version", None, 1, 10**9)
        ranking = call(self.ranking.get_ranking, cluster, period, version)
        periods = {p["id"]: p for p in call(self.submissions.list_periods)}
        template = call(self.submissions.get_template, ranking["template"]["id"], ranking["template"]["version"])
        data = exports.ranking_workbook(
            ranking, periods.get(period, {}).get("label", period),
            {g["code"]: g["name"] for g in template.get("groups", [])},
            template.get("classification", {}).get("levels"))
        response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        name = f"xep-hang-{cluster}-{period}-v{ranking['version']}.xlsx"
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/ranking/units/<string:unit>")
    @endpoint(query=("version",))
    def unit_breakdown(self, request, cluster, period, unit):
        version = int_arg(request, "version", None, 1, 10**9)
        return call(self.ranking.unit_breakdown, cluster, period, unit, version)

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/ranking/history")
    @endpoint()
    def ranking_history(self, request, cluster, period):
        return {"items": call(self.ranking.history, cluster, period)}

    @http("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/ranking/diff")
    @endpoint(query=("from", "to"))
    def ranking_diff(self, request, cluster, period):
        version_from = int_arg(request, "from", None, 1, 10**9)
        version_to = int_arg(request, "to", None, 1, 10**9)
        if version_from is None or version_to is None:
            raise HttpError(400, "INVALID_QUERY", "Give both versions: ?from=1&to=2.")
        return call(self.ranking.compare, cluster, period, version_from, version_to)

    @http("GET", f"{API}/clusters/<string:cluster>/years/<int:year>/ranking")
    @endpoint()
    def year_ranking(self, request, cluster, year):
        return call(self.ranking.year_ranking, cluster, year)

    @http("GET", f"{API}/units/<string:unit>/trend")
    @endpoint(query=("year",))
    def unit_trend(self, request, unit):
        year = int_arg(request, "year", None, 2000, 2100)
        if year is None:
            raise HttpError(400, "INVALID_QUERY", "Give the year: ?year=2021.")
        return call(self.ranking.unit_trend, unit, year)

    @http("GET", f"{API}/people/<string:person>/inbox")
    @endpoint(query=("unread", "limit"))
    def get_inbox(self, request, person):
        unread_only = request.args.get("unread") in ("1", "true")
        limit = int_arg(request, "limit", 50, 1, 200)
        return call(self.notifications.inbox, person, unread_only=unread_only, limit=limit,
                    actor=self.actor(request))

    @http("GET", f"{API}/audit")
    @endpoint(query=("service", "unit", "period", "actor", "entity", "entity_id", "limit"))
    def get_audit(self, request):
        """The audit trail of one service (submissions by default; ranking, notifications)."""
        args = request.args
        service = args.get("service", "submissions")
        if service not in SERVICES:
            raise HttpError(400, "INVALID_QUERY", f"service is one of {', '.join(SERVICES)}.")
        return {"items": call(getattr(self, service).audit_trail, args.get("unit"), args.get("period"),
                              args.get("actor"), args.get("entity"), args.get("entity_id"),
                              int_arg(request, "limit", 100, 1, 500))}

    @http("POST", f"{API}/people/<string:person>/inbox/<string:notice>/read")
    @endpoint(body="Empty")
    def mark_read(self, request, person, notice, body):
        return call(self.notifications.mark_read, person, notice, self.actor(request))

    @http("GET", f"{API}/people/<string:person>/preferences")
    @endpoint()
    def get_preferences(self, request, person):
        return call(self.notifications.get_preferences, person, self.actor(request))

    @http("PUT", f"{API}/people/<string:person>/preferences")
    @endpoint(body="Preferences")
    def set_preferences(self, request, person, body):
        return call(self.notifications.set_preferences, person, body, self.actor(request))

    @http("POST", f"{API}/webhooks")
    @endpoint(body="Webhook", status=201)
    def add_webhook(self, request, body):
        return call(self.notifications.add_webhook, body, self.actor(request))

    @http("GET", f"{API}/notices/failed")
    @endpoint()
    def failed_notices(self, request):
        return {"items": call(self.notifications.failed_notices, self.actor(request))}

    @http("GET", f"{API}/notices/<string:notice>/deliveries")
    @endpoint()
    def notice_deliveries(self, request, notice):
        return {"items": call(self.notifications.notice_deliveries, notice, self.actor(request))}

    @http("POST", f"{API}/notices/<string:notice>/retry")
    @endpoint()
    def retry_notice(self, request, notice):
        return call(self.notifications.retry_notice, notice, self.actor(request))

    @http("OPTIONS", f"{API}/<path:anything>")
    def cors_preflight(self, request, anything):
        return preflight(request, self.config)

    @http("GET", f"{API}/openapi.json")
    def openapi_document(self, request):
        return json_response(_openapi(), 200, self.correlation_id)

    @http("GET", f"{API}/docs")
    def openapi_page(self, request):
        response = secure(Response(openapi.html(_openapi()), mimetype="text/html"))
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response

    # --- the web pages ---------------------------------------------------------------------

    @http("GET", "/")
    def home(self, request):
        return page_response(request)

    @http("GET", f"/<any({', '.join(repr(p) for p in web.PAGES)}):page>")
    def page(self, request, page):
        return page_response(request)

    @http("GET", "/static/<path:name>")
    def static_file(self, request, name):
        found = web.asset(name)
        if found is None or name == "index.html":
            return error_response(404, "NOT_FOUND", f"No file {name!r} is served here.")
        return file_response(request, *found)

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


_document = []


def _openapi():
    if not _document:
        _document.append(openapi.document(GatewayService))
    return _document[0]


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
