"""The submissions service: the system of record for units, clusters, people, periods,
criteria templates, reports, votes and the audit trail.

Each concern is a module of its own under ``entrypoints/`` (identity and accounts, the
directory, reference data, each cluster's run of a period, reports, evidence, voting), composed here into one nameko
service with one database. They stay one service because a report is checked against
its unit, the unit's cluster, the period and the person acting, inside the same
transaction that stores it; split into services, each would need its own copy of the
directory and a saga to undo a report whose unit changed meanwhile. RPC names are
those of the single class they came from.

Every state change goes through the unit of work (``thidua.uow``): the change, its
audit entry and its events in one transaction (transactional outbox), which the relay
publishes. The rules live in the pure domain core (``domain/``, ``lifecycle``,
``reports``, ``reference``, ``voting``, ``evidence``, ``thidua.criteria``); the caller is
resolved from the request's context (``thidua.caller``) by :func:`entrypoints.identity.resolve`.
"""
from nameko.dependency_providers import Config

from services.submissions import store
# Modules, not their classes: `nameko run services.submissions.service` takes every class with
# entrypoints in this module's namespace for a service of its own.
from services.submissions.entrypoints import (common, directory, evidence, identity, proposals, reference_data,
                                              reports, runs, voting)
from thidua import audit, kept, outbox
from thidua.caller import CallerProvider
from thidua.correlation import CorrelationId
from thidua.metrics import Metrics
from thidua.mongo import Mongo
from thidua import rpc as shared_rpc
from thidua.security import StartupChecks
from thidua.settings import SettingsProvider
from thidua.uow import Work


class SubmissionsService(identity.Identity, directory.Directory, reference_data.ReferenceData, runs.Runs,
                         reports.Reports, evidence.Evidence, voting.Voting, proposals.Proposals, common.Common,
                         shared_rpc.Operations):
    name = "submissions"

    db = Mongo(indexes=store.ensure_indexes)
    relay = outbox.Relay()
    correlation_id = CorrelationId()
    config = Config()
    settings = SettingsProvider()   # read once at start, like the gateway's
    startup_checks = StartupChecks(events=True, ballots=True)
    caller = CallerProvider(identity.resolve)
    uow = Work(marked=store.KEPT)
    remembered = kept.KeptReads()   # what a hand-in reads, kept while unchanged (store.KEPT)
    metrics = Metrics(store.reporting_readings)   # /metrics on METRICS_PORT; the outbox's come with the relay

