"""Correlation ids: one id from the HTTP request through every RPC, event and log line.

The gateway takes ``X-Correlation-Id`` from the request (or makes one); nameko
propagates worker context data across RPC calls; the outbox stores it in each
event's envelope; the reliable event handler puts it back into the context of
the worker that handles the event. Log records get it through
:class:`CorrelationFilter`.
"""
import logging
import re
import threading
import uuid

from nameko.extensions import DependencyProvider

KEY = "correlation_id"
HEADER = "X-Correlation-Id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current = threading.local()  # greenlet-local once eventlet has monkey-patched threading


def new_id():
    return uuid.uuid4().hex


def accept(candidate):
    """A client-supplied id if it is safe to log and store, else a fresh one."""
    if isinstance(candidate, str) and _VALID.match(candidate):
        return candidate
    return new_id()


def current():
    return getattr(_current, "value", None)


class CorrelationId(DependencyProvider):
    """Gives the worker its correlation id and tags its log lines with it."""

    @staticmethod
    def of(worker_ctx):
        """The worker's id: from RPC/event context data, else the HTTP header, else new."""
        cid = worker_ctx.data.get(KEY)
        if cid is None:
            request = worker_ctx.args[0] if worker_ctx.args else None
            headers = getattr(request, "headers", None)
            cid = accept(headers.get(HEADER) if headers is not None else None)
            worker_ctx.data[KEY] = cid
        return cid

    def get_dependency(self, worker_ctx):  # nameko calls this before worker_setup
        return self.of(worker_ctx)

    def worker_setup(self, worker_ctx):
        _current.value = self.of(worker_ctx)

    def worker_teardown(self, worker_ctx):
        _current.value = None


class CorrelationFilter(logging.Filter):
    def filter(self, record):
        record.correlation_id = current() or "-"
        return True
