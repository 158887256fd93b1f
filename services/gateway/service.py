"""The gateway: the platform's only public surface (JSON API under /api/v1, the web pages, /health).

It holds no business rules: it reads and checks the HTTP request, calls the services over
RPC, and maps their domain errors to HTTP answers. Its routes live in ``routes/``, one
module per concern; each is a ``@route`` of :mod:`services.gateway.entrypoint`.

A caller proves who they are with a signed access token or an API token (``Authorization:
Bearer …``); only in demo mode may the ``X-Actor`` header name them instead. A route that
acts for its caller (``caller=True``) puts that credential into the worker's context, so it
travels with every RPC call as the correlation id does; the services resolve it into a
person with a role and a unit (``thidua.caller``) and check what that person may do.
"""
from nameko.dependency_providers import Config

from services.gateway.routes import auth, meeting, notices, ranking, reference, reports, site, votes
from thidua.caller import Forward
from thidua.correlation import CorrelationId
from thidua.metrics import Metrics
from thidua.rpc import RpcProxy   # nameko's, its replies steady across a broker restart, in a quorum queue
from thidua.security import StartupChecks
from thidua.settings import SettingsProvider


class GatewayService(auth.Auth, reference.Reference, reports.Reports, votes.Votes, ranking.Ranking,
                     notices.Notices, meeting.Meeting, site.Site):
    name = "gateway"

    submissions = RpcProxy("submissions")
    ranking = RpcProxy("ranking")
    notifications = RpcProxy("notifications")
    correlation_id = CorrelationId()
    forward_caller = Forward()   # a route's credential travels with each RPC call (``caller=True``)
    config = Config()
    settings = SettingsProvider()
    startup_checks = StartupChecks(ballots=True)
    metrics = Metrics()   # /metrics on METRICS_PORT
