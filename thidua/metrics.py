"""Prometheus metrics: every series of the platform, named once, and their exposition.

Each service declares ``metrics = Metrics()``; when ``METRICS_PORT`` is set (the image sets 9102;
``make run`` and the tests leave it at 0, off, or give each process a port of its own) the
service serves ``/metrics`` on that port. Counters and histograms are updated where things
happen (the gateway's routes, the reliable event handler, a recompute, a delivery). Gauges of
what is stored (the outbox, notices waiting, reports still missing) are read from the database
when Prometheus scrapes, by *readings* the owning code registers (:func:`reading`): nothing is
written to keep them, and a reading that fails is logged and counted, never fatal to the scrape.

README, "Metrics", lists the series with the alerts (``deploy/prometheus/alerts.yml``) and the
dashboard (``deploy/grafana/thidua.json``) that use them.
"""
import logging
import re
import time

import eventlet
from eventlet import wsgi
from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily

from thidua.settings import Logging

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
DELIVERY_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)

# --- the gateway --------------------------------------------------------------------------
HTTP_REQUESTS = Counter("thidua_http_requests_total", "HTTP requests answered by the gateway",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("thidua_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["method", "route"], buckets=LATENCY_BUCKETS)

# --- events (thidua.messaging) ---------------------------------------------------------------
EVENTS_HANDLED = Counter("thidua_events_handled_total", "Events a handler handled successfully",
                         ["queue", "event_type"])
EVENTS_FAILED = Counter("thidua_events_failed_total", "Handler runs that raised", ["queue", "event_type"])
EVENTS_RETRIED = Counter("thidua_events_retried_total", "Failed events sent to a retry queue",
                         ["queue", "event_type"])
EVENTS_DEAD_LETTERED = Counter("thidua_events_dead_lettered_total",
                               "Events parked in a dead-letter queue (refused or out of retries)",
                               ["queue", "event_type"])
HANDLER_SECONDS = Histogram("thidua_event_handler_duration_seconds", "Time a handler took on an event",
                            ["queue", "event_type"], buckets=LATENCY_BUCKETS)

# --- ranking ---------------------------------------------------------------------------------
RECOMPUTE_SECONDS = Histogram("thidua_ranking_recompute_duration_seconds",
                              "Time to bring a cluster's table up to date after an event",
                              buckets=LATENCY_BUCKETS)
CLUSTER_SIZE = Gauge("thidua_ranking_cluster_units", "Units in a cluster's table for a period, at its last recompute",
                     ["cluster", "period"])

# --- notifications ---------------------------------------------------------------------------
DELIVERY_SECONDS = Histogram("thidua_notification_delivery_seconds",
                             "Time from a notice being queued to its successful delivery", ["channel"],
                             buckets=DELIVERY_BUCKETS)
DELIVERY_ATTEMPTS = Counter("thidua_notification_delivery_attempts_total",
                            "Delivery attempts of queued notices, by outcome", ["channel", "outcome"])

EVENT_TYPE = re.compile(r"^[a-z][a-z_.]{0,80}\.v[0-9]{1,3}$")
READING_ERRORS = Counter("thidua_metric_reading_errors_total", "Scrape-time readings that failed", ["metric"])


# Every series the platform exposes (a histogram's _bucket, _count and _sum are its own).
SERIES = ("thidua_http_requests_total", "thidua_http_request_duration_seconds", "thidua_events_handled_total",
          "thidua_events_failed_total", "thidua_events_retried_total", "thidua_events_dead_lettered_total",
          "thidua_event_handler_duration_seconds", "thidua_dead_letters", "thidua_outbox_pending",
          "thidua_outbox_oldest_pending_age_seconds", "thidua_ranking_recompute_duration_seconds",
          "thidua_ranking_cluster_units", "thidua_notifications_pending", "thidua_notifications_failed",
          "thidua_notification_delivery_seconds", "thidua_notification_delivery_attempts_total",
          "thidua_reports_handed_in", "thidua_reports_missing", "thidua_metric_reading_errors_total")


class Readings:
    """The one collector of scrape-time gauges: each registered reading yields ``(labels, value)``
    pairs for its gauge; readings of the same gauge (several containers in one process) are merged
    into one family, as the exposition format requires."""

    def __init__(self):
        self.gauges = {}   # name -> (help, label names, {key: read})

    def add(self, key, name, documentation, labels, read):
        self.gauges.setdefault(name, (documentation, tuple(labels), {}))[2][key] = read

    def remove(self, key):
        for _, _, reads in self.gauges.values():
            reads.pop(key, None)

    def collect(self):
        for name, (documentation, labels, reads) in list(self.gauges.items()):
            family = GaugeMetricFamily(name, documentation, labels=list(labels))
            for read in list(reads.values()):
                try:
                    for values, value in read():
                        family.add_metric([str(v) for v in values], value)
                except Exception:   # the database may be down: the scrape goes on without it
                    log.warning("could not read %s for the metrics", name, exc_info=True)
                    READING_ERRORS.labels(name).inc()
            yield family

    def describe(self):
        return []


READINGS = Readings()
REGISTRY.register(READINGS)


def reading(key, name, documentation, labels, read):
    """Register ``read`` (returning ``[(label values, value), ...]``) as a gauge read at scrape time;
    ``key`` identifies it for :func:`forget` (a container stopping)."""
    READINGS.add(key, name, documentation, labels, read)


def forget(key):
    READINGS.remove(key)


# --- helpers the hooks call ----------------------------------------------------------------

def answered(method, route, status, started):
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_SECONDS.labels(method, route).observe(time.monotonic() - started)


def event_series(queue, event_type):
    """Create an event type's series at zero when its handler starts, so a rate is defined
    (and an alert can fire) before the first failure (not for a wildcard binding)."""
    if "*" in event_type or "#" in event_type:
        return
    for series in (EVENTS_HANDLED, EVENTS_FAILED, EVENTS_RETRIED, EVENTS_DEAD_LETTERED, HANDLER_SECONDS):
        series.labels(queue, event_type)


def handled(queue, event_type, seconds, failed):
    (EVENTS_FAILED if failed else EVENTS_HANDLED).labels(queue, event_type).inc()
    HANDLER_SECONDS.labels(queue, event_type).observe(seconds)


def parked(queue, event_type, dead):
    (EVENTS_DEAD_LETTERED if dead else EVENTS_RETRIED).labels(queue, event_type).inc()


def event_type(message):
    """The type an event message says it is, or ``unknown`` (a body that cannot be read)."""
    try:
        body = message.decode()
    except Exception:
        return "unknown"
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) and EVENT_TYPE.match(kind) else "unknown"   # a bounded label


def delivered(channel, queued_at, now, error):
    """A delivery attempt of a queued notice: its outcome, and on success how long it waited."""
    DELIVERY_ATTEMPTS.labels(channel, "failed" if error else "delivered").inc()
    if error is None and queued_at is not None:
        DELIVERY_SECONDS.labels(channel).observe(max(0.0, (now - queued_at).total_seconds()))


# --- exposition ------------------------------------------------------------------------------

_server = {}   # port -> the green thread serving it: one exposition per process, whatever the containers


def serve(port, host="0.0.0.0"):
    """Serve ``/metrics`` on ``port`` (0: a free one) in a green thread; returns the port."""
    for known, (bound, _) in _server.items():
        if port in (known, bound):
            return bound
    sock = eventlet.listen((host, port))
    bound = sock.getsockname()[1]
    thread = eventlet.spawn(wsgi.server, sock, make_wsgi_app(REGISTRY), log_output=False, log=_QUIET)
    _server[port] = (bound, thread)
    log.info("metrics served on %s:%s/metrics", host, bound)
    return bound


class _Quiet:
    def write(self, *args):
        pass


_QUIET = _Quiet()


def dead_letters(container, db=None):
    """The depth of each dead-letter queue of the container's event handlers (a passive declare
    at scrape time: it reads, never creates)."""
    queues = sorted({handler.dlq.name for handler in container.entrypoints if hasattr(handler, "dlq")})
    uri = container.config["AMQP_URI"]

    def read():
        with Connection(uri) as conn:
            channel = conn.channel()
            return [((name,), channel.queue_declare(name, passive=True).message_count) for name in queues]
    return [(f"dlq:{id(container)}", "thidua_dead_letters", "Messages parked in a dead-letter queue",
             ("queue",), read)] if queues else []


class Metrics(DependencyProvider):
    """``metrics = Metrics()`` in a service: serves the process's metrics when ``METRICS_PORT`` is
    set. ``readings`` are callables ``(container, db) -> [(key, name, help, labels, read), ...]``
    registered while the service runs (the scrape-time gauges of the service's own data)."""

    def __init__(self, *readings):
        self.readings = readings
        self.keys = []

    def setup(self):
        config = self.container.config
        self.port = Logging.of(config).metrics_port
        self.db = None
        if self.readings:
            from thidua.mongo import client_for
            self.db = client_for(config["MONGO_URI"])[config["MONGO_DB"]]

    def start(self):
        for make in (dead_letters, *self.readings):
            for key, *rest in make(self.container, self.db):
                reading(key, *rest)
                self.keys.append(key)
        if self.port:
            serve(self.port)

    def stop(self):
        for key in self.keys:
            forget(key)
        self.keys = []

    kill = stop
